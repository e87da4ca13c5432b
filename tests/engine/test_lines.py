"""engine.canonical.lines: the compiled canonical lines equal the reference, byte for byte.

Two sources, one reference: event tuples against ``encode_events`` / ``event_to_json`` +
``json_encode``, and 128-byte event records against decoding them with ``EventDecoder`` and
encoding the decoded events. Records are fed whole, in random splits and as garbage (which must
be refused with the decoder's own RecordError, writing nothing).
"""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from enum import IntEnum
from pathlib import Path
from typing import Any

import pytest
import xxhash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.canonical import (
    EVENT_TYPES,
    OutputDigest,
    encode_event_line,
    encode_events,
    event_to_json,
    json_encode,
)
from engine.canonical.lines import EventLines, digest_records, encode_record_lines
from engine.canonical.lines import encode_events as compiled_encode_events
from engine.domain.reasons import TEXT
from engine.domain.types import Event, Fill, Liquidity, Rejected, RejectReason, Side
from engine.event_records import EVENT_CLASSES, EVENT_RECORD_SIZE, EventDecoder, encode_event
from engine.records import RecordError

ROOT = Path(__file__).resolve().parents[2]
TEXT_LIMIT = {
    "account": 16, "firm": 16, "symbol": 8, "asset": 8, "client_order_id": 20, "token": 20,
}  # fmt: skip


def _reference_lines(seq_no: int, events: list[Event]) -> bytes:
    return b"".join(
        json_encode(event_to_json(seq_no, sub, e)).encode("ascii") + b"\n"
        for sub, e in enumerate(events)
    )


#: a shared 2-core machine: generation and runs may be slow, never a failure
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- from event tuples ----------------------------------------------------------------------


def _tuple_field(annotation: Any) -> st.SearchStrategy[Any]:
    if annotation is bool:
        return st.booleans()
    if annotation is int:  # past 64 bits too: the compiled path falls back to Python there
        return st.integers(-(2**70), 2**70) | st.sampled_from([-(2**63), 2**63 - 1, 2**63, 0])
    if annotation is str:  # every escape: quotes, backslash, controls, DEL, non-ASCII
        return st.text() | st.text(alphabet=st.characters(max_codepoint=127))
    return st.sampled_from(list(annotation)) | st.sampled_from([int(m) for m in annotation])


def _tuple_event(cls: type) -> st.SearchStrategy[Event]:
    hints = typing.get_type_hints(cls)
    fields = [_tuple_field(hints[name]) for name in cls._fields]  # type: ignore[attr-defined]
    return st.tuples(*fields).map(lambda values: cls(*values))


any_event = st.one_of([_tuple_event(cls) for cls in EVENT_TYPES])


@FUZZ
@given(st.integers(0, 2**64), st.lists(any_event, max_size=6))
def test_lines_of_event_tuples_equal_the_reference(seq_no: int, events: list[Event]) -> None:
    expected = _reference_lines(seq_no, events)
    assert compiled_encode_events(seq_no, events) == expected
    assert encode_events(seq_no, events) == expected


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 2**40), st.lists(any_event, max_size=4)), max_size=8))
def test_a_buffer_of_many_commands_equals_their_lines_and_counts_them(
    batches: list[tuple[int, list[Event]]],
) -> None:
    lines = EventLines()
    for seq_no, events in batches:
        lines.add_events(seq_no, events)
    assert lines.count == sum(len(events) for _, events in batches)
    assert len(lines) == len(b"".join(_reference_lines(s, e) for s, e in batches))
    counts = lines.counts_by_class()
    assert lines.take() == b"".join(_reference_lines(s, e) for s, e in batches)
    assert (lines.count, len(lines), lines.take()) == (0, 0, b"")
    for cls in EVENT_CLASSES:
        assert counts[cls] == sum(type(e) is cls for _, events in batches for e in events)


