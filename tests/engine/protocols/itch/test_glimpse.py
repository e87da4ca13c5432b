"""GLIMPSE's End of Snapshot: 'G' and the sequence number as 20 right-justified digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.protocols.itch import MessageFault
from engine.protocols.itch.glimpse import EndOfSnapshot, decode_end_of_snapshot


def test_the_layout_is_a_type_byte_and_twenty_digits_padded_on_the_left() -> None:
    assert EndOfSnapshot(1234).encode() == b"G" + b" " * 16 + b"1234"
    assert decode_end_of_snapshot(b"G" + b" " * 16 + b"1234") == EndOfSnapshot(1234)
    with pytest.raises(ValueError):
        EndOfSnapshot(10**20).encode()


@given(st.integers(0, 10**20 - 1))
def test_every_number_round_trips(number: int) -> None:
    assert decode_end_of_snapshot(EndOfSnapshot(number).encode()) == EndOfSnapshot(number)


@given(st.binary(max_size=30))
def test_garbage_decodes_or_is_a_fault(data: bytes) -> None:
    decoded = decode_end_of_snapshot(data)
    assert isinstance(decoded, EndOfSnapshot | MessageFault)
    if isinstance(decoded, EndOfSnapshot):
        assert decoded.encode().strip() == data.strip() or data[1:].strip(b" ").isdigit()
