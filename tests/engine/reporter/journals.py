"""Host journals for the reporter tests, written by the in-process runner (journaler, core and
snapshotter as in a host), and the reference the reports are checked against: the canonical
events of an offline replay of the same journal (``engine.rebuild``), a path that shares no
code with the reporter's projection."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from engine.domain.types import Command
from engine.rebuild import rebuild
from engine.records import ORIGIN_OFFSET
from engine.stage_factories import in_process
from engine.stages.injector import encode_records
from engine.topology import TopologySpec
from tests.engine.mixed_commands import every_kind

#: 2026-12-07 14:30:00 UTC, in ns
TS0 = 1_796_653_800_000_000_000


def numbered(commands: list[Command], first_seq: int = 1, ts: int = TS0) -> list[Command]:
    """``commands`` with consecutive seq_nos from ``first_seq`` and rising ts from ``ts``."""
    return [c._replace(seq_no=first_seq + i, ts=ts + i * 1_000_000) for i, c in enumerate(commands)]


def mixed(n: int, seed: int = 7) -> list[Command]:
    """Setup and ``n`` commands of every kind (``tests.engine.mixed_commands``), numbered."""
    return numbered(every_kind(seed, n))


def write_journal(
    data_dir: Path,
    commands: list[Command],
    *,
    window: int = 4,
    snapshot_every: int = 0,
    origin: int = 0,
    base: tuple[int, bytes] | None = None,
) -> None:
    """Journal ``commands`` (numbered from 1, or on from a previous run of the same data
    directory: ``base`` = (its last seq, its state)) in ``data_dir``, as a host does."""
    records = encode_records(commands)
    records[:, ORIGIN_OFFSET : ORIGIN_OFFSET + 4] = list(origin.to_bytes(4, "little"))
    spec = TopologySpec(
        prefix=f"sequex-rep{os.getpid()}-{uuid.uuid4().hex[:8]}-",
        data_dir=str(data_dir),
        feedback_window=window,
        journal_sync="none",
        snapshot_every=snapshot_every,
        fused=True,
        base_seq=0 if base is None else base[0],
    )
    with in_process(spec, None if base is None else base[1]) as runner:
        runner.publish(records)
        runner.pump()


def replayed_events(data_dir: Path) -> list[dict[str, Any]]:
    """Every event of the journal of ``data_dir``, replayed from seq 1, as canonical JSON."""
    chunks: list[bytes] = []
    rebuild(data_dir, from_start=True, sink=chunks.append)
    return [json.loads(line) for line in b"".join(chunks).splitlines()]