def test_a_non_event_is_refused_like_the_reference() -> None:
    with pytest.raises(KeyError):
        encode_event_line(1, 0, (1, 2))  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        compiled_encode_events(1, [(1, 2)])
    bad_enum = Fill(5, "A", "S", 7, 1, 1, 0, 0, Liquidity.MAKER, 1)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        compiled_encode_events(1, [bad_enum])


def test_events_are_added_all_or_nothing() -> None:
    fill = Fill(5, "A1", "XYZ", Side.BUY, 10, 1_000_000, 0, 77, Liquidity.MAKER, 5_000_000)
    lines = EventLines()
    lines.add_events(4, [fill])
    with pytest.raises(KeyError):
        lines.add_events(5, iter([fill, fill, "not an event"]))
    assert (lines.count, lines.counts_by_class()[Fill]) == (1, 1)
    assert lines.take() == encode_event_line(4, 0, fill)


# -- from event records ---------------------------------------------------------------------


def _record_field(name: str, annotation: Any) -> st.SearchStrategy[Any]:
    if annotation is str:  # any ASCII, escapes included; trailing NULs are padding
        alphabet = st.characters(max_codepoint=127)
        return st.text(alphabet=alphabet, max_size=TEXT_LIMIT[name]).map(lambda t: t.rstrip("\0"))
    if annotation is bool:
        return st.booleans()
    if isinstance(annotation, type) and issubclass(annotation, IntEnum):
        return st.sampled_from(annotation)
    return st.integers(-(2**63), 2**63 - 1)


@st.composite
def recorded_events(draw: st.DrawFn) -> tuple[int, int, Event]:
    cls = draw(st.sampled_from(EVENT_CLASSES))
    seq_no = draw(st.integers(-(2**63), 2**63 - 1))
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for name in cls._fields:
        if name == "seq_no":
            values[name] = seq_no
        elif name == "text":
            values[name] = TEXT[values["reason"]]
        else:
            values[name] = draw(_record_field(name, hints[name]))
    return seq_no, draw(st.integers(0, 2**32 - 1)), cls(**values)


def _records(items: list[tuple[int, int, Event]]) -> bytes:
    return b"".join(encode_event(seq, sub, event) for seq, sub, event in items)


def _decoded_lines(records: bytes) -> bytes:
    return b"".join(
        encode_event_line(seq, sub, event)
        for seq, sub, event in EventDecoder().decode_many(records)
    )


@FUZZ
@given(st.lists(recorded_events(), max_size=12), st.data())
def test_lines_of_records_equal_decoding_them_whole_and_in_any_split(
    items: list[tuple[int, int, Event]], data: st.DataObject
) -> None:
    records = _records(items)
    expected = _decoded_lines(records)
    assert encode_record_lines(records) == expected
    assert encode_record_lines(bytearray(records)) == expected
    assert encode_record_lines(memoryview(records)) == expected
    cuts = sorted(min(c, len(items)) for c in data.draw(st.lists(st.integers(0, 12), max_size=4)))
    lines, view, start = EventLines(), memoryview(records), 0
    for cut in [*cuts, len(items)]:
        lines.add_records(view[start * EVENT_RECORD_SIZE : cut * EVENT_RECORD_SIZE])
        start = cut
    assert lines.count == len(items)
    assert lines.take() == expected


def test_every_event_kind_has_a_record_line() -> None:
    items: list[tuple[int, int, Event]] = []
    for kind, cls in enumerate(EVENT_CLASSES):
        hints = typing.get_type_hints(cls)
        values: list[Any] = []
        for name in cls._fields:
            annotation = hints[name]
            if name == "text":
                values.append(TEXT[values[-1]])
            elif name == "seq_no":
                values.append(kind + 1)
            elif annotation is str:
                values.append('q"\\\t\x7f'[: TEXT_LIMIT[name]])
            elif annotation is bool:
                values.append(True)
            elif isinstance(annotation, type) and issubclass(annotation, IntEnum):
                values.append(list(annotation)[-1])
            else:
                values.append(-(2**63) if kind % 2 else 2**63 - 1)
        items.append((kind + 1, kind, cls(*values)))
    records = _records(items)
    assert encode_record_lines(records) == _decoded_lines(records)
    assert {type(e) for _, _, e in items} == set(EVENT_TYPES)


