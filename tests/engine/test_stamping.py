"""`engine.gateway.stamping` against the reference (`NamedTuple._replace` and
`engine.records.encode_command_into`): the same stamped commands (classes of the fields
included), the same record bytes, the same errors, for every field at and past its limits.

In the compiled build this compares the C path with the reference; in the SEQUEX_PURE run the
module *is* the reference, and the tests still check the API.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.types import (
    CancelOrder,
    Command,
    NewOrder,
    OrderType,
    ReplaceOrder,
    Side,
    TimeInForce,
)
from engine.gateway.stamping import stamp_into, with_seq_no
from engine.records import RECORD_SIZE, RecordError, encode_command_into

text = st.one_of(
    st.sampled_from(["", "ACME", "ALPHA-1", "A" * 8, "A" * 16, "A" * 20, "A" * 21]),
    st.text(max_size=22),
)
big = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1), st.sampled_from([2**63, -(2**63) - 1])
)
new_orders = st.builds(
    NewOrder, st.just(0), st.just(0), text, text, text,
    st.sampled_from([Side.BUY, Side.SELL, 1, 256]),
    st.sampled_from([OrderType.LIMIT, OrderType.MARKET]),
    st.sampled_from(list(TimeInForce)), big, big, text, st.sampled_from([False, True, 1]),
)  # fmt: skip
others = st.one_of(
    st.builds(CancelOrder, st.just(0), st.just(0), text, big, text, text),
    st.builds(ReplaceOrder, st.just(0), st.just(0), text, big, big, big, text, text),
)
commands = st.lists(st.one_of(new_orders, new_orders, others), min_size=1, max_size=5)


def _typed(command: Command) -> list[tuple[type, Any]]:
    return [(type(command), None), *((type(value), value) for value in command)]


def _reference(commands: list[Command], ts: int, first: int, origin: int) -> Any:
    rows = bytearray(RECORD_SIZE * len(commands))
    stamped = []
    try:
        for i, cmd in enumerate(commands):
            cmd = cmd._replace(ts=ts, seq_no=first + i)
            encode_command_into(rows, i * RECORD_SIZE, cmd, origin)
            stamped.append(cmd)
    except RecordError as exc:
        return ("error", str(exc))
    return [_typed(c) for c in stamped], bytes(rows)


def _stamped(commands: list[Command], ts: int, first: int, origin: int) -> Any:
    rows = bytearray(RECORD_SIZE * len(commands) + 7)  # room to spare: only the records count
    try:
        stamped = stamp_into(rows, commands, ts, first, origin)
    except RecordError as exc:
        return ("error", str(exc))
    return [_typed(c) for c in stamped], bytes(rows[: RECORD_SIZE * len(commands)])


@given(
    commands,
    st.integers(min_value=0, max_value=2**62),
    st.integers(min_value=1, max_value=2**40),
    st.integers(min_value=0, max_value=2**32 - 1),
)
@settings(max_examples=800, deadline=None)
def test_stamping_writes_what_the_reference_writes(
    batch: list[Command], ts: int, first: int, origin: int
) -> None:
    assert _stamped(batch, ts, first, origin) == _reference(batch, ts, first, origin)


def test_a_buffer_too_short_for_the_records_is_refused() -> None:
    order = NewOrder(0, 0, "ALPHA", "ALPHA-1", "ACME", Side.BUY, OrderType.LIMIT,
                     TimeInForce.DAY, 1, 1, "c1")  # fmt: skip
    with pytest.raises(ValueError, match="cannot hold 2 records"):
        stamp_into(bytearray(RECORD_SIZE * 2 - 1), [order, order], 1, 1, 1)


@given(new_orders, st.integers(min_value=0, max_value=2**62))
def test_with_seq_no_is_replace(command: NewOrder, seq_no: int) -> None:
    assert _typed(with_seq_no(command, seq_no)) == _typed(command._replace(seq_no=seq_no))
