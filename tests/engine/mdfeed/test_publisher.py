"""The market-data stage on loopback multicast: listeners rebuild every book from it, through
lost datagrams, from a snapshot, from message 1 regenerated from the journal, while the
publisher lets go of the ring and catches up, and across restarts that keep the numbers.

Every test checks the books a listener rebuilt from the feed against the engine's, order for
order, and the numbers against the feed regenerated directly from the commands: message N
always has the same bytes.
"""

from __future__ import annotations

import itertools
import shutil
import time
from pathlib import Path

from itch.parser import MessageParser

from engine.protocols.moldudp64 import (
    EndOfSession,
    Heartbeat,
    MessagePacket,
    RequestPacket,
    decode_downstream,
)
from tests.engine.mdfeed.harness import WINDOW, FeedHost, assert_books_match, feed_settings
from tests.engine.mdfeed.journals import feed_messages, generate_commands

COMMANDS = generate_commands(4_000, seed=5)


def test_a_listener_rebuilds_every_book_through_lost_datagrams(tmp_path: Path) -> None:
    host = FeedHost(tmp_path, feed_settings())
    feed = host.listener()
    heard: list[bytes] = []
    counter = itertools.count()

    def drop(datagram: bytes) -> bool:
        heard.append(datagram)
        return next(counter) % 4 == 1  # every fourth datagram never reaches the receiver

    feed.drop = drop
    feed.start(None)
    try:
        for lo in range(0, 3_000, 500):
            host.publish(COMMANDS[lo : lo + 500])
            host.follow(feed, host.caught_up(feed))
        assert_books_match(COMMANDS[:3_000], host.md.encoder.projection, feed.book)
        assert feed.dropped >= 4 and feed.requests >= 1 and not feed.faults
        # idle: heartbeats tell the next number
        before = len(heard)
        host.follow(feed, lambda: len(heard) > before + 2)
        beat = decode_downstream(heard[-1])
        assert isinstance(beat, Heartbeat)
        assert beat.next_sequence == host.md.encoder.next_sequence
        host.close()  # a clean stop: End of Session
        assert feed.run_until(lambda: feed.ended is not None, 5.0)
    finally:
        feed.close()
        host.close()
    # what went out on the group, read by an independent ITCH parser, is the feed itself
    sent = [p for p in map(decode_downstream, heard) if isinstance(p, MessagePacket)]
    messages = [m for p in sent for m in p.messages]
    assert [p.sequence for p in sent] == list(
        itertools.accumulate([1] + [len(p.messages) for p in sent[:-1]])
    )
    assert messages == feed_messages(COMMANDS[:3_000], WINDOW)
    framed = b"".join(len(m).to_bytes(2, "big") + m for m in messages)
    assert [p.to_bytes() for p in MessageParser().parse_stream(framed)] == messages
    assert isinstance(decode_downstream(heard[-1]), EndOfSession)


def test_old_ranges_are_regenerated_from_the_journal(tmp_path: Path) -> None:
    host = FeedHost(tmp_path, feed_settings(recent_messages=100))
    try:
        host.publish(COMMANDS[:2_500])
        host.poll()
        feed = host.listener()
        feed.start(None)  # from message 1: all of it long gone from memory
        host.follow(feed, host.caught_up(feed))
        assert_books_match(COMMANDS[:2_500], host.md.encoder.projection, feed.book)
        assert host.md.recent.first_sequence > 300
        assert host.md.retransmitter.regenerated >= 1
        feed.close()
    finally:
        host.close()


def test_a_late_joiner_takes_the_snapshot_and_carries_on_with_no_gap(tmp_path: Path) -> None:
    host = FeedHost(tmp_path, feed_settings(), fused=False)  # the sharded topology too
    try:
        host.publish(COMMANDS[:2_000])
        host.poll()
        snapshot = host.snapshot()
        assert snapshot.next_sequence == host.md.encoder.next_sequence
        assert snapshot.session == host.md.session
        feed = host.listener()
        feed.start(snapshot)
        assert_books_match(COMMANDS[:2_000], host.md.encoder.projection, feed.book)
        host.publish(COMMANDS[2_000:3_000])
        host.follow(feed, host.caught_up(feed))
        assert_books_match(COMMANDS[:3_000], host.md.encoder.projection, feed.book)
        assert feed.requests == 0 and not feed.faults
        feed.close()
    finally:
        host.close()


def test_a_publisher_that_falls_behind_lets_go_of_the_ring_and_catches_up(tmp_path: Path) -> None:
    host = FeedHost(tmp_path, feed_settings(detach_lag=64), capacity=512)
    feed = host.listener()
    feed.start(None)
    try:
        for lo in range(0, 4_000, 1_000):  # bursts of far more than 64 records a poll
            host.publish(COMMANDS[lo : lo + 1_000])
            host.follow(feed, lambda: host.md.catch_up is None)
        host.follow(feed, host.caught_up(feed))
        assert host.md.detaches >= 2
        # each catch-up went on with the last one's exchange: no replay from the start again
        assert host.md.positioned <= 4_000
        assert host.md.through_seq == 4_000
        assert_books_match(COMMANDS, host.md.encoder.projection, feed.book)
        assert host.md.encoder.next_sequence == len(feed_messages(COMMANDS, WINDOW)) + 1
    finally:
        feed.close()
        host.close()


