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

:func:`frame_plain` is the framer's happy path in one C pass: at a position of its buffer,
a whole message (``8=FIX.4.4 SOH 9=<length> SOH``, the body, ``10=<sum> SOH``) whose
CheckSum is right and whose body is plain becomes its FixMessage and the position after it;
anything else (not whole yet, too long, garbled, a wrong CheckSum, not plain) gives None and
leaves the framer's own code to say what it is, from the same position.

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

__all__ = ["byte_sum", "frame_plain", "plain_message"]

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
    return _message(fields[0][1], tuple(fields), raw, index)


_new = object.__new__
if cython.compiled:  # what object.__setattr__ calls, without the call
    from cython.cimports.cpython.object import PyObject_GenericSetAttr as _set
else:
    _set = object.__setattr__


@cython.cfunc
def _message(
    msg_type: str, fields: tuple[tuple[int, str], ...], raw: bytes, index: dict[int, str]
) -> FixMessage:
    """``FixMessage(msg_type, fields, None, {}, raw, index)`` without the dataclass's
    ``__init__`` and ``__post_init__`` (which indexes only a message built without an index:
    this one has its index, never empty): the frozen fields set as ``__init__`` sets them."""
    message = _new(FixMessage)
    _set(message, "msg_type", msg_type)
    _set(message, "fields", fields)
    _set(message, "problem", None)
    _set(message, "groups", {})
    _set(message, "raw", raw)
    _set(message, "_index", index)
    return message


_PREFIX: Final = b"8=FIX.4.4\x019="
_MAX_LENGTH_DIGITS: Final = 9
_TRAILER_LEN: Final = 7  # 10=nnn<SOH>


@cython.ccall
@cython.boundscheck(False)
@cython.wraparound(False)
def frame_plain(
    buf: bytearray, pos: cython.Py_ssize_t, max_size: cython.Py_ssize_t
) -> tuple[FixMessage, int] | None:
    """The plain message that starts at ``buf[pos]`` and the position after it, or None (see
    the module docstring)."""
    size: cython.Py_ssize_t = len(buf)
    if pos < 0 or pos > size:
        raise ValueError(f"position {pos} is not within the buffer's {size} bytes")
    prefix: bytes = _PREFIX
    prefix_len: cython.Py_ssize_t = len(prefix)
    if size - pos < prefix_len:
        return None
    i: cython.Py_ssize_t
    for i in range(prefix_len):
        if buf[pos + i] != prefix[i]:
            return None
    at: cython.Py_ssize_t = pos + prefix_len
    body_len: cython.Py_ssize_t = 0
    c: cython.uchar
    i = at
    while i < size and i - at < _MAX_LENGTH_DIGITS:
        c = buf[i]
        if c < 0x30 or c > 0x39:
            break
        body_len = body_len * 10 + (c - 0x30)
        i += 1
    if i == at or i >= size or buf[i] != _SOH:
        return None
    body_at: cython.Py_ssize_t = i + 1
    total: cython.Py_ssize_t = body_at - pos + body_len + _TRAILER_LEN
    if body_len == 0 or total > max_size or size - pos < total:
        return None
    trailer_at: cython.Py_ssize_t = body_at + body_len
    if (
        buf[trailer_at - 1] != _SOH
        or buf[trailer_at] != 0x31
        or buf[trailer_at + 1] != 0x30
        or buf[trailer_at + 2] != _EQUALS
        or buf[trailer_at + 6] != _SOH
    ):
        return None
    stated: cython.int = 0
    for i in range(trailer_at + 3, trailer_at + 6):
        c = buf[i]
        if c < 0x30 or c > 0x39:
            return None
        stated = stated * 10 + (c - 0x30)
    if byte_sum(buf, pos, trailer_at) != stated:
        return None
    raw = bytes(buf[pos : pos + total])
    message = plain_message(raw, body_at - pos, trailer_at - pos)
    if message is None:
        return None
    return message, pos + total
