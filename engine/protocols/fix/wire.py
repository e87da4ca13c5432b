"""Whole FIX messages around bodies encoded already: the out side's framing, in C loops.

:func:`wrap` puts ``8=FIX.4.4<SOH>9=<n><SOH>`` before ``head + body`` (the MsgType and the
standard header, then the body, each ``tag=value<SOH>``) and ``10=<sum><SOH>`` after, where
``n`` is their length and the sum is the CheckSum of everything before it: what
:func:`~.codec.encode` makes of the same fields, without encoding them again. A session
sends an ExecutionReport whose body the gateway wrote straight from its report this way
(``FixSession.send_encoded``), and keeps the same body bytes in its message store.

:func:`utc_stamp` is :func:`~.timestamps.format_utc_timestamp` with the texts of the last
two milliseconds asked for kept: the messages of one flush, and the reports of one batch, share
their SendingTime and TransactTime texts. It depends on nothing but its argument.

``tests/engine/protocols/fix/test_wire.py`` holds both to the codec and the formatter.
Compiled by Cython (``engine.native``); the pure build runs the same source.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.protocols.fix.timestamps import format_utc_timestamp

__all__ = ["bytes_sum", "utc_stamp", "wrap"]

_MAX_NS = 9_223_372_036_854_775_807  # int64: the year 2262, past which nothing is kept

# two milliseconds kept: a flush stamps SendingTimes (now) and TransactTimes (the reports'
# times) in turn, which one slot would lose at every call
_ms_a: cython.longlong = -1
_text_a: str = ""
_ms_b: cython.longlong = -1
_text_b: str = ""
_next_is_a: cython.bint = True


@cython.ccall
def utc_stamp(ns: Any) -> str:
    """``format_utc_timestamp(ns)``; the texts of the last two milliseconds asked for are
    kept."""
    global _ms_a, _text_a, _ms_b, _text_b, _next_is_a
    if type(ns) is int and 0 <= ns <= _MAX_NS:
        ms: cython.longlong = ns // 1_000_000  # it alone decides the text (truncated to ms)
        if ms == _ms_a:
            return _text_a
        if ms == _ms_b:
            return _text_b
        text = format_utc_timestamp(ns)
        if _next_is_a:
            _ms_a, _text_a = ms, text
        else:
            _ms_b, _text_b = ms, text
        _next_is_a = not _next_is_a
        return text
    return format_utc_timestamp(ns)


@cython.ccall
@cython.boundscheck(False)
@cython.wraparound(False)
def bytes_sum(data: bytes) -> cython.longlong:
    """The sum of the bytes of ``data`` (not reduced)."""
    if not cython.compiled:
        return sum(data)
    total: cython.longlong = 0
    i: cython.Py_ssize_t
    for i in range(len(data)):
        total += data[i]
    return total


@cython.ccall
def wrap(head: bytes, body: bytes) -> bytes:
    """The whole message of ``head + body`` (see the module docstring)."""
    prefix = b"8=FIX.4.4\x019=%d\x01" % (len(head) + len(body))
    total = bytes_sum(prefix) + bytes_sum(head) + bytes_sum(body)
    return b"".join((prefix, head, body, b"10=%03d\x01" % (total & 0xFF)))