def test_a_restart_continues_the_session_and_its_numbers(tmp_path: Path) -> None:
    settings = feed_settings()
    host = FeedHost(tmp_path, settings)
    feed = host.listener()
    feed.start(None)
    try:
        host.publish(COMMANDS[:1_500])
        host.follow(feed, host.caught_up(feed))
        session, stopped_at = host.md.session, host.md.encoder.next_sequence
        host.close()
        assert feed.run_until(lambda: feed.ended is not None, 5.0)  # the stop's End of Session
        assert feed.ended is not None and feed.ended.next_sequence == stopped_at
        host = FeedHost(tmp_path, settings)
        assert (host.md.session, host.md.encoder.next_sequence) == (session, stopped_at)
        host.publish(COMMANDS[1_500:3_000])
        host.follow(feed, host.caught_up(feed))  # the same listener goes on
        assert_books_match(COMMANDS[:3_000], host.md.encoder.projection, feed.book)
        assert host.md.encoder.next_sequence == len(feed_messages(COMMANDS[:3_000], WINDOW)) + 1
    finally:
        feed.close()
        host.close()


def test_after_a_crash_the_restart_catches_up_from_the_journal(tmp_path: Path) -> None:
    settings = feed_settings()
    host = FeedHost(tmp_path, settings)
    host.publish(COMMANDS[:1_000])
    host.md.save()  # the last checkpoint before the "crash"
    kept = tmp_path / "feed-at-1000.json"
    shutil.copy(tmp_path / "marketdata" / "feed.json", kept)
    host.publish(COMMANDS[1_000:2_000])
    host.close()
    shutil.copy(kept, tmp_path / "marketdata" / "feed.json")  # as if it died after seq 1000
    host = FeedHost(tmp_path, settings)
    feed = host.listener()
    feed.start(None)
    try:
        assert host.base_seq == 2_000 and host.md.catch_up is not None
        host.follow(feed, lambda: host.md.catch_up is None)
        host.publish(COMMANDS[2_000:2_500])
        host.follow(feed, host.caught_up(feed))
        assert_books_match(COMMANDS[:2_500], host.md.encoder.projection, feed.book)
        assert host.md.encoder.next_sequence == len(feed_messages(COMMANDS[:2_500], WINDOW)) + 1
    finally:
        feed.close()
        host.close()


def test_a_lost_or_foreign_feed_state_starts_a_new_session_with_the_same_numbers(
    tmp_path: Path,
) -> None:
    settings = feed_settings()
    host = FeedHost(tmp_path, settings)
    host.publish(COMMANDS[:1_200])
    first_session, numbers = host.md.session, host.md.encoder.next_sequence
    host.close()
    (tmp_path / "marketdata" / "feed.json").unlink()
    host = FeedHost(tmp_path, settings)
    try:
        host.serve(lambda: host.md.catch_up is None)
        assert host.md.session != first_session
        assert host.md.encoder.next_sequence == numbers  # the journal decides the numbers
        assert host.md.multicast.sent < 5  # the history was numbered, not sent again
    finally:
        host.close()
    state = (tmp_path / "marketdata" / "feed.json").read_text()
    text = state.replace('"journal_check":"', '"journal_check":"0')
    (tmp_path / "marketdata" / "feed.json").write_text(text)
    host = FeedHost(tmp_path, settings)
    try:
        assert host.md.session not in (first_session,)
        assert host.md.catch_up is not None  # a new session, numbered from the first command
    finally:
        host.close()


def test_requests_for_another_session_or_for_numbers_not_sent_get_nothing(
    tmp_path: Path,
) -> None:
    host = FeedHost(tmp_path, feed_settings())
    try:
        host.publish(COMMANDS[:300])
        md = host.md
        nxt = md.encoder.next_sequence
        handle = md.retransmitter.handle
        assert handle(RequestPacket("OTHER", 1, 5).encode(), ("x", 1), nxt) == []
        assert handle(RequestPacket(md.session, nxt, 5).encode(), ("x", 1), nxt) == []
        assert handle(b"garbage", ("x", 1), nxt) == []
        answer = handle(RequestPacket(md.session, 2, 5).encode(), ("x", 1), nxt)
        packet = decode_downstream(answer[0])
        assert isinstance(packet, MessagePacket) and packet.sequence == 2
        assert len(packet.messages) == 5
    finally:
        host.close()


def test_the_feed_wakes_on_its_own_for_new_events_and_for_a_heartbeat(tmp_path: Path) -> None:
    # it naps between looks at ring[events] (no post from the core while trading goes on):
    # its wait must still end for what comes and for a heartbeat that falls due
    host = FeedHost(tmp_path, feed_settings(heartbeat_ns=200_000_000))
    feed = host.listener()
    feed.start(None)
    try:
        host.publish(COMMANDS[:200])
        host.md.wait()  # events waiting: returns at its first look
        host.follow(feed, host.caught_up(feed))
        heard = feed.heard
        started = time.monotonic()
        host.md.wait()  # nothing comes: only the heartbeat falling due ends the wait
        waited = time.monotonic() - started
        host.md.poll()
        assert feed.run_until(lambda: feed.heard > heard, 5.0)  # the heartbeat it sent
        assert waited < 5.0  # (0.2 s expected; generous on a shared machine)
    finally:
        feed.close()
        host.close()
