"""What the host writes in its journal and its snapshots: the byte formats, as one descriptor.

The journal (``journal/``) stores opaque records; this module gives them their host meaning.
All integers little-endian.

Data directory::

    DATA_DIR/journal/     journal segments (journal-<seq>.log, .idx), see journal.layout
    DATA_DIR/snapshots/   snapshot-<seq>.snap files written through journal.SnapshotStore

Records: type ``RECORD_COMMAND`` (1) only. Its payload is exactly one ``RECORD_SIZE`` (128)
byte command record of ``engine.records``, and the record's journal seq equals the command's
``seq_no`` (the ring[in] slot sequence), so a frame is 24 + 128 = ``COMMAND_FRAME_SIZE`` bytes.

Journal user header (``USER_HEADER``, 16 of the 64 bytes the journal allows, copied into every
segment header). It holds everything outside the commands that decides the outputs; shard
counts and ring sizes do not, so they are deliberately absent::

     0        8          10            12               16
     +--------+----------+-------------+----------------+
     | magic  | version  | record_size | feedback_window|
     | 8s     | u16      | u16 (128)   | u32 (W >= 1)   |
     +--------+----------+-------------+----------------+

Snapshot payload (what ``SnapshotStore`` stores as its opaque bytes)::

     0        8          10          12                16      24
     +--------+----------+-----------+-----------------+-------+---------------------------+
     | magic  | version  | reserved  | feedback_window | seq   | Exchange.snapshot() bytes |
     | 8s     | u16      | u16 (0)   | u32             | u64   |                           |
     +--------+----------+-----------+-----------------+-------+---------------------------+

``seq`` is the last command seq_no the state covers (equal to the snapshot file's seq).
Every decoder raises :class:`HostFormatError` with a message that says what is wrong.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engine.domain.types import Command
from engine.records import RECORD_SIZE, encode_command_into
from journal.layout import RECORD_HEADER_SIZE, USER_HEADER_MAX

#: The record type of a journaled command.
RECORD_COMMAND: Final = 1
#: Bytes of one command frame in a segment (journal record header + command record).
COMMAND_FRAME_SIZE: Final = RECORD_HEADER_SIZE + RECORD_SIZE

JOURNAL_SUBDIR: Final = "journal"
SNAPSHOT_SUBDIR: Final = "snapshots"

# --- journal user header ------------------------------------------------------------------
HEADER_MAGIC: Final = b"SQXHOST\x00"
HEADER_VERSION: Final = 1
USER_HEADER: Final = struct.Struct("<8sHHI")
assert USER_HEADER.size <= USER_HEADER_MAX

# --- snapshot payload header ----------------------------------------------------------------
SNAPSHOT_MAGIC: Final = b"SQXSTATE"
SNAPSHOT_VERSION: Final = 1
SNAPSHOT_HEADER: Final = struct.Struct("<8sHHIQ")
SNAPSHOT_HEADER_SIZE: Final = SNAPSHOT_HEADER.size  # 24

MAX_WINDOW: Final = 0xFFFF_FFFF


class HostFormatError(ValueError):
    """Bytes are not a journal header or snapshot payload this host can use."""


@dataclass(frozen=True, slots=True)
class SnapshotPayload:
    """A decoded snapshot payload: the window and seq it was taken at, and the state bytes."""

    feedback_window: int
    seq: int
    state: bytes


def journal_dir(data_dir: str | Path) -> Path:
    """Where the journal segments of ``data_dir`` live."""
    return Path(data_dir) / JOURNAL_SUBDIR


def snapshot_dir(data_dir: str | Path) -> Path:
    """Where the snapshots of ``data_dir`` live."""
    return Path(data_dir) / SNAPSHOT_SUBDIR


def _check_window(feedback_window: int) -> None:
    if not 1 <= feedback_window <= MAX_WINDOW:
        raise ValueError(f"feedback window {feedback_window} is outside 1..{MAX_WINDOW}")


def encode_user_header(feedback_window: int) -> bytes:
    """The journal user header of a host running with feedback window ``feedback_window``."""
    _check_window(feedback_window)
    return USER_HEADER.pack(HEADER_MAGIC, HEADER_VERSION, RECORD_SIZE, feedback_window)


def decode_user_header(data: bytes) -> int:
    """The feedback window stored in a journal user header; HostFormatError if the header was
    not written by :func:`encode_user_header` of this format version."""
    if not data:
        raise HostFormatError("the journal has no user header: not written by a sequex host")
    if len(data) != USER_HEADER.size:
        raise HostFormatError(
            f"user header is {len(data)} bytes, expected {USER_HEADER.size} "
            "(not written by a sequex host?)"
        )
    magic, version, record_size, window = USER_HEADER.unpack(data)
    if magic != HEADER_MAGIC:
        raise HostFormatError(f"user header magic {magic!r} is not {HEADER_MAGIC!r}")
    if version != HEADER_VERSION:
        raise HostFormatError(
            f"user header version {version} is not supported (this build reads {HEADER_VERSION})"
        )
    if record_size != RECORD_SIZE:
        raise HostFormatError(f"command records of {record_size} bytes, expected {RECORD_SIZE}")
    if window < 1:
        raise HostFormatError(f"feedback window {window} in the user header is below 1")
    return int(window)


def encode_snapshot_payload(feedback_window: int, seq: int, state: bytes) -> bytes:
    """The snapshot payload: header + ``Exchange.snapshot()`` bytes covering seqs <= ``seq``."""
    _check_window(feedback_window)
    if seq < 0:
        raise ValueError(f"snapshot seq {seq} is negative")
    header = SNAPSHOT_HEADER.pack(SNAPSHOT_MAGIC, SNAPSHOT_VERSION, 0, feedback_window, seq)
    return header + state


def decode_snapshot_payload(data: bytes) -> SnapshotPayload:
    """Split a snapshot payload; HostFormatError saying what is wrong."""
    if len(data) < SNAPSHOT_HEADER_SIZE:
        raise HostFormatError(
            f"snapshot payload is {len(data)} bytes, shorter than its {SNAPSHOT_HEADER_SIZE}-byte"
            " header"
        )
    magic, version, reserved, window, seq = SNAPSHOT_HEADER.unpack_from(data)
    if magic != SNAPSHOT_MAGIC:
        raise HostFormatError(f"snapshot payload magic {magic!r} is not {SNAPSHOT_MAGIC!r}")
    if version != SNAPSHOT_VERSION:
        raise HostFormatError(
            f"snapshot payload version {version} is not supported "
            f"(this build reads {SNAPSHOT_VERSION})"
        )
    if reserved != 0 or window < 1:
        raise HostFormatError(f"bad snapshot payload header (window {window})")
    return SnapshotPayload(int(window), int(seq), bytes(data[SNAPSHOT_HEADER_SIZE:]))


def encode_commands(commands: list[Command]) -> bytes:
    """``commands`` as back-to-back command records (the payloads of ``append_fixed``)."""
    out = bytearray(RECORD_SIZE * len(commands))
    for index, cmd in enumerate(commands):
        encode_command_into(out, index * RECORD_SIZE, cmd)
    return bytes(out)
