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

``tests/engine/test_fix_records.py`` holds both to the per-message path, byte for byte,
compiled and uncompiled. Compiled by Cython (``engine.native``); the pure build runs the
same source.
"""

from __future__ import annotations

import struct
import zlib
from typing import Final

import cython

__all__ = ["index_records", "store_records"]

_RECORD: Final = struct.Struct("<IIQ")
_SEQ: Final = struct.Struct("<Q")
_INDEX_RECORD: Final = struct.Struct("<IIQ")


@cython.ccall
def store_records(
    first_seq: int, msg_type: str, sending_time: str, bodies: list[bytes], base: cython.Py_ssize_t
) -> tuple[bytes, list[tuple[int, int, int]]]:
    """The message-store records of ``bodies`` (MsgSeqNum ``first_seq`` on), and for each
    (MsgSeqNum, offset of its text, length of its text), the offsets counted from ``base``
    (where the records will start in the store's pending bytes)."""
    head = f"{msg_type}\x01{sending_time}\x01".encode("latin-1")
    head_len: cython.Py_ssize_t = len(head)
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
