"""Interned text fields of the records: one str per distinct account, firm or symbol.

The record codecs (`engine.command_reader`, `engine.event_codec`) read NUL-padded ASCII
fields of up to 16 bytes millions of times, from a handful of distinct values. Compiled,
:class:`TextCache` finds the str of a field from its raw bytes without allocating anything:
the field's bytes as two 64-bit words pick a slot of a direct-mapped table (a colliding value
simply replaces the one there: it is a cache, not a map), and both words must match. Uncompiled
it is a dict keyed by the raw bytes. Either way the answer is ``raw.rstrip(b"\\0")`` decoded as
ASCII, or None when the bytes are not ASCII (the caller then asks the reference codec, which
raises its error).
"""

from __future__ import annotations

from typing import Any

import cython

if cython.compiled:
    from cython.cimports.libc.string import memcpy

SLOTS = 4096  # 2**12: the slot is the top 12 bits of a 64-bit hash
_GOLDEN: cython.ulonglong = 0x9E3779B97F4A7C15  # 2**64 / golden ratio (Fibonacci hashing)


@cython.final
@cython.cclass
class TextCache:
    """The table: per slot the field's two words (C arrays declared in text_cache.pxd, zero
    when the object is made) and its str (None: empty)."""

    _text: list[Any]

    def __init__(self) -> None:
        self._text = [None] * SLOTS

    @cython.cfunc
    def lookup(self, p: cython.p_const_uchar, size: cython.Py_ssize_t) -> Any:
        """The str of the NUL-padded field of ``size`` (8 or 16; others are not cached)
        bytes at ``p``, or None if it is not ASCII."""
        w0: cython.ulonglong = 0
        w1: cython.ulonglong = 0
        if cython.compiled:
            if size == 16:  # constant sizes: the compiler turns these into two loads
                memcpy(cython.address(w0), p, 8)
                memcpy(cython.address(w1), p + 8, 8)
            elif size == 8:
                memcpy(cython.address(w0), p, 8)
            else:
                return ascii_field(p, size)
        if not cython.compiled:
            return ascii_field(p, size)  # the uncompiled codecs never get here
        mixed: cython.ulonglong = (w0 * _GOLDEN) ^ w1  # unsigned: wraps modulo 2**64
        slot: cython.Py_ssize_t = mixed >> 52
        if self._w0[slot] == w0 and self._w1[slot] == w1 and self._text[slot] is not None:
            return self._text[slot]
        text = ascii_field(p, size)
        if text is not None:
            self._w0[slot] = w0
            self._w1[slot] = w1
            self._text[slot] = text
        return text


@cython.cfunc
def ascii_field(p: cython.p_const_uchar, size: cython.Py_ssize_t) -> Any:
    """A NUL-padded field as str (trailing NULs stripped), or None if it is not ASCII."""
    n: cython.Py_ssize_t = size
    while n > 0 and p[n - 1] == 0:
        n -= 1
    i: cython.Py_ssize_t
    for i in range(n):
        if p[i] > 127:
            return None
    return p[:n].decode("ascii")
