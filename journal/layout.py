"""Byte layout of the journal: segment file header, record frame, index entries, snapshot header.

This module is the single description of the on-disk format (the "descriptor"); every other
module reads and writes bytes through the struct formats and offsets defined here. All integers
are little-endian.

Segment file (``journal-<first_seq:020d>.log``)::

    +--------------------+----------+----------+-----+----------+
    | file header (96 B) | record 0 | record 1 | ... | record n |
    +--------------------+----------+----------+-----+----------+

File header (FILE_HEADER_SIZE = 96 bytes)::

     0       8        10         12         16          24                 88        96
     +-------+--------+----------+----------+-----------+------------------+---------+
     | magic | version| user_len | reserved | first_seq | user header      | hdr_sum |
     | 8s    | u16    | u16      | u32 (0)  | u64       | 64s, zero padded | u64     |
     +-------+--------+----------+----------+-----------+------------------+---------+

``first_seq`` is a lower bound of the seqs in the segment and greater than every seq of the
previous segments; a segment created by a roll starts exactly at it. The user header is opaque to
the journal (at most USER_HEADER_MAX bytes; the host stores e.g. its feedback window there); the
writer copies it into every segment. ``hdr_sum`` is xxh3_64 of bytes [0, 88).

Record (RECORD_HEADER_SIZE = 24 bytes + payload, no padding)::

     0        4        8         16         24
     +--------+--------+---------+----------+-------------------+
     | length | type   | seq     | checksum | payload           |
     | u32    | u32    | u64     | u64      | `length` bytes    |
     +--------+--------+---------+----------+-------------------+

``checksum`` is xxh3_64 (seed 0) of the whole record (header and payload) with the checksum
field read as eight zero bytes, so a flipped bit anywhere in the frame is detected. Seqs are
strictly increasing across the whole journal (gaps are allowed).

Index sidecar (``journal-<first_seq:020d>.idx``): a flat array of INDEX_ENTRY (seq u64,
offset u64) pairs, one for the first record starting at or after every INDEX_STRIDE bytes of
the segment. It is a hint, written without fsync: readers verify the record an entry points at
and fall back to scanning from the file header when it does not match.

Snapshot file (``snapshot-<seq:020d>.snap``): SNAPSHOT_HEADER then the opaque payload::

     0       8         10         12         16     24            32         40
     +-------+---------+----------+----------+------+-------------+----------+---------+
     | magic | version | reserved | reserved | seq  | payload_len | checksum | payload |
     | 8s    | u16     | u16 (0)  | u32 (0)  | u64  | u64         | u64      |         |
     +-------+---------+----------+----------+------+-------------+----------+---------+

The snapshot checksum is xxh3_64 of bytes [0, 32) followed by the payload.
"""

from __future__ import annotations

import re
import struct
from typing import Final

import xxhash

from journal.errors import JournalFormatError

# --- segment file header ------------------------------------------------------------------
FILE_MAGIC: Final = b"SQXJRNL\x00"
FORMAT_VERSION: Final = 1
USER_HEADER_MAX: Final = 64
FILE_HEADER: Final = struct.Struct(f"<8sHHIQ{USER_HEADER_MAX}sQ")
FILE_HEADER_SIZE: Final = FILE_HEADER.size  # 96
FILE_HEADER_SUM_OFFSET: Final = 88
assert FILE_HEADER_SIZE == 96

# --- record frame -------------------------------------------------------------------------
RECORD_HEADER: Final = struct.Struct("<IIQQ")  # length, type, seq, checksum
RECORD_HEADER_SIZE: Final = RECORD_HEADER.size  # 24
LENGTH_OFFSET: Final = 0
TYPE_OFFSET: Final = 4
SEQ_OFFSET: Final = 8
CHECKSUM_OFFSET: Final = 16
PAYLOAD_OFFSET: Final = 24
CHECKSUM_FIELD: Final = struct.Struct("<Q")
ZERO_CHECKSUM: Final = b"\x00" * 8
# A length above this cannot come from the writer; recovery treats it as garbage rather than
# trying to read gigabytes.
MAX_PAYLOAD: Final = 16 * 1024 * 1024
MAX_TYPE: Final = 0xFFFF_FFFF
MAX_SEQ: Final = 0xFFFF_FFFF_FFFF_FFFF

