"""The compiled record codecs (`engine.command_reader`, `engine.event_codec`) against the
reference codecs (`engine.records`, `engine.event_records`): the same bytes, the same objects
(classes included), the same errors, for every kind, whole and record by record.

In the compiled build these compare two implementations; in the SEQUEX_PURE run the compiled
modules *are* the reference, and the tests still check the API (rows, headers, grouping).
"""

from __future__ import annotations

import typing
from enum import IntEnum
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.command_reader import CommandReader
from engine.domain.reasons import TEXT
from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Event,
    Halt,
    NewOrder,
    NoteKind,
    OrderType,
    ReplaceOrder,
    Resume,
    SelfTradePrevention,
    SessionNote,
    SetRiskLimits,
    SetSelfTradePrevention,
    Side,
    TimeInForce,
    Withdraw,
)
from engine.event_codec import (
    ORIGIN_OFFSET,
    TS_OFFSET,
    EventReader,
    encode_event_at,
    encode_events_into,
    write_events,
)
from engine.event_records import (
    EVENT_CLASSES,
    EVENT_RECORD_SIZE,
    EventDecoder,
    encode_event,
)
from engine.records import RECORD_SIZE, CommandDecoder, RecordError, encode_command
from tests.engine.mixed_commands import full_mix

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
TEXT_LIMIT = {
    "account": 16, "firm": 16, "symbol": 8, "asset": 8, "client_order_id": 20, "token": 20,
}  # fmt: skip
NAMES = st.text(alphabet="ABCXYZ019-_.", min_size=1, max_size=8)


def _typed(items: list[Any]) -> list[Any]:
    """Objects with their classes, nested (an IntEnum field equal to an int is not enough)."""
    return [(type(x), x, [type(f) for f in x]) if isinstance(x, tuple) else x for x in items]


# -- commands -------------------------------------------------------------------------------


@st.composite
def commands(draw: st.DrawFn) -> Command:
    seq, ts = draw(st.integers(1, 2**62)), draw(INT64)
    account = draw(st.text(alphabet="abc-XYZ09", min_size=1, max_size=16))
    symbol = draw(NAMES)
    kind = draw(st.integers(0, 11))
    if kind == 0:
        return NewOrder(
            seq, ts, draw(st.text(alphabet="FGH", min_size=1, max_size=16)), account, symbol,
            draw(st.sampled_from(Side)), draw(st.sampled_from(OrderType)),
            draw(st.sampled_from(TimeInForce)), draw(INT64), draw(INT64),
            draw(st.text(alphabet="c0123456789", max_size=20)), draw(st.booleans()),
        )  # fmt: skip
    a, b, c, d = draw(INT64), draw(INT64), draw(INT64), draw(INT64)
    # a request's ClOrdID and the OrigClOrdID it names (over the firm and symbol fields)
    clid, orig = (draw(st.text(alphabet="c0123456789-", max_size=20)) for _ in range(2))
    made: list[Command] = [
        CancelOrder(seq, ts, account, a, clid, orig),
        ReplaceOrder(seq, ts, account, a, b, c, clid, orig),
        AddSymbol(seq, ts, symbol, a, b, c, d),
        Deposit(seq, ts, account, draw(st.sampled_from([CASH, symbol])), a),
        Withdraw(seq, ts, account, symbol, a),
        Halt(seq, ts, symbol),
        Resume(seq, ts, symbol),
        SetRiskLimits(seq, ts, account, a, b, c),
        SetSelfTradePrevention(seq, ts, account, draw(st.sampled_from(SelfTradePrevention))),
        EndOfDay(seq, ts, symbol),
        SessionNote(
            seq,
            ts,
            draw(st.sampled_from(NoteKind)),
            account,
            draw(st.text(alphabet="t0123456789", max_size=20)),
            a,
            b,
            c,
            d,
        ),
    ]
    return made[kind - 1]


@settings(max_examples=300)
@given(st.lists(commands(), max_size=30))
def test_commands_decode_as_the_reference_decodes_them(cmds: list[Command]) -> None:
    data = b"".join(encode_command(c) for c in cmds)
    want = CommandDecoder().decode_many(data)
    assert _typed(CommandReader().decode_many(data)) == _typed(want)
    rows = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD_SIZE)
    wide = np.zeros((len(cmds), 256), dtype=np.uint8)  # ring[risk] slots: command first
    wide[:, :RECORD_SIZE] = rows
    assert _typed(CommandReader().decode_rows(wide)) == _typed(want)


