"""Event records: every event kind round-trips with its (seq_no, sub_seq); garbage is refused."""

from __future__ import annotations

import typing
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.domain.reasons import TEXT
from engine.domain.types import Event, Fill, Liquidity, Rejected, RejectReason, Side
from engine.event_records import (
    EVENT_CLASSES,
    EVENT_RECORD_SIZE,
    EventDecoder,
    encode_event,
    encode_event_into,
)
from engine.records import RecordError

TEXT_LIMIT = {
    "account": 16, "firm": 16, "symbol": 8, "asset": 8, "client_order_id": 20, "token": 20,
}  # fmt: skip
seq_nos = st.integers(min_value=1, max_value=2**62)


def field_strategy(name: str, annotation: Any) -> st.SearchStrategy[Any]:
    if annotation is str:
        limit = TEXT_LIMIT[name]
        return st.text(alphabet="ABCXYZ019-_.", min_size=name != "client_order_id", max_size=limit)
    if annotation is bool:
        return st.booleans()
    if isinstance(annotation, type) and issubclass(annotation, IntEnum):
        return st.sampled_from(annotation)
    return st.integers(min_value=-(2**63), max_value=2**63 - 1)


@st.composite
def events(draw: st.DrawFn) -> tuple[int, Event]:
    cls = draw(st.sampled_from(EVENT_CLASSES))
    seq_no = draw(seq_nos)
    hints = typing.get_type_hints(cls)
    values = {}
    for name in cls._fields:
        if name == "seq_no":
            values[name] = seq_no
        elif name == "text":
            values[name] = TEXT[values["reason"]]
        else:
            values[name] = draw(field_strategy(name, hints[name]))
    return seq_no, cls(**values)


@given(events(), st.integers(min_value=0, max_value=2**32 - 1))
def test_every_event_round_trips_with_its_place_in_the_stream(
    item: tuple[int, Event], sub_seq: int
) -> None:
    seq_no, event = item
    decoded = EventDecoder().decode(encode_event(seq_no, sub_seq, event))
    assert decoded == (seq_no, sub_seq, event)
    assert type(decoded[2]) is type(event)


@given(st.lists(events(), max_size=20))
def test_decode_many_reads_back_to_back_records(items: list[tuple[int, Event]]) -> None:
    buffer = bytearray(EVENT_RECORD_SIZE * len(items))
    for i, (seq_no, event) in enumerate(items):
        encode_event_into(buffer, i * EVENT_RECORD_SIZE, seq_no, i, event)
    expected = [(seq_no, i, event) for i, (seq_no, event) in enumerate(items)]
    assert EventDecoder().decode_many(buffer) == expected


def test_a_rejected_text_must_be_its_reasons_text() -> None:
    custom = Rejected(5, "A", "c", 0, RejectReason.UNKNOWN_SYMBOL, "something else")
    with pytest.raises(RecordError, match="not the text of its reason"):
        encode_event(5, 0, custom)


def test_an_event_whose_seq_no_differs_from_the_record_is_refused() -> None:
    with pytest.raises(RecordError, match="differs"):
        encode_event(6, 0, Rejected(5, "A", "c", 0, RejectReason.UNKNOWN_SYMBOL, "unknown symbol"))


def test_a_text_field_too_long_is_refused() -> None:
    fill = Fill(1, "A" * 17, "ACME", Side.BUY, 1, 1, 0, 0, Liquidity.TAKER, 1)
    with pytest.raises(RecordError, match="longer than 16"):
        encode_event(1, 0, fill)


@given(st.binary(min_size=EVENT_RECORD_SIZE, max_size=EVENT_RECORD_SIZE))
def test_arbitrary_bytes_decode_or_raise_record_error(raw: bytes) -> None:
    try:
        seq_no, sub_seq, event = EventDecoder().decode(raw)
    except RecordError:
        return
    assert EventDecoder().decode(encode_event(seq_no, sub_seq, event)) == (seq_no, sub_seq, event)
