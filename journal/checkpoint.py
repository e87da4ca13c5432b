"""The durable checkpoint: where the journal ended when its writer last made it durable.

Why it exists: a journal whose end was cut (a copy that stopped early, a bad disk, a hand)
looks exactly like one that a crash tore in the middle of a write. Only a record of what was
made durable, kept apart from the segments, tells the two apart. The writer updates the
checkpoint after every sync and *before* it reports the new ``durable_seq``, so every seq a
reader of ``durable_seq`` ever saw (and so every acknowledged command) is at most the
checkpoint's seq:

* a journal that ends before the checkpoint's seq has lost durable data: recovery refuses it
  and names what is missing (``journal.integrity``);
* a torn tail past the checkpoint can only hold records nobody was told about: recovery may
  cut it (keeping the bytes in a quarantine file).

File ``durable.ckpt`` in the journal directory: two 4 KiB blocks, each starting with a 64-byte
slot (A at byte 0, B at byte 4096; the rest zero), written in turn in place. The file never
changes size after it is created, so an update writes one block and no metadata: with
``O_DIRECT | O_DSYNC`` where the filesystem allows it (one synchronous write, which costs about
two thirds of ``pwrite`` + ``fdatasync`` here), else ``pwrite`` + ``fdatasync``. A torn write of
one slot leaves the other whole, and that older checkpoint is still true (the writer had not
yet reported the newer seq), so reading takes the valid slot with the higher generation. (A
file of two bare 64-byte slots, as the first checkpoints were written, reads the same.) Slot
layout::

     0       8         10         12         16           24    32             40           48
     +-------+---------+----------+----------+------------+-----+--------------+------------+
     | magic | version | reserved | reserved | generation | seq | segment_seq  | end_offset |
     | 8s    | u16     | u16 (0)  | u32 (0)  | u64        | u64 | u64          | u64        |
     +-------+---------+----------+----------+------------+-----+--------------+------------+
     48          56
     +-----------+----------+
     | reserved  | checksum |   checksum: xxh3_64 of bytes [0, 56)
     | u64 (0)   | u64      |
     +-----------+----------+

``segment_seq`` names the segment file the durable end is in (``journal-<segment_seq>.log``)
and ``end_offset`` the byte just past the record ``seq`` there. ``end_offset`` 0 means that no
record was ever made durable (a new journal); ``seq`` is then the first seq minus one.
"""

from __future__ import annotations

import errno
import mmap
import os
import struct
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import xxhash

from journal.durable_files import replace_durably
from journal.errors import JournalError
from journal.layout import segment_name

CHECKPOINT_NAME: Final = "durable.ckpt"
_MAGIC: Final = b"SQXDURA\x00"
_VERSION: Final = 1
_SLOT: Final = struct.Struct("<8sHHIQQQQQQ")
SLOT_SIZE: Final = _SLOT.size  # 64
_SUMMED: Final = SLOT_SIZE - 8
assert SLOT_SIZE == 64
#: Slot spacing: one filesystem block (and a multiple of any sector size) per slot, so that a
#: slot is written alone, aligned, and can go through O_DIRECT.
BLOCK: Final = 4096


class CheckpointError(JournalError):
    """The durable checkpoint is missing where a journal exists, or unreadable."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The journal's durable end: every seq <= ``seq`` was on stable storage, the last of them
    ending at byte ``end_offset`` of segment ``journal-<segment_seq>.log``."""

    seq: int
    segment_seq: int
    end_offset: int
    generation: int
    #: the other slot holds damage, not zeros: a newer checkpoint may have been lost with it
    #: (a crash tearing its write, or damage since), so the durable end may lie past ``seq``
    other_slot_damaged: bool = False

    @property
    def has_records(self) -> bool:
        """Whether any record was ever made durable (``seq`` is then a record's seq)."""
        return self.end_offset > 0

    @property
    def segment(self) -> str:
        return segment_name(self.segment_seq)

    def describe(self) -> str:
        if not self.has_records:
            text = "no record made durable yet"
        else:
            text = f"seq {self.seq}, ending at byte {self.end_offset} of {self.segment}"
        if self.other_slot_damaged:
            text += " (its other slot is damaged: torn by a crash, or damaged since)"
        return text


def checkpoint_path(directory: Path) -> Path:
    return directory / CHECKPOINT_NAME


def _slot_offset(generation: int) -> int:
    """Generation g lives in slot g % 2: an update never overwrites the newest slot."""
    return BLOCK * (generation % 2)


def _first_file(seq: int, segment_seq: int, end_offset: int) -> bytes:
    """The whole file holding one checkpoint (generation 1, slot B) and an empty slot A."""
    return bytes(BLOCK) + _encode(1, seq, segment_seq, end_offset).ljust(BLOCK, b"\0")


def _file_of(checkpoint: Checkpoint) -> bytes:
    """The whole file holding ``checkpoint`` in its slot and an empty other slot."""
    slot = _encode(
        checkpoint.generation, checkpoint.seq, checkpoint.segment_seq, checkpoint.end_offset
    )
    blocks = [bytes(BLOCK), bytes(BLOCK)]
    blocks[checkpoint.generation % 2] = slot.ljust(BLOCK, b"\0")
    return b"".join(blocks)