def test_a_long_stream_of_every_kind_decodes_as_the_reference() -> None:
    cmds = list(full_mix(4, 30_000))
    data = b"".join(encode_command(c) for c in cmds)
    got = CommandReader().decode_many(data)
    assert got == cmds and _typed(got) == _typed(CommandDecoder().decode_many(data))


def _error(decode: Any, data: bytes) -> str:
    with pytest.raises(RecordError) as caught:
        decode(data)
    return str(caught.value)


@settings(max_examples=300)
@given(st.binary(min_size=RECORD_SIZE, max_size=RECORD_SIZE), st.integers(0, 255))
def test_garbage_records_decode_or_fail_exactly_like_the_reference(raw: bytes, kind: int) -> None:
    data = bytes([kind % 17]) + raw[1:] + encode_command(Halt(1, 1, "OK"))
    try:
        want = CommandDecoder().decode_many(data)
    except RecordError as exc:
        assert _error(CommandReader().decode_many, data) == str(exc)
    else:
        assert _typed(CommandReader().decode_many(data)) == _typed(want)


@pytest.mark.parametrize("kind", [2, 3])
@pytest.mark.parametrize(
    ("at", "byte"),
    [(57, ord("A")), (57, 0xFF), (60, 0x80), (71, ord("B")), (89, ord("Z")), (95, 0x80)],
)
def test_a_requests_orig_fields_decode_like_the_reference_whatever_bytes_follow_a_nul(
    kind: int, at: int, byte: int
) -> None:
    # (a record the encoder never writes: bytes after a NUL in the firm or symbol field of a
    # cancel or replace, the first byte of each field zero. The reference reads them all.)
    cmd = (
        CancelOrder(1, 2, "A-1", 3, "c1") if kind == 2 else ReplaceOrder(1, 2, "A-1", 3, 4, 5, "c1")
    )
    data = bytearray(encode_command(cmd))
    data[at] = byte
    try:
        want = CommandDecoder().decode_many(bytes(data))
    except RecordError as exc:
        assert _error(CommandReader().decode_many, bytes(data)) == str(exc)
    else:
        assert _typed(CommandReader().decode_many(bytes(data))) == _typed(want)


def test_a_buffer_of_partial_records_is_refused_like_the_reference() -> None:
    data = encode_command(Halt(1, 1, "OK"))[:100]
    assert _error(CommandReader().decode_many, data) == _error(CommandDecoder().decode_many, data)


# -- events ---------------------------------------------------------------------------------


def _field(name: str, annotation: Any) -> st.SearchStrategy[Any]:
    if annotation is str:
        limit = TEXT_LIMIT.get(name, 16)
        return st.text(alphabet="ABCXYZ019-_.", min_size=name != "client_order_id", max_size=limit)
    if annotation is bool:
        return st.booleans()
    if isinstance(annotation, type) and issubclass(annotation, IntEnum):
        return st.sampled_from(annotation)
    return INT64


@st.composite
def command_events(draw: st.DrawFn) -> tuple[int, list[Event]]:
    seq_no = draw(st.integers(1, 2**62))
    out: list[Event] = []
    for cls in draw(st.lists(st.sampled_from(EVENT_CLASSES), max_size=8)):
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for name in cls._fields:
            if name == "seq_no":
                values[name] = seq_no
            elif name == "text":
                values[name] = TEXT[values["reason"]]
            else:
                values[name] = draw(_field(name, hints[name]))
        out.append(cls(**values))
    return seq_no, out


def _reference_bytes(seq_no: int, events: list[Event]) -> bytes:
    return b"".join(encode_event(seq_no, sub, e) for sub, e in enumerate(events))


@settings(max_examples=400)
@given(st.lists(command_events(), max_size=6), st.integers(0, 2**32 - 1), INT64)
def test_events_encode_to_the_reference_bytes_and_decode_to_the_same_objects(
    batch: list[tuple[int, list[Event]]], origin: int, ts: int
) -> None:
    buf = bytearray(7)  # written from byte `at`, grown as needed
    at = 7
    for seq_no, events in batch:
        at = write_events(buf, at, seq_no, events, origin, ts)
    records = bytes(buf[7:at])
    assert len(records) == EVENT_RECORD_SIZE * sum(len(e) for _, e in batch)
    rows = np.frombuffer(records, dtype=np.uint8).reshape(-1, EVENT_RECORD_SIZE).copy()
    assert (rows[:, ORIGIN_OFFSET : ORIGIN_OFFSET + 4].view("<u4") == origin).all()
    assert (rows[:, TS_OFFSET : TS_OFFSET + 8].view("<i8") == ts).all()
    rows[:, ORIGIN_OFFSET:] = 0
    expected = b"".join(_reference_bytes(s, e) for s, e in batch)
    assert rows.tobytes() == expected
    want = EventDecoder().decode_many(expected)
    assert _typed([e for _, _, e in EventReader().decode_bytes(expected)]) == _typed(
        [e for _, _, e in want]
    )
    assert EventReader().decode_bytes(records) == want
    assert EventReader().decode_rows(rows) == want


