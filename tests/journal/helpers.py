"""Shared helpers of the journal tests: deterministic records and byte-level file surgery."""

from __future__ import annotations

import random
from pathlib import Path

from journal import JournalReader, JournalWriter, SyncPolicy
from journal.checkpoint import write_checkpoint
from journal.layout import FILE_HEADER_SIZE, RECORD_HEADER_SIZE

Rec = tuple[int, int, bytes]


def make_records(count: int, *, seed: int = 0, first_seq: int = 1, max_len: int = 40) -> list[Rec]:
    """``count`` records with increasing (sometimes gapped) seqs and varied sizes."""
    rnd = random.Random(seed)
    seq = first_seq
    out = []
    for _ in range(count):
        payload = rnd.randbytes(rnd.randint(0, max_len))
        out.append((rnd.randint(0, 9), seq, payload))
        seq += rnd.choice((1, 1, 1, 2, 7))
    return out


def write_journal(directory: Path, records: list[Rec], **kwargs: object) -> None:
    """Write ``records`` in one batch with the no-sync policy (tests only) and close."""
    kwargs.setdefault("policy", SyncPolicy.never())
    with JournalWriter(directory, **kwargs) as writer:  # type: ignore[arg-type]
        writer.append_many(records)
        writer.commit()


def read_all(directory: Path, from_seq: int | None = None) -> list[Rec]:
    return [(t, s, bytes(p)) for t, s, p in JournalReader(directory).records(from_seq)]


def record_offsets(records: list[Rec]) -> list[int]:
    """Byte offset of each record in a single-segment file holding exactly ``records``."""
    offsets = []
    pos = FILE_HEADER_SIZE
    for _t, _s, payload in records:
        offsets.append(pos)
        pos += RECORD_HEADER_SIZE + len(payload)
    offsets.append(pos)  # end of the last record
    return offsets


def only_segment(directory: Path) -> Path:
    logs = sorted(directory.glob("journal-*.log"))
    assert len(logs) == 1, logs
    return logs[0]


def flip_bit(path: Path, offset: int, bit: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))


def rewind_checkpoint(directory: Path, kept: list[Rec], first_seq: int = 1) -> None:
    """Move the durable checkpoint of a one-segment journal back to the end of ``kept`` (its
    first records), as a crash between writing records and recording them durable leaves it:
    the records after ``kept`` were never reported durable."""
    if kept:
        write_checkpoint(directory, kept[-1][1], first_seq, record_offsets(kept)[-1])
    else:
        write_checkpoint(directory, 0, 0, 0)


def quarantined(directory: Path) -> dict[str, bytes]:
    """The quarantine files of ``directory`` by name, with their bytes."""
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.quarantine"))}


def dir_bytes(directory: Path) -> dict[str, bytes]:
    """Every file of ``directory`` with its bytes (to show that nothing changed)."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}
