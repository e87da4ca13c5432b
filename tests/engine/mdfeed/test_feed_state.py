"""The kept feed state: a session name, a position checked against the journal, atomic."""

from __future__ import annotations

from pathlib import Path

import pytest
import xxhash

from engine.marketdata.itch_projection import ItchProjection
from engine.mdfeed.feed_state import (
    FeedState,
    load_state,
    new_session_name,
    record_check,
    save_state,
    state_path,
)
from engine.protocols.moldudp64.packets import encode_session
from engine.records import encode_command
from tests.engine.mdfeed.journals import journaled


def test_a_state_round_trips_through_its_file(tmp_path: Path) -> None:
    assert load_state(tmp_path) is None
    projection = ItchProjection(utc_offset_s=3600).snapshot()
    state = FeedState("SQXABCDEFG", 120, 345, "00ff", projection)
    save_state(tmp_path, state)
    assert load_state(tmp_path) == state
    assert state_path(tmp_path).parent.name == "marketdata"
    state_path(tmp_path).write_text("{not json")
    with pytest.raises(ValueError, match="not a feed state"):
        load_state(tmp_path)
    state_path(tmp_path).write_text('{"version": 7}')
    with pytest.raises(ValueError, match="version"):
        load_state(tmp_path)


def test_session_names_are_new_each_time_and_valid_moldudp64_sessions() -> None:
    names = {new_session_name() for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert name.startswith("SQX") and len(name) == 10
        assert encode_session(name) == name.encode()


def test_the_check_is_the_hash_of_the_journals_record(tmp_path: Path) -> None:
    commands = journaled(tmp_path, 100, 8)
    assert record_check(tmp_path, 0) == ""
    assert record_check(tmp_path, 57) == xxhash.xxh3_64_hexdigest(encode_command(commands[56]))
    assert record_check(tmp_path, 101) is None
