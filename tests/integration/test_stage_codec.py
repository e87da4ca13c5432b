"""The stages' compiled event codec and slot layout agree with the reference definitions, on
the events the engine really emits."""

from __future__ import annotations

import numpy as np

from engine.domain.exchange import Exchange
from engine.domain.types import BookReduce, Event
from engine.event_codec import EventReader, encode_events_into
from engine.event_records import EventDecoder, encode_event
from engine.records import RECORD
from engine.stages.slots import CAP_OFFSET, HAS_EVENT_OFFSET, TARGET_OFFSET, ShardMap, shard_of
from tests.integration.streams import mixed_stream


def _outputs() -> list[tuple[int, list[Event]]]:
    exchange = Exchange(feedback_window=8)
    out = [(c.seq_no, exchange.submit(c)) for c in mixed_stream(2000, seed=4)]
    out.append((99_999, [BookReduce("ACME", 12, 300)]))
    return out


def test_compiled_codec_is_byte_identical_to_the_reference_codec() -> None:
    fast, reference = EventReader(), EventDecoder()
    kinds = set()
    for seq_no, events in _outputs():
        buf = bytearray()
        encode_events_into(buf, seq_no, events)
        expected = b"".join(encode_event(seq_no, sub, e) for sub, e in enumerate(events))
        assert bytes(buf) == expected
        got, want = fast.decode_bytes(expected), reference.decode_many(expected)
        assert got == want
        for (_, _, a), (_, _, b) in zip(got, want, strict=True):
            assert type(a) is type(b)
            assert [type(x) for x in a] == [type(x) for x in b]
        rows = np.frombuffer(expected, dtype=np.uint8).reshape(-1, 128)
        grouped = fast.decode_grouped(rows)
        assert [e for _, group in grouped for e in group] == events
        kinds.update(type(e).__name__ for e in events)
    assert len(kinds) >= 16  # every kind the engine emits on this stream, and BookReduce


def test_risk_slot_fields_live_in_padding_of_the_command_record() -> None:
    padding = {5, 6, 7, *range(120, 128)}
    assert {TARGET_OFFSET, HAS_EVENT_OFFSET, *range(CAP_OFFSET, CAP_OFFSET + 8)} <= padding
    assert RECORD.format.endswith("I8x") and RECORD.format.startswith("<BBBBBxxx")


def test_shard_of_a_symbol_is_stable_and_in_range() -> None:
    shards = ShardMap(4)
    assert [shards(s) for s in ("ACME", "GLOBEX", "INIT")] == [
        shard_of(s, 4) for s in ("ACME", "GLOBEX", "INIT")
    ]
    assert all(0 <= shard_of(f"S{i}", 3) < 3 for i in range(100))
    assert shard_of("ACME", 1) == 0
