"""Copying a str field into a fixed-size binary field with C stores (compiled build only).

The compiled record writers (``engine.event_codec``, ``engine.gateway.stamping``,
``engine.gateway.report_records``, ``engine.gateway.ouch_frames``) share one rule for text:
a field takes an ASCII ``str`` of at most its size, copied as it is; anything else (not a
``str``, too long, a character above 127, and a NUL where the format forbids one) is refused,
and the writer hands the whole record to its reference encoder, which pads, truncates or
raises as ``struct`` does. The caller pads the rest of the field (NULs of a zeroed record,
or OUCH's spaces).

Uncompiled, :func:`copy_ascii` checks only the type and the length and writes nothing: the
writers' pure paths never take the C path's bytes.
"""

from __future__ import annotations

from typing import Any

import cython

if cython.compiled:
    from cython.cimports.cpython.unicode import PyUnicode_1BYTE_DATA, PyUnicode_KIND
    from cython.cimports.libc.string import memcpy


@cython.cfunc
def copy_ascii(
    p: cython.p_uchar, value: Any, size: cython.Py_ssize_t, nul_ok: cython.bint
) -> cython.Py_ssize_t:
    """Copy ``value`` to ``p`` if it is an ASCII str of at most ``size`` characters (without a
    NUL unless ``nul_ok``); its length, or -1 (nothing written) when it is not."""
    if type(value) is not str:
        return -1
    text: str = value
    n: cython.Py_ssize_t = len(text)
    if n > size:
        return -1
    if cython.compiled:
        if PyUnicode_KIND(text) != 1:
            return -1
        data: cython.p_uchar = PyUnicode_1BYTE_DATA(text)
        i: cython.Py_ssize_t
        for i in range(n):
            if data[i] > 127 or (data[i] == 0 and not nul_ok):
                return -1
        memcpy(p, data, n)
    return n
