"""Snapshots: opaque bytes that cover every record up to a seq, written atomically.

A snapshot is written to a temp file (``.snapshot-<seq>.tmp``), fsynced, renamed to
``snapshot-<seq:020d>.snap`` and the directory fsynced, so a snapshot file either exists whole
or not at all; temp files left by a crash are ignored (and removed by ``prune``). Each file
carries its seq and an xxh3_64 checksum (layout in ``journal.layout``). ``load_latest`` returns
the newest snapshot that verifies and reports every newer one it had to skip.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import xxhash

from journal.durable_files import fsync_directory, make_directory
from journal.errors import JournalFormatError
from journal.layout import (
    MAX_SEQ,
    SNAPSHOT_HEADER,
    SNAPSHOT_HEADER_SIZE,
    SNAPSHOT_MAGIC,
    SNAPSHOT_RE,
    SNAPSHOT_SUMMED_PREFIX,
    SNAPSHOT_VERSION,
    snapshot_name,
)

_TEMP_PREFIX = ".snapshot-"
_TEMP_SUFFIX = ".tmp"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A verified snapshot: the state after applying every record with seq <= ``seq``."""

    seq: int
    payload: bytes
    path: Path


@dataclass(frozen=True, slots=True)
class LoadResult:
    """The latest valid snapshot (None if there is none) and the newer files skipped."""

    snapshot: Snapshot | None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)


def _checksum(prefix: bytes, payload: bytes | bytearray | memoryview) -> int:
    digest = xxhash.xxh3_64(prefix)
    digest.update(payload)
    return int(digest.intdigest())


def encode_snapshot(seq: int, payload: bytes | bytearray | memoryview) -> bytes:
    """The bytes of a snapshot file."""
    length = len(payload) if not isinstance(payload, memoryview) else payload.nbytes
    prefix = SNAPSHOT_HEADER.pack(SNAPSHOT_MAGIC, SNAPSHOT_VERSION, 0, 0, seq, length, 0)
    prefix = prefix[:SNAPSHOT_SUMMED_PREFIX]
    checksum = _checksum(prefix, payload)
    return prefix + checksum.to_bytes(8, "little") + bytes(payload)


def decode_snapshot(data: bytes, expected_seq: int | None = None) -> tuple[int, bytes]:
    """Return ``(seq, payload)`` or raise JournalFormatError saying what is wrong."""
    if len(data) < SNAPSHOT_HEADER_SIZE:
        raise JournalFormatError(f"{len(data)} bytes is shorter than the snapshot header")
    magic, version, _r1, _r2, seq, length, checksum = SNAPSHOT_HEADER.unpack_from(data)
    if magic != SNAPSHOT_MAGIC:
        raise JournalFormatError(f"bad magic {magic!r}")
    if version != SNAPSHOT_VERSION:
        raise JournalFormatError(f"unsupported snapshot version {version}")
    if len(data) != SNAPSHOT_HEADER_SIZE + length:
        raise JournalFormatError(
            f"payload length {length} but {len(data) - SNAPSHOT_HEADER_SIZE} bytes present"
        )
    payload = data[SNAPSHOT_HEADER_SIZE:]
    if _checksum(data[:SNAPSHOT_SUMMED_PREFIX], payload) != checksum:
        raise JournalFormatError("checksum mismatch")
    if expected_seq is not None and seq != expected_seq:
        raise JournalFormatError(f"header seq {seq} does not match the file name")
    return seq, payload


class SnapshotStore:
    """The snapshots of one directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._dir = Path(directory)
        make_directory(self._dir)

    @property
    def directory(self) -> Path:
        return self._dir

    def seqs(self) -> list[int]:
        """Seqs of the snapshot files present (valid or not), ascending; temp files excluded."""
        with os.scandir(self._dir) as entries:
            found = [int(m.group(1)) for e in entries if (m := SNAPSHOT_RE.match(e.name))]
        return sorted(found)

    def write(self, seq: int, payload: bytes | bytearray | memoryview) -> Path:
        """Durably write the snapshot covering ``seq``; replaces one with the same seq."""
        if not 0 <= seq <= MAX_SEQ:
            raise ValueError(f"snapshot seq {seq} is outside 0..{MAX_SEQ}")
        final = self._dir / snapshot_name(seq)
        temp = self._dir / f"{_TEMP_PREFIX}{seq:020d}{_TEMP_SUFFIX}"
        data = encode_snapshot(seq, payload)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            with memoryview(data) as view:
                done = 0
                while done < len(view):
                    done += os.write(fd, view[done:])
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, final)
        fsync_directory(self._dir)
        return final

    def load(self, seq: int) -> Snapshot:
        """Load and verify the snapshot of ``seq``; raises JournalFormatError if damaged."""
        path = self._dir / snapshot_name(seq)
        got_seq, payload = decode_snapshot(path.read_bytes(), seq)
        return Snapshot(got_seq, payload, path)

    def load_latest(self) -> LoadResult:
        """The newest snapshot that verifies; damaged newer ones are listed in ``skipped``."""
        skipped: list[tuple[str, str]] = []
        for seq in reversed(self.seqs()):
            try:
                return LoadResult(self.load(seq), skipped)
            except (JournalFormatError, OSError) as exc:
                skipped.append((snapshot_name(seq), str(exc)))
        return LoadResult(None, skipped)

    def prune(self, keep: int = 2) -> list[str]:
        """Remove all but the ``keep`` newest valid snapshots, older damaged ones, and temp
        files; never removes the latest valid snapshot. Returns the removed file names."""
        if keep < 1:
            raise ValueError("keep must be >= 1: the latest valid snapshot is never pruned")
        removed: list[str] = []
        kept = 0
        for seq in reversed(self.seqs()):
            name = snapshot_name(seq)
            if kept < keep:
                try:
                    self.load(seq)
                    kept += 1
                    continue
                except (JournalFormatError, OSError):
                    pass  # damaged: remove like an old one
            (self._dir / name).unlink(missing_ok=True)
            removed.append(name)
        with os.scandir(self._dir) as entries:
            temps = [e for e in entries if e.name.startswith(_TEMP_PREFIX)]
        for entry in temps:
            if entry.name.endswith(_TEMP_SUFFIX):
                os.unlink(entry.path)
                removed.append(entry.name)
        if removed:
            fsync_directory(self._dir)
        return removed
