"""Following a host journal into the reports database: replay, project, write.

::

    DATA_DIR/journal ──► command records ──► Exchange(W, rules) ──► events ──► Projector ──► rows
         (from the newest snapshot at or before the database's position, else from seq 1)

:class:`ReportFollower` owns the replay: its own ``Exchange`` (W and rules from the journal
header, ``engine.rebuild.read_header``), started from the newest snapshot whose seq is at or
before the database's ``reporter_position`` (``engine.rebuild.load_snapshot``; none: seq 1),
as ``engine.gateway.ledger.catch_up`` does. Commands at or before the position are replayed
for their state only; each later one becomes rows (``engine.reporter.rows``). It is fed
consecutive command records; a gap raises :class:`ReporterError`. The reporter stage
(``engine.stages.reporter``) feeds it durable records as the journal grows; :func:`sync`
feeds it the whole journal offline (``sequex report sync``, tests).

The database is a function of the journal: a follower started at any position, over any
snapshot, writes the rows an offline replay from seq 1 writes, and the writer's keys make a
stretch written twice harmless. A database whose position is past the end of the journal
belongs to another journal: refused (:class:`ReporterError`), never mixed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.command_batches import CommandBatchReader, check_seq_nos, contiguous
from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.domain.types import Command
from engine.journal_format import journal_dir, snapshot_dir
from engine.rebuild import load_snapshot, read_header
from engine.records import ORIGIN_OFFSET, RECORD_SIZE
from engine.reporter.errors import ReporterError
from engine.reporter.rows import Projector, RowBatch
from engine.reporter.writer import ReportWriter


class ReportFollower:
    """Replays a journal's commands and projects the ones past ``position`` into rows."""

    def __init__(
        self,
        data_dir: str | Path,
        position: int,
        firms: dict[str, str] | None = None,
        *,
        use_snapshots: bool = True,
    ) -> None:
        header = read_header(data_dir)
        exchange = Exchange(header.feedback_window, header.rules)
        start = 0
        if position > 0 and use_snapshots:
            loaded = load_snapshot(snapshot_dir(data_dir), header, [], below=position + 1)
            if loaded is not None:
                exchange, start = loaded
        self.exchange = exchange
        #: the snapshot the replay started from (None: seq 1)
        self.snapshot_seq: int | None = start or None
        #: the last command submitted to the exchange
        self.replayed_seq = start
        #: the last command whose rows are produced (or were in the database already)
        self.position = position
        self._projector = Projector(firms)
        self._decode = CommandReader().decode_many

    def apply_records(self, records: Any) -> RowBatch:
        """Replay back-to-back 128-byte command records (the next ones); their rows."""
        view = np.frombuffer(records, dtype=np.uint8).reshape(-1, RECORD_SIZE)
        origins = view[:, ORIGIN_OFFSET : ORIGIN_OFFSET + 4].copy().view("<u4")[:, 0]
        return self.apply(zip(self._decode(records), origins.tolist(), strict=True))

    def apply(self, commands: Iterable[tuple[Command, int]]) -> RowBatch:
        """Replay ``(command, origin)`` pairs (the next ones, in seq order); their rows."""
        batch = RowBatch(through_seq=self.position)
        submit = self.exchange.submit
        add = self._projector.add
        position = self.position
        expected = self.replayed_seq + 1
        for cmd, origin in commands:
            if cmd.seq_no != expected:
                raise ReporterError(f"expected command seq {expected}, got {cmd.seq_no}")
            events = submit(cmd)
            if expected > position:
                add(batch, cmd, origin, events)
            expected += 1
        self.replayed_seq = expected - 1
        self.position = max(position, self.replayed_seq)
        batch.through_seq = self.position
        return batch


@dataclass(frozen=True, slots=True)
class Synced:
    """What :func:`sync` did."""

    #: the database's position before and after
    before: int
    position: int
    #: commands replayed (the snapshot's stretch excluded) and rows offered to the writer
    replayed: int
    rows: int
    snapshot_seq: int | None


def sync(
    data_dir: str | Path,
    writer: ReportWriter,
    *,
    through_seq: int | None = None,
    use_snapshots: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Synced:
    """Bring ``writer``'s database up to the end of the journal of ``data_dir`` (or
    ``through_seq``), a batch (<= 4096 commands) per transaction. Reads the journal as it is
    on disk: run it when no host writes that journal (a host's reporter stage follows its
    durable records itself)."""
    before = writer.position()
    follower = ReportFollower(data_dir, before, writer.account_firms(), use_snapshots=use_snapshots)
    directory = journal_dir(data_dir)
    start = follower.replayed_seq + 1
    replayed = rows = 0
    batches = CommandBatchReader(directory).batches(start, through_seq)
    for payload, seqs in contiguous(batches, start, directory):
        check_seq_nos(payload, seqs)
        batch = follower.apply_records(payload)
        replayed += len(seqs)
        if batch.rows:
            writer.write(batch)
            rows += batch.count()
        if progress is not None:
            progress(follower.replayed_seq)
    if follower.replayed_seq < before:
        raise ReporterError(
            f"the reports database ({writer.where}) is at seq {before} but the journal of "
            f"{data_dir} ends at seq {follower.replayed_seq}: it belongs to another journal"
        )
    return Synced(before, follower.position, replayed, rows, follower.snapshot_seq)
