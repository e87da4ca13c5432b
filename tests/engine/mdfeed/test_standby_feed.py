"""A standby's feed: muted while it follows, the primary's session continued at promotion.

A primary host and a standby host (in process, on the same multicast group) publish the same
commands: the standby's feed numbers every message as the primary's does but sends nothing
and serves nothing. The standby also holds commands the primary never published (it received
them before the primary died). Promoted, it continues the primary's session: a listener that
followed the primary goes on from the standby's feed, asks the standby for what it missed,
and rebuilds the engine's books; an independent ITCH parser reads every message it applied.
"""

from __future__ import annotations

from pathlib import Path

from itch.parser import MessageParser

from engine.mdfeed.handover import (
    PRIMARY_NAME,
    SESSION_NAME,
    FeedSession,
    load_session,
    promoted_session,
    save_session,
)
from tests.engine.mdfeed.harness import WINDOW, FeedHost, assert_books_match, feed_settings
from tests.engine.mdfeed.journals import feed_messages, generate_commands

COMMANDS = generate_commands(2_000, seed=13)
SHARED = 1_200  # what the primary published before it died


def test_a_promoted_standby_continues_the_primarys_session_for_its_listeners(
    tmp_path: Path,
) -> None:
    settings = feed_settings()
    primary = FeedHost(tmp_path / "primary", settings)
    standby = FeedHost(tmp_path / "standby", settings, standby=True)
    feed = primary.listener()
    applied: list[tuple[int, bytes]] = []
    feed.on_message = lambda number, payload: applied.append((number, payload))
    feed.start(None)
    try:
        primary.publish(COMMANDS[:SHARED])
        primary.follow(feed, primary.caught_up(feed))
        session, heard = primary.md.session, feed.heard
        told = FeedSession(session, 0)
        assert load_session(tmp_path / "primary", SESSION_NAME) == told
        save_session(tmp_path / "standby", PRIMARY_NAME, told)  # what replication does

        # the standby follows the same journal, and more of it, and says nothing
        standby.publish(COMMANDS)
        standby.serve(lambda: standby.md.through_seq == len(COMMANDS))
        feed.pump(0.2)
        assert standby.md.muted and feed.heard == heard
        assert standby.md.encoder.next_sequence == len(feed_messages(COMMANDS, WINDOW)) + 1
        assert load_session(tmp_path / "standby", SESSION_NAME) is None  # it publishes nothing

        standby.runner.rings.promote()  # the primary is gone (it is polled no more)
        standby.poll()
        assert not standby.md.muted and standby.md.session == session
        assert load_session(tmp_path / "standby", SESSION_NAME) == told
        feed.retransmit = standby.md.requests.address  # the listener asks the new host
        standby.follow(feed, standby.caught_up(feed))
        assert_books_match(COMMANDS, standby.md.encoder.projection, feed.book)
        assert not feed.faults and feed.requests >= 1
        # a late joiner gets the promoted host's snapshot under the same session
        assert standby.snapshot().session == session
    finally:
        feed.close()
        standby.close()
        primary.close()
    numbers = [number for number, _ in applied]
    assert numbers == list(range(1, len(applied) + 1))  # no number twice, none skipped
    payloads = [payload for _, payload in applied]
    assert payloads == feed_messages(COMMANDS, WINDOW)
    framed = b"".join(len(p).to_bytes(2, "big") + p for p in payloads)
    assert [m.to_bytes() for m in MessageParser().parse_stream(framed)] == payloads


def test_without_the_primarys_session_the_promoted_feed_opens_its_own(tmp_path: Path) -> None:
    standby = FeedHost(tmp_path, feed_settings(), standby=True)
    try:
        standby.publish(COMMANDS[:300])
        muted_session = standby.md.session
        standby.runner.rings.promote()
        standby.poll()
        assert not standby.md.muted and standby.md.session == muted_session
        assert standby.md.multicast.sent >= 1  # the heartbeat that tells the next number
    finally:
        standby.close()


def test_a_primary_session_of_another_utc_offset_is_not_continued(tmp_path: Path) -> None:
    own = FeedSession("SQXOWN2345", 0)
    assert promoted_session(tmp_path, own) == (
        "SQXOWN2345",
        "the primary never told its feed's session",
    )
    save_session(tmp_path, PRIMARY_NAME, FeedSession("SQXPRIMARY", 3_600))
    session, why_not = promoted_session(tmp_path, own)
    assert session == "SQXOWN2345" and why_not is not None and "UTC offset 3600 s" in why_not
    save_session(tmp_path, PRIMARY_NAME, FeedSession("SQXPRIMARY", 0))
    assert promoted_session(tmp_path, own) == ("SQXPRIMARY", None)
