"""The hop histograms: buckets hold their values within 1/16, quantiles match a sorted list's,
and the board is shared between an owner and its readers like the rings are."""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from disruptor import list_names
from engine.hop_board import (
    BUCKETS,
    Hop,
    HopBoard,
    attach_if_present,
    bucket_bounds,
    bucket_of,
    quantile,
    stamp_at,
)

TOP = 1 << 40  # the first value past the last bucket of its own


@given(st.integers(min_value=0, max_value=TOP - 1))
def test_a_value_lies_in_its_bucket_whose_width_is_at_most_a_sixteenth(value: int) -> None:
    low, high = bucket_bounds(bucket_of(value))
    assert low <= value <= high
    assert high - low + 1 <= max(1, low // 16)


@given(st.integers(min_value=0, max_value=TOP - 2))
def test_buckets_follow_the_values_without_gaps(value: int) -> None:
    here, there = bucket_of(value), bucket_of(value + 1)
    assert there in (here, here + 1)
    if there == here + 1:  # the next bucket starts right where this one ends
        assert bucket_bounds(here)[1] == value and bucket_bounds(there)[0] == value + 1


def test_the_ends_of_the_range() -> None:
    assert [bucket_of(v) for v in (-5, 0, 1, 31, 32)] == [0, 0, 1, 31, 32]
    assert bucket_of(TOP - 1) == BUCKETS - 1
    assert bucket_of(TOP) == bucket_of(10 * TOP) == BUCKETS - 1  # longer: the last bucket
    assert bucket_bounds(BUCKETS - 1)[1] == TOP - 1


def _reference(values: list[int], q: float) -> int:
    """The upper bound of the bucket of the value of rank ceil(q * n) in sorted order."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return bucket_bounds(bucket_of(ordered[rank - 1]))[1]


@given(
    st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=200),
    st.sampled_from([0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0]),
)
def test_quantiles_are_those_of_the_sorted_values(values: list[int], q: float) -> None:
    counts = np.zeros(BUCKETS, dtype=np.int64)
    for v in values:
        counts[bucket_of(v)] += 1
    assert quantile(counts, q) == _reference(values, q)


def test_quantiles_of_nothing_and_out_of_range() -> None:
    assert quantile(np.zeros(BUCKETS, dtype=np.int64), 0.5) == 0
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        quantile(np.zeros(BUCKETS, dtype=np.int64), 1.5)


def test_an_owner_and_a_reader_share_the_counts_and_the_owner_unlinks() -> None:
    name = f"sequex-hoptest{os.getpid()}-hops"
    owner = HopBoard.create(name)
    try:
        reader = HopBoard.attach(name)
        assert reader.counts().shape == (len(Hop), BUCKETS) and not reader.counts().any()
        owner.record_value(Hop.DURABLE, 1500)
        owner.record_value(Hop.DURABLE, 1500)
        owner.record_value(Hop.ANSWERED, -3)  # a clock step back counts as 0
        owner.record(Hop.MATCHED, time.time_ns() + 10**9)  # a ts from the future: 0 too
        owner.record_value(Hop.ENTERED, 70_000, 5)  # a batch of five orders
        seen = reader.counts()
        assert seen[Hop.DURABLE, bucket_of(1500)] == 2
        assert seen[Hop.ANSWERED, 0] == 1 and seen[Hop.MATCHED, 0] == 1
        assert seen[Hop.ENTERED, bucket_of(70_000)] == 5
        assert int(seen.sum()) == 9
        reader.close()
        reader.close()  # twice is harmless
    finally:
        owner.close()
    assert list_names(f"sequex-hoptest{os.getpid()}-") == []
    assert attach_if_present(name) is None


def test_a_recorded_age_is_measured_from_the_stamp() -> None:
    name = f"sequex-hoptest{os.getpid()}b-hops"
    board = HopBoard.create(name)
    try:
        board.record(Hop.ENTERED, time.time_ns() - 5_000_000)  # 5 ms ago
        (index,) = np.flatnonzero(board.counts()[Hop.ENTERED])
        low, high = bucket_bounds(int(index))
        assert high >= 5_000_000 and low < 5_000_000 + 10**9  # 5 ms, and not absurdly later
    finally:
        board.close()


def test_stamps_are_read_little_endian_and_signed() -> None:
    record = np.zeros(128, dtype=np.uint8)
    record[16:24] = np.frombuffer((1_700_000_000_123_456_789).to_bytes(8, "little"), np.uint8)
    record[112:120] = np.frombuffer((-2).to_bytes(8, "little", signed=True), np.uint8)
    assert stamp_at(record, 16) == 1_700_000_000_123_456_789
    assert stamp_at(memoryview(record.tobytes()), 112) == -2
