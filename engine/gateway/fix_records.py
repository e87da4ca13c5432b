"""The records of a FIX session's files for a run of messages, in C loops.

A session sends the ExecutionReports of a batch of reports as one run: consecutive
MsgSeqNums, one MsgType and one SendingTime (``Outbound.send_encoded_run``). Their records
in the message store and in the report index (``engine.gateway.fix_files``, which documents
both layouts) are built here at once, instead of one ``StoredMessage`` and one record per
message:

* :func:`store_records` is what ``FileMessageStore.save`` appends for each message of the
  run in turn (``length | crc32(seq + text) | seq | text``, the text being
  ``MsgType SOH SendingTime SOH body``), and the entries it keeps for its in-memory index;
* :func:`index_records` is what ``ReportIndex.note`` appends for each of the run's reports.

Compiled, a run's message-store records are written by C stores into one bytes object, with
one ``zlib.crc32`` call a record over its MsgSeqNum and text as written (the Python loop
chains three); the pure build, and a MsgSeqNum past a u64, take the Python loop.

``tests/engine/test_fix_outbox_runs.py`` holds both to the per-message path, byte for byte,
compiled and uncompiled. Compiled by Cython (``engine.native``); the pure build runs the
same source.
"""

from __future__ import annotations

import struct
import zlib
from typing import Final

import cython

if cython.compiled:
    from cython.cimports.cpython.bytes import PyBytes_AS_STRING, PyBytes_FromStringAndSize
    from cython.cimports.libc.string import memcpy

__all__ = ["index_records", "store_records"]

_RECORD: Final = struct.Struct("<IIQ")
_SEQ: Final = struct.Struct("<Q")
_INDEX_RECORD: Final = struct.Struct("<IIQ")
_MAX_SEQ = 0xFFFF_FFFF_FFFF_FFFF  # a MsgSeqNum's u64 (past it, pack raises)
_MAX_LENGTH: cython.Py_ssize_t = 0xFFFF_FFFF  # a record's u32 length


@cython.ccall
def store_records(
    first_seq: int, msg_type: str, sending_time: str, bodies: list[bytes], base: cython.Py_ssize_t
) -> tuple[bytes, list[tuple[int, int, int]]]:
    """The message-store records of ``bodies`` (MsgSeqNum ``first_seq`` on), and for each
    (MsgSeqNum, offset of its text, length of its text), the offsets counted from ``base``
    (where the records will start in the store's pending bytes)."""
    head = f"{msg_type}\x01{sending_time}\x01".encode("latin-1")
    head_len: cython.Py_ssize_t = len(head)
    if cython.compiled and first_seq >= 0 and first_seq + len(bodies) <= _MAX_SEQ:
        return _stored(first_seq, head, bodies, base)
    record_size: cython.Py_ssize_t = _RECORD.size
    pack, seq_pack, crc32 = _RECORD.pack, _SEQ.pack, zlib.crc32
    out = bytearray()
    entries: list[tuple[int, int, int]] = []
    seq = first_seq
    length: cython.Py_ssize_t
    for body in bodies:
        length = head_len + len(body)
        crc = crc32(body, crc32(head, crc32(seq_pack(seq))))
        entries.append((seq, base + len(out) + record_size, length))
        out += pack(length, crc, seq)
        out += head
        out += body
        seq += 1
    return bytes(out), entries


@cython.ccall
def index_records(
    first_seq: int, first_number: int, count: cython.Py_ssize_t, sent_ns: int
) -> bytes:
    """The report-index records of ``count`` reports, numbered ``first_number`` on, sent as
    MsgSeqNums ``first_seq`` on at ``sent_ns``."""
    pack = _INDEX_RECORD.pack
    out = bytearray()
    i: cython.Py_ssize_t
    for i in range(count):
        out += pack(first_seq + i, first_number + i, sent_ns)
    return bytes(out)


@cython.cfunc
def _le(p: cython.p_uchar, value: cython.ulonglong, size: cython.int) -> None:
    """``value`` little-endian in ``size`` bytes at ``p``."""
    i: cython.int
    for i in range(size):
        p[i] = cython.cast(cython.uchar, value & 0xFF)
        value >>= 8


@cython.cfunc
def _stored(
    first_seq: int, head: bytes, bodies: list[bytes], base: cython.Py_ssize_t
) -> tuple[bytes, list[tuple[int, int, int]]]:
    """``store_records``' records written by C stores into one bytes object (compiled only):
    the sizes first, then each record, its CRC-32 taken over its MsgSeqNum and text as
    written (one ``zlib.crc32`` a record, not three)."""
    entries: list[tuple[int, int, int]] = []
    if cython.compiled:
        # our own snapshot: zlib.crc32 lets go of the GIL on long inputs, and the writes
        # must see exactly the bodies the sizes were counted over
        items: tuple[bytes, ...] = tuple(bodies)
        head_len: cython.Py_ssize_t = len(head)
        total: cython.Py_ssize_t = 0
        body: bytes
        for body in items:
            if head_len + len(body) > _MAX_LENGTH:
                raise struct.error("a message store record's length is past a u32")
            total += 16 + head_len + len(body)
        data = PyBytes_FromStringAndSize(cython.NULL, total)
        p: cython.p_uchar = cython.cast(cython.p_uchar, PyBytes_AS_STRING(data))
        view = memoryview(data)
        crc32 = zlib.crc32
        seq: cython.ulonglong = first_seq
        at: cython.Py_ssize_t = 0
        length: cython.Py_ssize_t
        for body in items:
            length = head_len + len(body)
            _le(p + at, length, 4)
            _le(p + at + 8, seq, 8)
            memcpy(p + at + 16, PyBytes_AS_STRING(head), head_len)
            memcpy(p + at + 16 + head_len, PyBytes_AS_STRING(body), len(body))
            _le(p + at + 4, crc32(view[at + 8 : at + 16 + length]), 4)
            entries.append((seq, base + at + 16, length))
            at += 16 + length
            seq += 1
        view.release()
        return data, entries
    return b"", entries