def _encode(generation: int, seq: int, segment_seq: int, end_offset: int) -> bytes:
    body = _SLOT.pack(_MAGIC, _VERSION, 0, 0, generation, seq, segment_seq, end_offset, 0, 0)
    checksum = xxhash.xxh3_64_intdigest(body[:_SUMMED])
    return body[:_SUMMED] + struct.pack("<Q", checksum)


def _decode(slot: bytes) -> Checkpoint | None:
    if len(slot) < SLOT_SIZE:
        return None
    magic, version, _r1, _r2, generation, seq, segment_seq, end, _r3, checksum = _SLOT.unpack(slot)
    if magic != _MAGIC or version != _VERSION:
        return None
    if xxhash.xxh3_64_intdigest(slot[:_SUMMED]) != checksum:
        return None
    return Checkpoint(seq, segment_seq, end, generation)


def read_checkpoint(directory: Path) -> Checkpoint | None:
    """The checkpoint of the journal in ``directory``: None when there is no checkpoint file;
    CheckpointError when there is one and neither slot is valid."""
    path = checkpoint_path(directory)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    spacing = SLOT_SIZE if len(data) == 2 * SLOT_SIZE else BLOCK  # the first layout, or now
    raw = [data[i : i + SLOT_SIZE] for i in (0, spacing)]
    slots = [_decode(slot) for slot in raw]
    valid = [slot for slot in slots if slot is not None]
    if not valid:
        raise CheckpointError(
            f"{path}: the durable checkpoint is unreadable ({len(data)} bytes, no valid slot): "
            "the journal's durable end cannot be checked; `sequex journal repair` verifies "
            "every record and records the end it finds"
        )
    newest = max(valid, key=lambda c: c.generation)
    if len(valid) == 1 and any(any(r) for r, c in zip(raw, slots, strict=True) if c is None):
        return replace(newest, other_slot_damaged=True)  # (a never-written slot is all zeros)
    return newest


class CheckpointWriter:
    """Writes the checkpoint of one journal directory (the journal writer owns it)."""

    def __init__(self, directory: Path, current: Checkpoint, *, sync: bool) -> None:
        """Open the existing checkpoint file whose newest slot is ``current`` (a file of the
        first layout is rewritten in this one first)."""
        self._path = checkpoint_path(directory)
        self._sync = sync
        if self._path.stat().st_size != 2 * BLOCK:
            replace_durably(self._path, _file_of(current))
        self._block = mmap.mmap(-1, BLOCK)  # page-aligned, as O_DIRECT wants its buffer
        self._direct = False
        self._fd = -1
        if sync:
            try:
                flags = os.O_WRONLY | os.O_DIRECT | os.O_DSYNC
                self._fd = os.open(self._path, flags)
                self._direct = True
            except (OSError, AttributeError):
                pass  # the filesystem refuses O_DIRECT (tmpfs): pwrite + fdatasync instead
        if self._fd < 0:
            self._fd = os.open(self._path, os.O_WRONLY)
        self.current = current

    @classmethod
    def create(cls, directory: Path, seq: int, *, sync: bool) -> CheckpointWriter:
        """Create the checkpoint of a new journal (no record durable; ``seq`` = first seq - 1)
        atomically: temporary file, fsync, rename, directory fsync, so a crash leaves either
        no checkpoint or a whole one."""
        path = checkpoint_path(directory)
        data = _first_file(max(seq, 0), 0, 0)  # no record yet: the seq is not read
        if sync:
            replace_durably(path, data)
        else:  # tests only (a journal that never syncs)
            temporary = path.with_name(CHECKPOINT_NAME + ".tmp")
            temporary.write_bytes(data)
            os.replace(temporary, path)
        first = Checkpoint(max(seq, 0), 0, 0, 1)
        return cls(directory, first, sync=sync)

    def update(self, seq: int, segment_seq: int, end_offset: int) -> None:
        """Record a new durable end (the caller has already synced the journal up to it)."""
        generation = self.current.generation + 1
        self._block[:SLOT_SIZE] = _encode(generation, seq, segment_seq, end_offset)
        offset = _slot_offset(generation)
        if self._direct:
            try:
                _write_block(self._fd, self._block, offset)  # synchronous: O_DSYNC
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                self._fall_back()  # opened, but this filesystem rejects the direct write
        if not self._direct:
            _write_block(self._fd, self._block, offset)
            if self._sync:
                os.fdatasync(self._fd)
        self.current = Checkpoint(seq, segment_seq, end_offset, generation)

    def _fall_back(self) -> None:
        os.close(self._fd)
        self._fd = os.open(self._path, os.O_WRONLY)
        self._direct = False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._block.close()


def _write_block(fd: int, block: mmap.mmap, offset: int) -> None:
    written = os.pwrite(fd, block, offset)
    if written != BLOCK:  # a short write would leave the slot half old, half new
        raise OSError(errno.EIO, f"checkpoint write of {BLOCK} bytes wrote {written}")


def write_checkpoint(directory: Path, seq: int, segment_seq: int, end_offset: int) -> Checkpoint:
    """Replace the checkpoint of ``directory`` by one durable end (an operator's repair, not
    the writer's path): both slots rewritten through a temporary file and a rename."""
    replace_durably(checkpoint_path(directory), _first_file(seq, segment_seq, end_offset))
    return Checkpoint(seq, segment_seq, end_offset, 1)