# --- index sidecar ------------------------------------------------------------------------
INDEX_ENTRY: Final = struct.Struct("<QQ")  # seq, byte offset of the record in the segment
INDEX_STRIDE: Final = 64 * 1024

# --- snapshot -----------------------------------------------------------------------------
SNAPSHOT_MAGIC: Final = b"SQXSNAP\x00"
SNAPSHOT_VERSION: Final = 1
SNAPSHOT_HEADER: Final = struct.Struct("<8sHHIQQQ")  # magic, ver, 0, 0, seq, len, checksum
SNAPSHOT_HEADER_SIZE: Final = SNAPSHOT_HEADER.size  # 40
SNAPSHOT_SUMMED_PREFIX: Final = 32

# --- file names ---------------------------------------------------------------------------
SEGMENT_RE: Final = re.compile(r"^journal-(\d{20})\.log$")
SNAPSHOT_RE: Final = re.compile(r"^snapshot-(\d{20})\.snap$")

_hash = xxhash.xxh3_64_intdigest


def segment_name(first_seq: int) -> str:
    """File name of the segment whose first seq is ``first_seq`` (names sort by seq)."""
    return f"journal-{first_seq:020d}.log"


def index_name(first_seq: int) -> str:
    """File name of the index sidecar of the segment starting at ``first_seq``."""
    return f"journal-{first_seq:020d}.idx"


def snapshot_name(seq: int) -> str:
    """File name of the snapshot covering every record up to and including ``seq``."""
    return f"snapshot-{seq:020d}.snap"


def check_user_header(user_header: bytes) -> None:
    """Raise ValueError when the user header does not fit in the file header."""
    if len(user_header) > USER_HEADER_MAX:
        raise ValueError(
            f"user header is {len(user_header)} bytes; at most {USER_HEADER_MAX} fit in the "
            "segment file header"
        )


def encode_file_header(first_seq: int, user_header: bytes) -> bytes:
    """Build the 96-byte segment file header."""
    check_user_header(user_header)
    body = FILE_HEADER.pack(
        FILE_MAGIC, FORMAT_VERSION, len(user_header), 0, first_seq, user_header, 0
    )
    checksum = _hash(body[:FILE_HEADER_SUM_OFFSET])
    return body[:FILE_HEADER_SUM_OFFSET] + CHECKSUM_FIELD.pack(checksum)


def decode_file_header(data: bytes | bytearray | memoryview) -> tuple[int, bytes]:
    """Return ``(first_seq, user_header)`` or raise JournalFormatError saying what is wrong."""
    if len(data) < FILE_HEADER_SIZE:
        raise JournalFormatError(
            f"file header is {len(data)} bytes, expected {FILE_HEADER_SIZE} (truncated)"
        )
    magic, version, user_len, reserved, first_seq, user, checksum = FILE_HEADER.unpack_from(data)
    if magic != FILE_MAGIC:
        raise JournalFormatError(f"bad magic {bytes(magic)!r}, expected {FILE_MAGIC!r}")
    if _hash(bytes(data[:FILE_HEADER_SUM_OFFSET])) != checksum:
        raise JournalFormatError("file header checksum mismatch")
    if version != FORMAT_VERSION:
        raise JournalFormatError(f"unsupported format version {version}")
    if user_len > USER_HEADER_MAX or reserved != 0:
        raise JournalFormatError(f"bad user header length {user_len}")
    return first_seq, bytes(user[:user_len])


def record_checksum(frame: bytes | bytearray | memoryview) -> int:
    """Checksum of one whole record frame whose checksum field already holds zeros."""
    return _hash(frame)
