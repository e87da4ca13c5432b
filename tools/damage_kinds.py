"""The ways storage gets damaged, each applied to a copy of a data directory by the damage drill.

Each kind is a function ``(journal directory, snapshot directory, rng) -> Damage | None``: it
damages the files the way a bad disk, a short copy, a crash or a hand does, and says what it did
(None when the kind does not apply, e.g. no snapshot to damage). ``acked`` is the highest seq the
host may have acknowledged afterwards: the durable checkpoint's seq, except where the damage
itself models a crash before a sync (``unsynced-tail``), which moves the checkpoint back.

The kinds and what an exchange must make of them (``tools.damage_drill`` judges):

* ``truncate``, ``truncate-boundary``: a segment cut at a random byte or record boundary;
* ``bitflip``: one bit of a segment flipped;
* ``delete-segment``, ``duplicate-segment`` (a copy under a later or an intermediate name);
* ``torn-append``: a record half written at the end (a crash inside a write: never acked);
* ``unsynced-tail``: the checkpoint behind the end and the tail past it cut or flipped (a crash
  between write and sync: the tail was never acked, so cutting it is right);
* ``checkpoint-delete``, ``checkpoint-bitflip``;
* ``snapshot-bitflip``, ``snapshot-truncate``: a snapshot damaged (the start must skip it);
* ``index``: a segment's index sidecar flipped or deleted (a hint only: nothing may change).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from journal import read_checkpoint
from journal.checkpoint import BLOCK, SLOT_SIZE, checkpoint_path, write_checkpoint
from journal.layout import FILE_HEADER_SIZE, RECORD_HEADER, segment_name
from journal.scan import WalkEnd, iter_frames, list_segments


@dataclass(frozen=True, slots=True)
class Damage:
    """What a kind did: ``where`` (file and offset, for the report) and ``acked``, the highest
    seq that may have been acknowledged before the damage (no start may lose it)."""

    kind: str
    where: str
    acked: int


Kind = Callable[[Path, Path, random.Random], Damage | None]


def _acked(journal: Path) -> int:
    checkpoint = read_checkpoint(journal)
    return checkpoint.seq if checkpoint is not None else 0


def _records(segment: Path) -> list[tuple[int, int, int]]:
    """(offset, end, seq) of each valid record of ``segment``."""
    data = bytearray(segment.read_bytes())
    end = WalkEnd()
    frames = [(o, s, len(p)) for o, _t, s, p in iter_frames(data, FILE_HEADER_SIZE, -1, end)]
    return [(o, o + RECORD_HEADER.size + n, s) for o, s, n in frames]


def _segment(journal: Path, rng: random.Random) -> Path:
    return rng.choice(list_segments(journal))[1]


def _cut(path: Path, size: int) -> None:
    with open(path, "r+b") as f:
        f.truncate(size)


def _flip(path: Path, offset: int, bit: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ (1 << bit)]))


def truncate(journal: Path, _snapshots: Path, rng: random.Random) -> Damage:
    acked = _acked(journal)
    segment = _segment(journal, rng)
    size = segment.stat().st_size
    cut = rng.randrange(size)
    _cut(segment, cut)
    return Damage("truncate", f"{segment.name} cut to {cut} of {size} bytes", acked)


def truncate_boundary(journal: Path, _snapshots: Path, rng: random.Random) -> Damage:
    acked = _acked(journal)
    segment = _segment(journal, rng)
    size = segment.stat().st_size
    boundaries = [FILE_HEADER_SIZE, *[end for _o, end, _s in _records(segment)][:-1]]
    cut = rng.choice(boundaries)
    _cut(segment, cut)
    return Damage("truncate-boundary", f"{segment.name} cut to {cut} of {size} bytes", acked)


def bitflip(journal: Path, _snapshots: Path, rng: random.Random) -> Damage:
    acked = _acked(journal)
    segment = _segment(journal, rng)
    offset, bit = rng.randrange(segment.stat().st_size), rng.randrange(8)
    _flip(segment, offset, bit)
    return Damage("bitflip", f"{segment.name} bit {bit} of byte {offset}", acked)


def delete_segment(journal: Path, _snapshots: Path, rng: random.Random) -> Damage:
    acked = _acked(journal)
    segment = _segment(journal, rng)
    segment.unlink()
    segment.with_suffix(".idx").unlink(missing_ok=True)
    return Damage("delete-segment", f"{segment.name} deleted", acked)


def duplicate_segment(journal: Path, _snapshots: Path, rng: random.Random) -> Damage | None:
    acked = _acked(journal)
    segments = list_segments(journal)
    first, segment = rng.choice(segments)
    records = _records(segment)
    later = records[-1][2] + 1 if rng.random() < 0.5 or len(records) < 2 else None
    seq = later if later is not None else rng.choice(records[1:])[2]
    target = journal / segment_name(seq)
    if target.exists() or seq == first:
        seq = max(s for s, _p in segments) + 10_000  # past every segment: a stray copy
        target = journal / segment_name(seq)
    shutil.copyfile(segment, target)
    return Damage("duplicate-segment", f"{segment.name} copied to {target.name}", acked)


def torn_append(journal: Path, _snapshots: Path, rng: random.Random) -> Damage:
    acked = _acked(journal)
    segment = list_segments(journal)[-1][1]
    records = _records(segment)
    next_seq = records[-1][2] + 1 if records else 1
    length = 120
    frame = RECORD_HEADER.pack(length, 1, next_seq, 0) + rng.randbytes(length)
    part = frame[: rng.randrange(1, len(frame))]  # the write stopped part-way
    with open(segment, "ab") as f:
        f.write(part)
    return Damage("torn-append", f"{segment.name}: {len(part)} bytes of seq {next_seq}", acked)


def unsynced_tail(journal: Path, _snapshots: Path, rng: random.Random) -> Damage | None:
    first, segment = list_segments(journal)[-1]
    records = _records(segment)
    if len(records) < 2:
        return None
    keep = rng.randrange(len(records) - 1)  # the last record reported durable
    _offset, end, seq = records[keep]
    write_checkpoint(journal, seq, first, end)
    size = segment.stat().st_size
    if rng.random() < 0.5:
        cut = rng.randrange(end, size)
        _cut(segment, cut)
        what = f"cut to {cut} of {size} bytes"
    else:
        offset, bit = rng.randrange(end, size), rng.randrange(8)
        _flip(segment, offset, bit)
        what = f"bit {bit} of byte {offset} flipped"
    return Damage("unsynced-tail", f"{segment.name} durable to seq {seq} (byte {end}), {what}", seq)


def checkpoint_delete(journal: Path, _snapshots: Path, _rng: random.Random) -> Damage:
    acked = _acked(journal)
    checkpoint_path(journal).unlink()
    return Damage("checkpoint-delete", f"{checkpoint_path(journal).name} deleted", acked)


def checkpoint_bitflip(journal: Path, _snapshots: Path, rng: random.Random) -> Damage:
    acked = _acked(journal)
    path = checkpoint_path(journal)
    # a slot's bytes (the rest of each 4 KiB block is padding nobody reads)
    offset = rng.randrange(2) * BLOCK + rng.randrange(SLOT_SIZE)
    bit = rng.randrange(8)
    _flip(path, offset, bit)
    return Damage("checkpoint-bitflip", f"{path.name} bit {bit} of byte {offset}", acked)


def _snapshot(snapshots: Path, rng: random.Random) -> Path | None:
    files = sorted(snapshots.glob("*.snap")) if snapshots.is_dir() else []
    return rng.choice(files) if files else None


def snapshot_bitflip(journal: Path, snapshots: Path, rng: random.Random) -> Damage | None:
    snapshot = _snapshot(snapshots, rng)
    if snapshot is None:
        return None
    offset, bit = rng.randrange(snapshot.stat().st_size), rng.randrange(8)
    _flip(snapshot, offset, bit)
    return Damage(
        "snapshot-bitflip", f"{snapshot.name} bit {bit} of byte {offset}", _acked(journal)
    )


def snapshot_truncate(journal: Path, snapshots: Path, rng: random.Random) -> Damage | None:
    snapshot = _snapshot(snapshots, rng)
    if snapshot is None:
        return None
    size = snapshot.stat().st_size
    cut = rng.randrange(size)
    _cut(snapshot, cut)
    return Damage("snapshot-truncate", f"{snapshot.name} cut to {cut} of {size}", _acked(journal))


def index_damage(journal: Path, _snapshots: Path, rng: random.Random) -> Damage | None:
    indexes = sorted(journal.glob("*.idx"))
    if not indexes:
        return None
    index = rng.choice(indexes)
    acked = _acked(journal)
    if rng.random() < 0.3 or index.stat().st_size == 0:
        index.unlink()
        return Damage("index", f"{index.name} deleted", acked)
    offset, bit = rng.randrange(index.stat().st_size), rng.randrange(8)
    _flip(index, offset, bit)
    return Damage("index", f"{index.name} bit {bit} of byte {offset}", acked)


#: Every kind by name, in the order the drill cycles through them.
KINDS: dict[str, Kind] = {
    "truncate": truncate,
    "truncate-boundary": truncate_boundary,
    "bitflip": bitflip,
    "delete-segment": delete_segment,
    "duplicate-segment": duplicate_segment,
    "torn-append": torn_append,
    "unsynced-tail": unsynced_tail,
    "checkpoint-delete": checkpoint_delete,
    "checkpoint-bitflip": checkpoint_bitflip,
    "snapshot-bitflip": snapshot_bitflip,
    "snapshot-truncate": snapshot_truncate,
    "index": index_damage,
}
