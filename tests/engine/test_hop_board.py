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

from disruptor import RingBuffer, list_names
from engine.hop_board import (
    BUCKETS,
    Hop,
    HopBoard,
    attach_if_present,
    bucket_bounds,
    bucket_indexes,
    bucket_of,
    column_stamps,
    quantile,
    ring_stamps,
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
    rows = np.zeros((3, 128), dtype=np.uint8)
    for k, value in enumerate((1_700_000_000_123_456_789, -2, 7)):
        rows[k, 112:120] = np.frombuffer(value.to_bytes(8, "little", signed=True), np.uint8)
    assert column_stamps(rows, 112).tolist() == [1_700_000_000_123_456_789, -2, 7]
    assert column_stamps(rows[1:], 112).tolist() == [-2, 7]


@given(st.lists(st.integers(min_value=-(10**6), max_value=1 << 45), max_size=50))
def test_the_vectorised_buckets_are_the_scalar_ones(values: list[int]) -> None:
    got = bucket_indexes(np.array(values, dtype=np.int64)).tolist()
    assert got == [bucket_of(v) for v in values]


@pytest.mark.parametrize("size", [1, 8, 9, 300])  # one by one, and through a bincount
def test_a_batch_of_stamps_counts_each_age(size: int) -> None:
    name = f"sequex-hoptest{os.getpid()}c{size}-hops"
    board = HopBoard.create(name)
    try:
        now = time.time_ns()
        ages = np.array([1_000 * (k + 1) ** 2 for k in range(size)], dtype=np.int64)
        board.record_stamps(Hop.DURABLE, now - ages)
        after = time.time_ns() - now  # how much older each got while we counted
        row = board.counts()[Hop.DURABLE]
        assert int(row.sum()) == size and not board.counts()[Hop.MATCHED].any()
        for age in ages.tolist():  # each in a bucket between its age and that plus `after`
            low, high = bucket_of(age), bucket_of(age + after)
            assert row[low : high + 1].sum() >= 1
    finally:
        board.close()


def test_ring_stamps_follow_the_sequences_around_the_end_of_the_ring() -> None:
    ring = RingBuffer.create(f"sequex-hoptest{os.getpid()}ring", 8, 128, 1)
    try:
        for seq in range(5, 12):  # sequences 5..11 live in slots 5, 6, 7, 0, 1, 2, 3
            ring.slots[seq & ring.mask, 16:24] = np.frombuffer(
                (1000 + seq).to_bytes(8, "little"), np.uint8
            )
        assert ring_stamps(ring, 5, 11, 16).tolist() == [1000 + s for s in range(5, 12)]
        assert ring_stamps(ring, 9, 10, 16).tolist() == [1009, 1010]
    finally:
        ring.close()