@settings(max_examples=300)
@given(command_events(), st.integers(0, 140))
def test_one_event_written_in_place_is_the_reference_record(
    command: tuple[int, list[Event]], offset: int
) -> None:
    """``encode_event_at`` (the named JSON sessions' stores write with it): the reference's
    bytes at the offset, zero header words, nothing else touched."""
    seq_no, events = command
    for sub, event in enumerate(events):
        buffer = bytearray(b"\xab" * (offset + EVENT_RECORD_SIZE + 3))
        encode_event_at(buffer, offset, seq_no, sub, event)
        expected = encode_event(seq_no, sub, event)
        assert buffer == b"\xab" * offset + expected + b"\xab" * 3


def test_encode_events_into_appends_exactly_the_records() -> None:
    out = bytearray(b"head")
    events: list[Event] = [Halt(1, 1, "X")]  # type: ignore[list-item]
    with pytest.raises(RecordError):
        encode_events_into(out, 1, events)  # not an event: the reference refuses it
    assert out == b"head"  # left as it was
    seq_no, events = busiest_command()
    out = bytearray(b"head")
    encode_events_into(out, seq_no, events, 3, 4)
    assert len(out) == 4 + EVENT_RECORD_SIZE * len(events)
    alone = bytearray()
    end = write_events(alone, 0, seq_no, events, 3, 4)
    assert out[4:] == alone[:end] and out[:4] == b"head"
    assert [e for _, _, e in EventReader().decode_bytes(bytes(out[4:]))] == events
    for _ in range(3):  # appending again appends, it never trims or doubles what is there
        encode_events_into(out, seq_no, events, 3, 4)
    assert out == b"head" + bytes(alone[:end]) * 4


def busiest_command() -> tuple[int, list[Event]]:
    from engine.domain.exchange import Exchange

    ex = Exchange(1)
    best: tuple[int, list[Event]] = (0, [])
    for cmd in full_mix(2, 3000):
        events = ex.submit(cmd)
        if len(events) > len(best[1]):
            best = (cmd.seq_no, events)
    return best


@pytest.mark.parametrize(
    "bad",
    [
        lambda e: e._replace(account="ü"),  # not ASCII
        lambda e: e._replace(account="x" * 17),  # too long
        lambda e: e._replace(order_id=2**64),  # beyond 64 bits
    ],
)
def test_events_the_reference_refuses_are_refused_the_same_way(bad: Any) -> None:
    from engine.domain.types import Accepted

    event = bad(Accepted(9, 9, "A", "c"))
    with pytest.raises(RecordError) as want:
        encode_event(9, 0, event)
    with pytest.raises(RecordError) as got:
        encode_events_into(bytearray(), 9, [event])
    assert str(got.value) == str(want.value)


@settings(max_examples=300)
@given(st.binary(min_size=EVENT_RECORD_SIZE, max_size=EVENT_RECORD_SIZE), st.integers(0, 20))
def test_garbage_event_records_decode_or_fail_like_the_reference(raw: bytes, kind: int) -> None:
    data = bytes([kind]) + raw[1:]
    try:
        want = EventDecoder().decode_many(data)
    except RecordError as exc:
        with pytest.raises(RecordError) as caught:
            EventReader().decode_bytes(data)
        assert str(caught.value) == str(exc)
    else:
        assert EventReader().decode_bytes(data) == want


def test_events_of_a_long_stream_round_trip() -> None:
    from engine.domain.exchange import Exchange

    ex = Exchange(8)
    buf, at, expected = bytearray(), 0, bytearray()
    kinds = set()
    for cmd in full_mix(6, 20_000):
        events = ex.submit(cmd)
        at = write_events(buf, at, cmd.seq_no, events)
        expected += _reference_bytes(cmd.seq_no, events)
        kinds.update(type(e) for e in events)
    rows = np.frombuffer(bytes(buf[:at]), dtype=np.uint8).reshape(-1, EVENT_RECORD_SIZE)
    assert rows.tobytes() == bytes(expected)
    assert EventReader().decode_rows(rows) == EventDecoder().decode_many(bytes(expected))
    assert len(kinds) >= 16
