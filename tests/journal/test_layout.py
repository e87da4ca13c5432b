"""The descriptor: header round trip, checks that name what is wrong, checksum coverage."""

from __future__ import annotations

import pytest

from journal.errors import JournalFormatError
from journal.layout import (
    FILE_HEADER_SIZE,
    RECORD_HEADER,
    RECORD_HEADER_SIZE,
    USER_HEADER_MAX,
    decode_file_header,
    encode_file_header,
    record_checksum,
    segment_name,
)
from journal.scan import is_valid_frame


def _frame(rtype: int, seq: int, payload: bytes) -> bytearray:
    frame = bytearray(RECORD_HEADER.pack(len(payload), rtype, seq, 0) + payload)
    RECORD_HEADER.pack_into(frame, 0, len(payload), rtype, seq, record_checksum(frame))
    return frame


def test_file_header_round_trips_first_seq_and_user_header() -> None:
    data = encode_file_header(42, b"window=4096")
    assert len(data) == FILE_HEADER_SIZE == 96
    assert decode_file_header(data) == (42, b"window=4096")


def test_user_header_larger_than_the_maximum_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 64"):
        encode_file_header(1, b"x" * (USER_HEADER_MAX + 1))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[:50], "truncated"),
        (lambda d: b"NOTAJRNL" + d[8:], "bad magic"),
        (lambda d: d[:30] + bytes([d[30] ^ 1]) + d[31:], "checksum"),
    ],
)
def test_damaged_file_header_says_what_is_wrong(mutate, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(JournalFormatError, match=message):
        decode_file_header(mutate(encode_file_header(7, b"abc")))


def test_segment_names_sort_by_first_seq() -> None:
    seqs = [1, 9, 10, 100, 2**63]
    assert sorted(segment_name(s) for s in seqs) == [segment_name(s) for s in seqs]


def test_every_single_bit_flip_of_a_record_is_detected() -> None:
    frame = _frame(3, 12345, b"payload bytes")
    assert is_valid_frame(frame, 0, 0)
    for bit in range(len(frame) * 8):
        damaged = bytearray(frame)
        damaged[bit // 8] ^= 1 << (bit % 8)
        assert not is_valid_frame(damaged, 0, 0), f"bit {bit} flip went unnoticed"


def test_record_header_is_24_bytes() -> None:
    assert RECORD_HEADER_SIZE == 24
