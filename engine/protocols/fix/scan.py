"""The FIX framer's fast lane: the CheckSum and the fields of a plain message, in C loops.

:func:`byte_sum` is the CheckSum(10) of ``buf[start:stop]`` (the sum of the bytes, modulo
256), what :func:`~.codec.checksum` computes, without a Python int per byte.

:func:`plain_message` reads the fields of a framed message (``raw[start:end]``, the bytes
between BodyLength(9) and CheckSum(10), ending with SOH) when the message is *plain*: every
field a tag of 1 to 9 ASCII digits (not 0), ``=`` and a non-empty value, MsgType(35) first,
no tag twice, no repeating group this codec knows (NoPartyIDs(453), NoMsgTypes(384)) and no
length-prefixed data field (RawDataLength(95) and the like). It returns the
:class:`~.codec.FixMessage` that :func:`~.codec.decode_fields` makes of those bytes (the same
fields, index and ``raw``; no problem, no groups) or None for anything else, which the framer
then hands to :func:`~.codec.decode_fields`: every message that may carry a tag-level fault
(and so a Reject with its SessionRejectReason) goes the generic way, as before.

So the lane changes no outcome: ``tests/engine/protocols/fix/test_scan.py`` holds it to
:func:`~.codec.decode_fields` for random messages, valid and not, and the framer to the same
events fed whole or byte by byte. The session's checks (CompIDs, SendingTime, MsgSeqNum,
PossDup) run on the message it returns exactly as on any other.

Compiled by Cython (``engine.native``): the byte loops are C loops; the pure build runs the
same source.
"""

from __future__ import annotations

from typing import Final

import cython

from engine.protocols.fix.codec import FixMessage

__all__ = ["byte_sum", "plain_message"]

_SOH: Final = 1
_EQUALS: Final = 0x3D
_MSG_TYPE: Final = 35
#: Tags the generic parser gives a meaning beyond tag=value: the NumInGroup tags of the
#: groups it knows (their instances repeat tags) and the length tags of data fields (a data
#: value may hold SOH). A message with any of them is the generic parser's.
_SPECIAL: Final = frozenset({453, 384, 90, 93, 95, 212, 354})
_MAX_TAG_DIGITS: Final = 9


@cython.ccall
@cython.boundscheck(False)
@cython.wraparound(False)
def byte_sum(buf: bytearray, start: cython.Py_ssize_t, stop: cython.Py_ssize_t) -> cython.int:
    """The sum of ``buf[start:stop]`` modulo 256 (``0 <= start <= stop <= len(buf)``)."""
    if stop > len(buf) or start < 0 or start > stop:
        raise ValueError(f"[{start}:{stop}] is not within the buffer's {len(buf)} bytes")
    if not cython.compiled:
        return sum(memoryview(buf)[start:stop]) & 0xFF
    total: cython.ulonglong = 0
    i: cython.Py_ssize_t
    for i in range(start, stop):
        total += buf[i]
    return cython.cast(cython.int, total & 0xFF)


@cython.ccall
@cython.boundscheck(False)
@cython.wraparound(False)
def plain_message(
    raw: bytes, start: cython.Py_ssize_t, end: cython.Py_ssize_t
) -> FixMessage | None:
    """The FixMessage of the plain body ``raw[start:end]`` (see the module docstring), or
    None when it is not plain."""
    if end > len(raw) or start < 0 or start > end:
        raise ValueError(f"[{start}:{end}] is not within the message's {len(raw)} bytes")
    fields: list[tuple[int, str]] = []
    index: dict[int, str] = {}
    pos: cython.Py_ssize_t = start
    i: cython.Py_ssize_t
    j: cython.Py_ssize_t
    tag: cython.longlong
    c: cython.uchar
    while pos < end:
        tag = 0
        i = pos
        while i < end and i - pos <= _MAX_TAG_DIGITS:
            c = raw[i]
            if c < 0x30 or c > 0x39:
                break
            tag = tag * 10 + (c - 0x30)
            i += 1
        if i == pos or i - pos > _MAX_TAG_DIGITS or i >= end or raw[i] != _EQUALS or tag == 0:
            return None
        j = i + 1
        while j < end and raw[j] != _SOH:
            j += 1
        if j == i + 1 or j >= end:
            return None  # an empty value (or no SOH: never, once framed)
        if tag in index or tag in _SPECIAL:
            return None
        value = raw[i + 1 : j].decode("latin-1")
        index[tag] = value
        fields.append((tag, value))
        pos = j + 1
    if not fields or fields[0][0] != _MSG_TYPE:
        return None
    return FixMessage(fields[0][1], tuple(fields), None, {}, raw, index)
