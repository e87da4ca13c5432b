"""xxh3_64 checksums of many equal-sized frames at once: the journal's per-record checksum.

A record's checksum is xxh3_64 (seed 0, the default secret) of its whole frame with the
checksum field zeroed (``journal.layout``). Writing, verifying and replaying a journal hash
every record; one Python call per record costs more than the hashing itself. Compiled,
:func:`frame_checksums` hashes every row of a ``(n, size)`` frame array in one C loop, for
sizes of 129 to 240 bytes (the XXH3 mid-size class, which holds a 24-byte header with a
128-byte command record); other sizes, and the uncompiled build, call the xxhash package per
row. The compiled path is the algorithm of the XXH3 specification for that class, and the
tests hold it to the xxhash package's result on random frames of every size it takes.
"""

from __future__ import annotations

from typing import Any, Final

import cython
import numpy as np
import xxhash

if cython.compiled:
    from cython.cimports.libc.string import memcpy

#: XXH3's mid-size class: the sizes the compiled loop hashes itself.
MID_MIN: Final = 129
MID_MAX: Final = 240

# Specification constants (the first 136 bytes of the default secret are all this class reads).
_SECRET: Final = bytes.fromhex(
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
    "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
    "eac5ac8334d3ebc3"
)
_PRIME64_1: cython.ulonglong = 0x9E3779B185EBCA87
_PRIME_MX1: cython.ulonglong = 0x165667919E3779F9
# Cython reads literals beyond 2**31 as Python ints: every mask is a typed constant instead.
_LOW32: cython.ulonglong = 0xFFFFFFFF


@cython.cfunc
@cython.inline
def _read64(p: cython.p_const_uchar) -> cython.ulonglong:
    value: cython.ulonglong = 0
    if cython.compiled:
        memcpy(cython.address(value), p, 8)  # little-endian host, as the records are
    return value


@cython.cfunc
@cython.inline
def _mul_fold(a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """The 128-bit product of ``a`` and ``b``, its high and low halves xored."""
    lo_lo: cython.ulonglong = (a & _LOW32) * (b & _LOW32)
    hi_lo: cython.ulonglong = (a >> 32) * (b & _LOW32)
    lo_hi: cython.ulonglong = (a & _LOW32) * (b >> 32)
    hi_hi: cython.ulonglong = (a >> 32) * (b >> 32)
    cross: cython.ulonglong = (lo_lo >> 32) + (hi_lo & _LOW32) + lo_hi
    upper: cython.ulonglong = (hi_lo >> 32) + (cross >> 32) + hi_hi
    lower: cython.ulonglong = (cross << 32) | (lo_lo & _LOW32)
    return upper ^ lower


@cython.cfunc
@cython.inline
def _mix16(p: cython.p_const_uchar, s: cython.p_const_uchar) -> cython.ulonglong:
    return _mul_fold(_read64(p) ^ _read64(s), _read64(p + 8) ^ _read64(s + 8))


@cython.cfunc
@cython.inline
def _avalanche(h: cython.ulonglong) -> cython.ulonglong:
    h ^= h >> 37
    h *= _PRIME_MX1
    return h ^ (h >> 32)


@cython.cfunc
def _xxh3_mid(
    p: cython.p_const_uchar, size: cython.Py_ssize_t, secret: cython.p_const_uchar
) -> cython.ulonglong:
    """XXH3_64bits of 129..240 bytes at ``p`` (seed 0)."""
    length: cython.ulonglong = size
    acc: cython.ulonglong = length * _PRIME64_1
    i: cython.Py_ssize_t
    for i in range(8):
        acc += _mix16(p + 16 * i, secret + 16 * i)
    acc_end: cython.ulonglong = _mix16(p + size - 16, secret + 136 - 17)
    acc = _avalanche(acc)
    for i in range(8, size // 16):
        acc_end += _mix16(p + 16 * i, secret + 16 * (i - 8) + 3)
    return _avalanche(acc + acc_end)


def frame_checksums(frames: Any) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """xxh3_64 of every row of ``frames``, a C-contiguous ``(n, size)`` uint8 array."""
    count, size = frames.shape
    out = np.empty(count, dtype=np.uint64)
    if not cython.compiled or not MID_MIN <= size <= MID_MAX:
        digest = xxhash.xxh3_64_intdigest
        raw = frames.tobytes()
        out[:] = [digest(raw[o : o + size]) for o in range(0, len(raw), size)]
        return out
    view = cython.declare(cython.const[cython.uchar][:, ::1], frames)
    result = cython.declare(cython.ulonglong[::1], out)  # type: ignore[misc]
    key: bytes = _SECRET  # a local reference keeps the bytes alive while we point into them
    secret: cython.p_const_uchar = key
    row: cython.Py_ssize_t
    for row in range(count):
        result[row] = _xxh3_mid(cython.address(view[row, 0]), size, secret)
    return out
