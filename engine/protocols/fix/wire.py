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

:func:`wrap_run` is a run of such messages with the same MsgType, CompIDs and SendingTime and
consecutive MsgSeqNums: the bytes ``Outbound.send_encoded`` makes of each body in turn.
Compiled, the run's size is counted first and every message written by C stores into one
bytes object, its CheckSum summed over what was just written; a MsgSeqNum of 10**18 or more
(and the pure build) takes the Python loop, which formats each message's numbers.

``tests/engine/test_fix_frames.py`` holds ``wrap`` and ``utc_stamp`` to the codec and the
formatter, ``tests/engine/test_fix_outbox_runs.py`` ``wrap_run`` to ``wrap`` of each message.
Compiled by Cython (``engine.native``); the pure build runs the same source.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.protocols.fix.timestamps import format_utc_timestamp

if cython.compiled:
    from cython.cimports.cpython.bytes import PyBytes_AS_STRING, PyBytes_FromStringAndSize
    from cython.cimports.libc.string import memcpy

__all__ = ["bytes_sum", "utc_stamp", "wrap", "wrap_run"]

_MAX_NS = 9_223_372_036_854_775_807  # int64: the year 2262, past which nothing is kept
_MAX_SEQ = 1_000_000_000_000_000_000  # MsgSeqNums below it: the C loop's (19 digits at most)

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


@cython.ccall
def wrap_run(
    msg_type: str, sender: str, target: str, first_seq: int, sending_time: str, bodies: list[bytes]
) -> bytes:
    """The whole messages of ``bodies``, MsgSeqNum ``first_seq`` on: for each, ``wrap`` of the
    header ``35=<msg_type> 49=<sender> 56=<target> 34=<seq> 52=<sending_time>`` (each field
    ending in SOH) and the body, as ``Outbound.send_encoded`` writes one message."""
    before = b"35=%s\x0149=%s\x0156=%s\x0134=" % (
        msg_type.encode("latin-1"),
        sender.encode("latin-1"),
        target.encode("latin-1"),
    )
    after = b"\x0152=%s\x01" % sending_time.encode("latin-1")
    fixed_sum: cython.longlong = bytes_sum(before) + bytes_sum(after)
    fixed_len: cython.Py_ssize_t = len(before) + len(after)
    if cython.compiled and bodies and 0 < first_seq < _MAX_SEQ:
        return _stored_run(before, after, first_seq, bodies)
    out = bytearray()
    seq = first_seq
    for body in bodies:
        digits = b"%d" % seq
        prefix = b"8=FIX.4.4\x019=%d\x01" % (fixed_len + len(digits) + len(body))
        total: cython.longlong = bytes_sum(prefix) + fixed_sum + bytes_sum(digits) + bytes_sum(body)
        out += prefix
        out += before
        out += digits
        out += after
        out += body
        out += b"10=%03d\x01" % (total & 0xFF)
        seq += 1
    return bytes(out)


@cython.cfunc
@cython.cdivision(True)
def _digits(value: cython.ulonglong) -> cython.Py_ssize_t:
    """How many decimal digits ``value`` has."""
    count: cython.Py_ssize_t = 1
    while value >= 10:
        value //= 10
        count += 1
    return count


@cython.cfunc
@cython.cdivision(True)
def _put_digits(p: cython.p_uchar, value: cython.ulonglong, count: cython.Py_ssize_t) -> None:
    """``value`` in ``count`` decimal digits at ``p`` (zero-padded on the left)."""
    i: cython.Py_ssize_t
    for i in range(count - 1, -1, -1):
        p[i] = cython.cast(cython.uchar, 48 + value % 10)
        value //= 10


@cython.cfunc
def _stored_run(before: bytes, after: bytes, first_seq: int, bodies: list[bytes]) -> bytes:
    """``wrap_run``'s bytes written by C stores into one bytes object (compiled only): the
    sizes first, then each message and its CheckSum, summed over what was just written."""
    if cython.compiled:
        head_len: cython.Py_ssize_t = len(before) + len(after)
        seq: cython.ulonglong = first_seq
        total: cython.Py_ssize_t = 0
        body_len: cython.Py_ssize_t
        k: cython.Py_ssize_t
        body: bytes
        for k in range(len(bodies)):
            body = bodies[k]
            body_len = head_len + _digits(seq + k) + len(body)
            total += 13 + _digits(body_len) + body_len + 7  # 8=FIX.4.4|9=n| ... 10=sss|
        data = PyBytes_FromStringAndSize(cython.NULL, total)
        p: cython.p_uchar = cython.cast(cython.p_uchar, PyBytes_AS_STRING(data))
        start: cython.p_uchar
        q: cython.p_uchar
        check: cython.uint
        n: cython.Py_ssize_t
        for k in range(len(bodies)):
            body = bodies[k]
            start = p
            n = _digits(seq + k)
            body_len = head_len + n + len(body)
            memcpy(p, b"8=FIX.4.4\x019=", 12)
            p += 12
            _put_digits(p, body_len, _digits(body_len))
            p += _digits(body_len)
            p[0] = 1
            p += 1
            memcpy(p, PyBytes_AS_STRING(before), len(before))
            p += len(before)
            _put_digits(p, seq + k, n)
            p += n
            memcpy(p, PyBytes_AS_STRING(after), len(after))
            p += len(after)
            memcpy(p, PyBytes_AS_STRING(body), len(body))
            p += len(body)
            check = 0
            q = start
            while q < p:
                check += q[0]
                q += 1
            memcpy(p, b"10=", 3)
            _put_digits(p + 3, check & 0xFF, 3)
            p[6] = 1
            p += 7
        return data
    return b""
