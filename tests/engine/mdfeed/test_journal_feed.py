"""The feed regenerated from the journal is the feed: same messages, same numbers, from any
point (a snapshot of the exchange and the feed's kept projection), a bounded step at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain.rules import CURRENT_RULES
from engine.marketdata.feed_encoder import FeedEncoder
from engine.marketdata.itch_projection import ItchProjection
from engine.mdfeed.journal_feed import JournalFeed, JournalSource
from tests.engine.marketdata.test_feed_encoder import messages_of
from tests.engine.mdfeed.journals import feed_messages, journaled, projection_after, snapshot_at

WINDOW = 8


def replay(feed: JournalFeed, upto: int, budget: int = 1_000) -> list[bytes]:
    out: list[bytes] = []
    while feed.step(upto, budget):
        out += messages_of(feed.encoder.flush())
    return out


def test_the_journal_feed_from_the_start_is_the_live_feed(tmp_path: Path) -> None:
    commands = journaled(tmp_path, 3_000, WINDOW)
    encoder = FeedEncoder(ItchProjection(), "SQXTEST001")
    feed = JournalFeed(tmp_path, WINDOW, CURRENT_RULES, encoder, 0)
    assert replay(feed, 3_000) == feed_messages(commands, WINDOW)
    assert feed.through_seq == 3_000 and feed.snapshot_seq is None
    feed.close()


@pytest.mark.parametrize("with_snapshot", [False, True])
def test_it_continues_a_feed_from_its_kept_projection(tmp_path: Path, with_snapshot: bool) -> None:
    commands = journaled(tmp_path, 3_000, WINDOW)
    if with_snapshot:
        snapshot_at(tmp_path, commands, WINDOW, 1_500)
        snapshot_at(tmp_path, commands, WINDOW, 2_500)  # past the start: not usable
    projection, next_sequence = projection_after(commands, WINDOW, 1_800)
    encoder = FeedEncoder(projection, "SQXTEST001", next_sequence=next_sequence)
    feed = JournalFeed(tmp_path, WINDOW, CURRENT_RULES, encoder, 1_800)
    assert feed.step(3_000, 100) == 100 and not feed.ready  # the exchange first, 100 at a time
    out = replay(feed, 3_000)
    whole = feed_messages(commands, WINDOW)
    assert out == whole[next_sequence - 1 :]
    assert feed.snapshot_seq == (1_500 if with_snapshot else None)
    assert encoder.next_sequence == len(whole) + 1


def test_it_stops_where_it_is_told_and_refuses_another_window(tmp_path: Path) -> None:
    journaled(tmp_path, 1_000, WINDOW)
    encoder = FeedEncoder(ItchProjection(), "SQXTEST001")
    feed = JournalFeed(tmp_path, WINDOW, CURRENT_RULES, encoder, 0)
    replay(feed, 600)
    assert feed.through_seq == 600
    assert feed.step(600, 100) == 0
    other = JournalFeed(tmp_path, 16, CURRENT_RULES, FeedEncoder(ItchProjection(), "S"), 10)
    with pytest.raises(ValueError, match="W=8"):
        other.step(20, 10)


def test_the_journal_source_regenerates_any_range_a_step_at_a_time(tmp_path: Path) -> None:
    commands = journaled(tmp_path, 3_000, WINDOW)
    whole = feed_messages(commands, WINDOW)
    source = JournalSource(tmp_path, WINDOW, CURRENT_RULES, "SQXTEST001", 0, capacity=300)
    for first in (500, 1_200, 40, len(whole) - 3):
        while source.work(first, 50, 3_000, 200):
            pass
        assert source.messages(first, 50) == whole[first - 1 : first + 49]
    assert source.restarts == 2  # 40 was older than the 300 messages it kept
    assert source.work(len(whole) + 5, 1, 3_000, 200) == 0  # nothing past the journal's end
    source.close()
