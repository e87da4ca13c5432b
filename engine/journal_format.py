"""What the host writes in its journal and its snapshots: the byte formats, as one descriptor.

The journal (``journal/``) stores opaque records; this module gives them their host meaning.
All integers little-endian.

Data directory::

    DATA_DIR/journal/     journal segments (journal-<seq>.log, .idx), see journal.layout
    DATA_DIR/snapshots/   snapshot-<seq>.snap files written through journal.SnapshotStore

Records: type ``RECORD_COMMAND`` (1) only. Its payload is exactly one ``RECORD_SIZE`` (128)
byte command record of ``engine.records``, and the record's journal seq equals the command's
``seq_no`` (the ring[in] slot sequence), so a frame is 24 + 128 = ``COMMAND_FRAME_SIZE`` bytes.

Journal user header (copied into every segment header; the journal allows 64 bytes). It holds
everything outside the commands that decides the outputs: the feedback window W and the rules
version (`engine.domain.rules`); shard counts and ring sizes do not, so they are deliberately
absent. Version 2 (``USER_HEADER``, 20 bytes) is what a new journal gets::

     0        8          10            12               16          18         20
     +--------+----------+-------------+----------------+-----------+----------+
     | magic  | version  | record_size | feedback_window| rules     | reserved |
     | 8s     | u16 (2)  | u16 (128)   | u32 (W >= 1)   | u16 (>= 2)| u16 (0)  |
     +--------+----------+-------------+----------------+-----------+----------+

Version 1 (``USER_HEADER_V1``, 16 bytes) is the first 16 bytes alone, with version 1: a journal
written before rules versions existed, which runs rules 1. A journal of rules 1 keeps getting
version 1 headers in its new segments, so every segment of a journal has the same header.

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

from engine.domain.rules import CURRENT_RULES, RULES_V1, check_rules
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
HEADER_VERSION: Final = 2
USER_HEADER: Final = struct.Struct("<8sHHIHH")
USER_HEADER_V1: Final = struct.Struct("<8sHHI")
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
class JournalHeader:
    """What a journal's user header says: the feedback window and the rules version."""

    feedback_window: int
    rules: int


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


def encode_user_header(feedback_window: int, rules: int = CURRENT_RULES) -> bytes:
    """The journal user header of a host running with feedback window ``feedback_window`` and
    rules version ``rules`` (a version 1 header for rules 1, see the module docstring)."""
    _check_window(feedback_window)
    check_rules(rules)
    if rules == RULES_V1:
        return USER_HEADER_V1.pack(HEADER_MAGIC, 1, RECORD_SIZE, feedback_window)
    return USER_HEADER.pack(HEADER_MAGIC, HEADER_VERSION, RECORD_SIZE, feedback_window, rules, 0)


def decode_header(data: bytes) -> JournalHeader:
    """The window and rules a journal user header holds; HostFormatError saying what is wrong
    if it was not written by :func:`encode_user_header` of a version this build reads."""
    if not data:
        raise HostFormatError("the journal has no user header: not written by a sequex host")
    if len(data) not in (USER_HEADER_V1.size, USER_HEADER.size):
        raise HostFormatError(
            f"user header is {len(data)} bytes, expected {USER_HEADER.size} or "
            f"{USER_HEADER_V1.size} (not written by a sequex host?)"
        )
    magic, version, record_size, window = USER_HEADER_V1.unpack_from(data)
    if magic != HEADER_MAGIC:
        raise HostFormatError(f"user header magic {magic!r} is not {HEADER_MAGIC!r}")
    expected_size = {1: USER_HEADER_V1.size, HEADER_VERSION: USER_HEADER.size}.get(version)
    if expected_size is None:
        raise HostFormatError(
            f"user header version {version} is not supported (this build reads 1 and "
            f"{HEADER_VERSION})"
        )
    if len(data) != expected_size:
        raise HostFormatError(f"a version {version} user header of {len(data)} bytes")
    if record_size != RECORD_SIZE:
        raise HostFormatError(f"command records of {record_size} bytes, expected {RECORD_SIZE}")
    if window < 1:
        raise HostFormatError(f"feedback window {window} in the user header is below 1")
    rules = RULES_V1
    if version == HEADER_VERSION:
        *_, rules, reserved = USER_HEADER.unpack(data)
        if rules == RULES_V1 or reserved != 0:
            raise HostFormatError(f"bad version 2 user header (rules {rules})")
        try:
            check_rules(rules)
        except ValueError as exc:
            raise HostFormatError(f"the journal was written under {exc}") from None
    return JournalHeader(int(window), int(rules))


def decode_user_header(data: bytes) -> int:
    """The feedback window of a journal user header (see :func:`decode_header`)."""
    return decode_header(data).feedback_window


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
