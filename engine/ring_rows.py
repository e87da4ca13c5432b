"""Command records into ring[in]'s slots, each with its seq_no: the injector's write.

:func:`write_records` is what ``engine.stages.injector.Injector`` does with a claimed range:
check that no record carries a seq_no other than 0 or the one its slot gives it, then copy the
records into the slots and write each one's seq_no (word 1, bytes 8-15, little-endian). A
record with a wrong seq_no is a caller's bug: nothing is written and its index is returned.

Compiled (``engine.native``), both passes are C loops: a gateway publishes the few orders of
one socket read at a time, where numpy's fixed cost a call (about ten calls a publish) was most
of the write. Uncompiled, numpy does it as it did. ``tests/engine/test_ring_rows.py`` holds
the two to the same slots and the same answers.
"""

from __future__ import annotations

from typing import Any

import cython
import numpy as np

if cython.compiled:
    from cython.cimports.libc.string import memcpy

_RECORD: cython.Py_ssize_t = 128
_SEQ_WORD: cython.Py_ssize_t = 8  # byte offset of the seq_no word in a record


def write_records(
    slots: np.ndarray[Any, np.dtype[np.uint8]],
    records: np.ndarray[Any, np.dtype[np.uint8]],
    chunks: list[tuple[int, int]],
    first_seq: int,
) -> int:
    """Write ``records`` (``(n, 128)`` uint8) into ``slots`` (the ring's
    ``(capacity, 128)`` slot array) over ``chunks`` (the ring's ``(start, stop)`` ranges of
    the claim, in order), record ``i`` with seq_no ``first_seq + i``. Returns -1, or the index
    of the first record carrying another non-zero seq_no (then nothing is written)."""
    covered = 0
    for low, high in chunks:
        if not 0 <= low < high <= len(slots):
            raise ValueError(f"slots {low}..{high} are not a range of the ring's")
        covered += high - low
    if covered != len(records):
        raise ValueError(f"the claim covers {covered} slots for {len(records)} records")
    if not cython.compiled or not records.flags.c_contiguous:
        return _write_reference(slots, records, chunks, first_seq)
    src = cython.declare(cython.const[cython.uchar][:, ::1], records)
    dst = cython.declare(cython.uchar[:, ::1], slots)  # type: ignore[misc]
    n: cython.Py_ssize_t = src.shape[0]
    if n and (src.shape[1] != _RECORD or dst.shape[1] != _RECORD):
        raise ValueError(f"ring[in] records are {_RECORD} bytes")
    first: cython.longlong = first_seq
    i: cython.Py_ssize_t
    for i in range(n):
        given = _load_i64(cython.address(src[i, _SEQ_WORD]))
        if given != 0 and given != first + i:
            return i
    done: cython.Py_ssize_t = 0
    start: cython.Py_ssize_t
    stop: cython.Py_ssize_t
    for start, stop in chunks:
        for i in range(stop - start):
            _copy_row(cython.address(dst[start + i, 0]), cython.address(src[done + i, 0]))
            _store_i64(cython.address(dst[start + i, _SEQ_WORD]), first + done + i)
        done += stop - start
    return -1


def _write_reference(
    slots: np.ndarray[Any, np.dtype[np.uint8]],
    records: np.ndarray[Any, np.dtype[np.uint8]],
    chunks: list[tuple[int, int]],
    first_seq: int,
) -> int:
    expected = np.arange(first_seq, first_seq + len(records), dtype=np.int64)
    given = records.view("<i8")[:, 1]
    bad = np.flatnonzero((given != 0) & (given != expected))
    if len(bad):
        return int(bad[0])
    words = slots.view("<i8")
    done = 0
    for start, stop in chunks:
        n = stop - start
        slots[start:stop] = records[done : done + n]
        words[start:stop, 1] = expected[done : done + n]
        done += n
    return -1


@cython.cfunc
@cython.inline
def _load_i64(at: cython.p_const_uchar) -> cython.longlong:
    value: cython.longlong = 0
    if cython.compiled:
        memcpy(cython.address(value), at, 8)  # little-endian host, as the records are
    return value


@cython.cfunc
@cython.inline
def _store_i64(at: cython.p_uchar, value: cython.longlong) -> cython.void:
    if cython.compiled:
        memcpy(at, cython.address(value), 8)


@cython.cfunc
@cython.inline
def _copy_row(to: cython.p_uchar, src: cython.p_const_uchar) -> cython.void:
    if cython.compiled:
        memcpy(to, src, _RECORD)
