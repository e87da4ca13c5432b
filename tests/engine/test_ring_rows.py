"""``engine.ring_rows.write_records`` against its reference (``_write_reference``, numpy).

In the compiled build the two are different code; under ``SEQUEX_PURE=1`` both are the
reference. Random claims over a small ring (wrapping or not), records carrying 0, their own
seq_no or a wrong one at a random place: the same slots after, the same answer.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disruptor import RingBuffer
from engine.ring_rows import _write_reference, write_records
from engine.stages.injector import Injector

CAPACITY = 16


def _chunks(lo: int, hi: int) -> list[tuple[int, int]]:
    mask = CAPACITY - 1
    start, stop = lo & mask, (hi & mask) + 1
    return [(start, stop)] if start < stop else [(start, CAPACITY), (0, stop)]


@settings(max_examples=300, deadline=None)
@given(
    lo=st.integers(0, 200),
    n=st.integers(1, CAPACITY),
    seed=st.integers(0, 2**32 - 1),
    stamp=st.sampled_from(["zero", "own", "wrong"]),
)
def test_write_records_writes_what_the_reference_writes(
    lo: int, n: int, seed: int, stamp: str
) -> None:
    rng = np.random.default_rng(seed)
    records = rng.integers(0, 256, size=(n, 128), dtype=np.uint8)
    first = 1000 + lo
    words = records.view("<i8")
    words[:, 1] = 0 if stamp == "zero" else np.arange(first, first + n)
    if stamp == "wrong":
        words[int(rng.integers(0, n)), 1] = -5
    slots = rng.integers(0, 256, size=(CAPACITY, 128), dtype=np.uint8)
    expected = slots.copy()
    chunks = _chunks(lo, lo + n - 1)
    want = _write_reference(expected, records.copy(), chunks, first)
    got = write_records(slots, records, chunks, first)
    assert got == want
    assert (slots == expected).all()
    if stamp == "wrong":
        assert got >= 0
    else:
        assert got == -1
        written = np.concatenate([slots[a:b] for a, b in chunks])
        assert (written.view("<i8")[:, 1] == np.arange(first, first + n)).all()


def test_a_claim_that_does_not_match_the_records_is_refused() -> None:
    slots = np.zeros((CAPACITY, 128), dtype=np.uint8)
    records = np.zeros((3, 128), dtype=np.uint8)
    with pytest.raises(ValueError):
        write_records(slots, records, [(0, 2)], 1)
    with pytest.raises(ValueError):
        write_records(slots, records, [(15, 18)], 1)


def test_records_not_in_one_block_are_written_too() -> None:
    ring = np.zeros((CAPACITY, 128), dtype=np.uint8)
    wide = np.arange(4 * 256, dtype=np.uint16).astype(np.uint8).reshape(4, 256)
    records = wide[:, :128]  # rows 256 bytes apart: not C-contiguous
    assert write_records(ring, np.zeros((0, 128), np.uint8), [], 1) == -1
    assert not records.flags.c_contiguous
    clean = records.copy()
    clean.view("<i8")[:, 1] = 0
    wide[:, 8:16] = 0
    assert write_records(ring, records, [(2, 6)], 7) == -1
    assert (ring[2:6, 16:] == clean[:, 16:]).all()
    assert (ring[2:6].view("<i8")[:, 1] == [7, 8, 9, 10]).all()


def test_the_injector_publishes_through_it_and_names_a_wrong_seq_no() -> None:
    ring = RingBuffer.create(f"sequex-ringrows{os.getpid()}in", 8, 128, 1)
    try:
        injector = Injector(ring, base_seq=100)
        records = np.zeros((6, 128), dtype=np.uint8)
        records[:, 0] = 9  # any payload: the injector does not decode
        assert injector.try_publish(records) == 6
        assert ring.slots.view("<i8")[:6, 1].tolist() == list(range(101, 107))
        bad = np.zeros((2, 128), dtype=np.uint8)
        bad.view("<i8")[1, 1] = 55
        with pytest.raises(ValueError, match="record 1 carries seq_no 55, its slot is seq_no 108"):
            injector.try_publish(bad)
    finally:
        ring.close()