@FUZZ
@given(st.binary(min_size=EVENT_RECORD_SIZE, max_size=EVENT_RECORD_SIZE), st.integers(0, 20))
def test_garbage_records_give_the_line_or_the_decoders_error(raw: bytes, kind: int) -> None:
    record = bytes([kind]) + raw[1:]
    try:
        expected: bytes | RecordError = _decoded_lines(record)
    except RecordError as exc:
        expected = exc
    lines = EventLines()
    lines.add_events(1, [Rejected(1, "A", "c", 0, RejectReason.UNKNOWN_ORDER, "x")])
    before = len(lines)
    if isinstance(expected, RecordError):
        with pytest.raises(RecordError) as info:
            lines.add_records(record)
        assert str(info.value) == str(expected)
        assert len(lines) == before and lines.count == 1  # nothing of it was written
        assert lines.counts_by_class()[Rejected] == 1
        assert sum(lines.counts_by_class().values()) == 1
    else:
        lines.add_records(record)
        assert lines.take()[before:] == expected


def test_a_partial_record_is_refused_like_the_decoder() -> None:
    fill = Fill(5, "A1", "XYZ", Side.BUY, 10, 1_000_000, 0, 77, Liquidity.MAKER, 5_000_000)
    records = encode_event(5, 0, fill) + b"\0" * 5
    with pytest.raises(RecordError, match="not a whole number of event records"):
        encode_record_lines(records)
    assert encode_record_lines(records[:EVENT_RECORD_SIZE]) == encode_event_line(5, 0, fill)


def test_digest_records_feeds_the_output_digest_like_update() -> None:
    fill = Fill(5, "A1", "XYZ", Side.BUY, 10, 1_000_000, 0, 77, Liquidity.MAKER, 5_000_000)
    reject = Rejected(6, "A1", "c", 0, RejectReason.INSUFFICIENT_CASH, TEXT[9])
    by_events, by_records = OutputDigest(), OutputDigest()
    data = by_events.update(5, [fill]) + by_events.update(6, [reject])
    records = encode_event(5, 0, fill) + encode_event(6, 0, reject)
    assert digest_records(by_records, records) == data
    assert (by_records.hexdigest(), by_records.count) == (by_events.hexdigest(), 2)
    assert by_records.hexdigest() == xxhash.xxh3_64(data).hexdigest()


# -- compiled and uncompiled ----------------------------------------------------------------

_SCRIPT = """
import xxhash
from engine.canonical import encode_events
from engine.canonical.lines import EventLines, encode_record_lines
from engine.domain.exchange import Exchange
from engine.event_records import encode_event
from tools.workload import standard_book_workload

w = standard_book_workload(3000, seed=3)
ex = Exchange()
lines, reference, records = EventLines(), [], []
for cmd in w.setup + w.commands:
    events = ex.submit(cmd)
    lines.add_events(cmd.seq_no, events)
    reference.append(encode_events(cmd.seq_no, events))
    records += [encode_event(cmd.seq_no, i, e) for i, e in enumerate(events)]
print(xxhash.xxh3_64(lines.take()).hexdigest(), xxhash.xxh3_64(b"".join(reference)).hexdigest(),
      xxhash.xxh3_64(encode_record_lines(b"".join(records))).hexdigest())
"""


def _digests(pure: bool) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "SEQUEX_PURE"}
    if pure:
        env["SEQUEX_PURE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_compiled_and_pure_lines_are_identical_to_the_reference() -> None:
    compiled, pure = _digests(False), _digests(True)
    assert compiled == pure
    assert len(set(compiled)) == 1, compiled  # tuples, reference and records agree
