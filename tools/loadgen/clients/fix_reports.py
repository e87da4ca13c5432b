"""The FIX load client's fast lane: ExecutionReports read straight from the received bytes.

:func:`scan_reports` reads the messages at the front of a read while each is a whole, well
framed ExecutionReport (``8=FIX.4.4``, a BodyLength that ends where ``10=`` starts, the
CheckSum right, MsgType(35) ``8`` first) whose every field is a plain ``tag=value`` (tag of
1 to 9 digits, a value, none of the tags the codec reads as a repeating group or a data
length), and appends each one's ``(ExecType(150), ClOrdID(11), Text(58) or
OrdRejReason(103), LastLiquidityInd(851))``, each ``""`` when absent and the first of a tag
that appears twice: what ``FixInitiator`` makes of the same message through the framer and
the codec (``ExecReport``). It returns ``(where it stopped, how many it read)``. The first
message that is anything else (a session message, a fault, a message not whole yet) is left
where it is, for the session: it and what follows go the generic way, so no outcome
changes. ``tests/tools/loadgen/test_fix_reports.py`` holds it to the generic path.

Compiled (Cython, pure-Python mode: ``engine.native.COMPILED_MODULES``): this loop sees
every report of a run; the same source runs uncompiled.
"""

from __future__ import annotations

from typing import Final

import cython

__all__ = ["ExecFields", "scan_reports"]

#: (ExecType(150), ClOrdID(11), Text(58) or OrdRejReason(103), LastLiquidityInd(851))
ExecFields = tuple[str, str, str, str]

_PREFIX: Final = b"8=FIX.4.4\x019="
_PREFIX_LEN: Final = 12
_TYPE: Final = b"35=8\x01"
_MAX_SIZE: Final = 64 * 1024  # the framer's max_message_size: past it, the framer's fault


@cython.cfunc
@cython.boundscheck(False)
@cython.wraparound(False)
def _message_end(buf: bytes, pos: cython.Py_ssize_t, end: cython.Py_ssize_t) -> cython.Py_ssize_t:
    """Where the CheckSum(10) field of the well-framed message at ``buf[pos:]`` starts, or
    -1 (anything else)."""
    if end - pos < _PREFIX_LEN or buf[pos : pos + _PREFIX_LEN] != _PREFIX:
        return -1
    i: cython.Py_ssize_t = pos + _PREFIX_LEN
    length: cython.Py_ssize_t = 0
    c: cython.uchar
    while i < end and i - pos - _PREFIX_LEN < 9:
        c = buf[i]
        if c < 0x30 or c > 0x39:
            break
        length = length * 10 + (c - 0x30)
        i += 1
    if i >= end or i == pos + _PREFIX_LEN or buf[i] != 1:
        return -1
    body: cython.Py_ssize_t = i + 1
    trailer: cython.Py_ssize_t = body + length
    stop: cython.Py_ssize_t = trailer + 7
    if length == 0 or stop - pos > _MAX_SIZE or stop > end or buf[trailer - 1] != 1:
        return -1
    if buf[trailer] != 0x31 or buf[trailer + 1] != 0x30 or buf[trailer + 2] != 0x3D:
        return -1
    if buf[stop - 1] != 1:
        return -1
    total: cython.Py_ssize_t = 0
    for i in range(pos, trailer):
        total += buf[i]
    given: cython.Py_ssize_t = 0
    for i in range(trailer + 3, trailer + 6):
        c = buf[i]
        if c < 0x30 or c > 0x39:
            return -1
        given = given * 10 + (c - 0x30)
    if given != total % 256:
        return -1
    return trailer


@cython.ccall
@cython.boundscheck(False)
@cython.wraparound(False)
def scan_reports(buf: bytes, out: list[ExecFields]) -> tuple[int, int]:
    """Append the fields of the ExecutionReports at the front of ``buf`` to ``out``;
    ``(where it stopped, reports read)`` (see the module docstring)."""
    pos: cython.Py_ssize_t = 0
    end: cython.Py_ssize_t = len(buf)
    count: cython.Py_ssize_t = 0
    body: cython.Py_ssize_t
    stop: cython.Py_ssize_t
    i: cython.Py_ssize_t
    j: cython.Py_ssize_t
    tag: cython.longlong
    c: cython.uchar
    while pos < end:
        stop = _message_end(buf, pos, end)  # the trailer
        if stop < 0:
            break
        body = buf.index(b"\x01", pos + _PREFIX_LEN) + 1
        if buf[body : body + 5] != _TYPE:
            break
        exec_type = cl_ord_id = text = reason = liquidity = None
        i = body
        plain: cython.bint = True
        while i < stop:
            tag = 0
            j = i
            while j < stop and j - i < 10:
                c = buf[j]
                if c < 0x30 or c > 0x39:
                    break
                tag = tag * 10 + (c - 0x30)
                j += 1
            if j == i or j - i > 9 or j >= stop or buf[j] != 0x3D or tag == 0:
                plain = False
                break
            if tag == 453 or tag == 384 or tag == 90 or tag == 93 or tag == 95:
                plain = False  # a group or a data field: the codec's
                break
            if tag == 212 or tag == 354:
                plain = False
                break
            i = j + 1
            while buf[i] != 1:  # the body ends with SOH (framed)
                i += 1
            if i == j + 1:
                plain = False  # an empty value: a fault the codec notes
                break
            # the first of a tag is the one the codec's index keeps
            if tag == 150:
                if exec_type is None:
                    exec_type = buf[j + 1 : i].decode("latin-1")
            elif tag == 11:
                if cl_ord_id is None:
                    cl_ord_id = buf[j + 1 : i].decode("latin-1")
            elif tag == 58:
                if text is None:
                    text = buf[j + 1 : i].decode("latin-1")
            elif tag == 103:
                if reason is None:
                    reason = buf[j + 1 : i].decode("latin-1")
            elif tag == 851 and liquidity is None:
                liquidity = buf[j + 1 : i].decode("latin-1")
            i += 1
        if not plain:
            break
        out.append((exec_type or "", cl_ord_id or "", text or reason or "", liquidity or ""))
        count += 1
        pos = stop + 7
    return pos, count
