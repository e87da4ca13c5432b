"""The reporter stage: follows the journal files up to durable_seq into the reports database.

::

    journaler ──► DATA_DIR/journal/*.log ──► JournalTail ──► ReportFollower ──► ReportWriter
        │                                       ▲            (Exchange(W) + rows)  (SQLite | PG)
        └── durable_seq (its consumer sequence on ring[in]) bounds every read

Contract.

* Off the hot path, like the snapshotter: not a ring consumer (it only *reads* the
  journaler's sequence of ring[in]), so a slow or stalled database never gates, slows or
  wakes a stage; it runs niced and in the idle scheduling class (``engine.stages.priority``:
  it takes only the core time nothing else wants) and sleeps briefly when idle. It reads only
  records with seq <= durable_seq.
* It starts where its database stands (``reporter_position``), from the newest snapshot at
  or before it (``engine.reporter.follower``), so after downtime it catches up from the
  journal; a database ahead of the journal the host recovered (``base_seq``) belongs to
  another journal, and the stage refuses to start (the host fails fast, naming it).
* Each poll replays at most :data:`BATCH` commands and writes their rows and its position in
  one transaction; a kill at any moment loses at most the open transaction, which the next
  start writes again (the writer's keys make that harmless).
* Its lag (``engine.reporter.status``) goes to ``DATA_DIR/reporter.status.json`` about once a
  second while it moves, and at close. On close (the host stopping) it catches up with what
  is durable, unless halted (the stop signal), then writes its status and closes the database.
"""

from __future__ import annotations

import time

from disruptor import AlertException, RingBuffer
from engine.config import ReporterConfig
from engine.journal_format import journal_dir
from engine.records import RECORD_SIZE
from engine.reporter.errors import ReporterError
from engine.reporter.follower import ReportFollower
from engine.reporter.status import ReporterStatus, write_status
from engine.reporter.writer import open_writer
from engine.stages.priority import lower_priority
from engine.stages.snapshotter import JournalTail
from engine.stages.waiting import Halt as HaltFlag
from engine.stages.waiting import IdleBackoff

#: Commands replayed (and written in one transaction) per poll.
BATCH = 4096
#: Seconds slept by the first idle poll and by the longest (``IdleBackoff``): the reports are
#: not latency-sensitive.
IDLE_SLEEP = 0.01
IDLE_SLEEP_MAX = 0.05
#: Seconds between two status files while the position moves.
STATUS_EVERY = 1.0


class ReporterAgent:
    """Journal -> rows -> database (see the module contract)."""

    def __init__(
        self,
        ring_in: RingBuffer,
        journaler: int,
        data_dir: str,
        config: ReporterConfig,
        *,
        base_seq: int = 0,
        nice: int = 0,
        idle: bool = False,
    ) -> None:
        self._in = ring_in
        self._durable = ring_in.consumer_sequence(journaler)  # its sequence is durable_seq
        self._base = base_seq
        self._data_dir = data_dir
        self._nice = nice
        self._idle = idle
        self._halt = HaltFlag()
        self._idle_sleeps = IdleBackoff(IDLE_SLEEP, IDLE_SLEEP_MAX)
        self.writer = open_writer(config, data_dir)
        try:
            position = self.writer.position()
            if position > base_seq:
                raise ReporterError(
                    f"the reports database ({self.writer.where}) is at seq {position} but the "
                    f"journal of {data_dir} ends at seq {base_seq}: it belongs to another journal"
                )
        except BaseException:
            self.writer.close()
            raise
        #: built on the first poll that finds a durable command: before that, a fresh host's
        #: journal (and its header, which gives W and the rules) may not exist yet
        self.follower: ReportFollower | None = None
        self._tail: JournalTail | None = None
        self._written = position
        self._status_at = 0.0
        self._status_seen: tuple[int, int] | None = None

    @property
    def position(self) -> int:
        """The last command seq whose rows are committed."""
        return self._written

    def durable_seq(self) -> int:
        return self._base + self._durable.get() + 1

    def poll(self) -> int:
        """Replay and write at most BATCH durable commands; returns how many."""
        durable = self.durable_seq()
        if self._tail is None or self.follower is None:
            if durable == 0:
                return 0
            self.follower = ReportFollower(
                self._data_dir, self._written, self.writer.account_firms()
            )
            self._tail = JournalTail(journal_dir(self._data_dir), self.follower.replayed_seq)
        records = self._tail.read(min(durable, self._tail.next_seq - 1 + BATCH))
        if not records:
            return 0
        batch = self.follower.apply_records(records)
        if batch.through_seq > self._written:
            self.writer.write(batch)
            self._written = batch.through_seq
        now = time.monotonic()
        if now - self._status_at >= STATUS_EVERY:
            self._status_at = now
            self.write_status(durable)
        return len(records) // RECORD_SIZE

    def status(self, durable_seq: int | None = None) -> ReporterStatus:
        durable = self.durable_seq() if durable_seq is None else durable_seq
        return ReporterStatus(self._written, durable, self.writer.backend, self.writer.where)

    def write_status(self, durable_seq: int | None = None) -> None:
        status = self.status(durable_seq)
        seen = (status.position, status.durable_seq)
        if seen != self._status_seen:
            write_status(self._data_dir, status)
            self._status_seen = seen

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._in.is_alerted():
            raise AlertException("ring alerted")

    def do_work(self) -> int:
        done = self.poll()
        if done:
            self._idle_sleeps.worked()
        else:
            self.write_status()
            self._check_alert()
            self._idle_sleeps.sleep()
        return done

    def on_start(self) -> None:
        lower_priority(self._nice, idle=self._idle)  # whatever core time the pipeline leaves

    def on_close(self) -> None:
        """Catch up with everything durable (unless halted), then record the status."""
        try:
            while not self._halt.halted and self.poll():
                pass
            self.write_status()
        finally:
            if self._tail is not None:
                self._tail.close()
            self.writer.close()
            self._in.close()  # our attached handle (the supervisor owns the segment)

    def halt(self) -> None:
        self._halt.halted = True
