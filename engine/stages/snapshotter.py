"""The snapshotter: follows the journal files off the hot path and writes periodic snapshots.

::

    journaler ──► DATA_DIR/journal/*.log ──► JournalTail ──► Exchange(W) ──► take_snapshot
        │                                       ▲                            (every N commands,
        └── durable_seq (its consumer sequence on ring[in]) bounds every read      and at close)

Contract.

* Not a ring consumer: it only *reads* the journaler's consumer sequence of ring[in]
  (``durable_seq``), so it never gates, slows or wakes a stage; it runs niced (``nice``) and,
  with ``idle``, in the idle scheduling class (``engine.stages.priority``), and polls with a
  short sleep when it has nothing to do. In the idle class it takes no core time from the
  order path during a burst and catches up after it; it leaves that class for its shutdown
  snapshot, which the stopping host waits for.
* It replays only records with seq <= durable_seq into its own ``Exchange(W)``, started from
  the same recovered state as the stages (``state``: ``Exchange.snapshot()`` bytes at
  ``base_seq``), so a snapshot never covers a command the journal has not made durable.
* Snapshots are taken at every multiple of ``snapshot_every`` (deterministic positions: replay
  stops at the boundary, snapshots, goes on), and once more when the stage closes, at whatever
  durable seq it has caught up with. ``take_snapshot`` writes through ``SnapshotStore`` (temp
  file, fsync, rename), so a crash mid-snapshot leaves every earlier snapshot valid.
* Any record it cannot verify (length, type, seq, checksum) raises :class:`TailError`: the host
  fails fast rather than snapshot a state that may not match its journal.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from disruptor import AlertException, RingBuffer
from engine.command_batches import FRAME, checksums_match
from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.domain.rules import CURRENT_RULES
from engine.journal_format import COMMAND_FRAME_SIZE, RECORD_COMMAND, journal_dir
from engine.rebuild import take_snapshot
from engine.records import RECORD_SIZE
from engine.stages.priority import leave_idle, lower_priority
from engine.stages.waiting import Halt as HaltFlag
from engine.stages.waiting import IdleBackoff
from journal import JournalReader
from journal.layout import FILE_HEADER_SIZE

#: Commands replayed per poll: bounds the time between two alert checks.
BATCH = 4096
#: Seconds slept by the first idle poll and by the longest (``IdleBackoff``): snapshots are not
#: latency-sensitive.
IDLE_SLEEP = 0.005
IDLE_SLEEP_MAX = 0.05


class TailError(Exception):
    """A durable journal record could not be read back as the expected command record."""


class JournalTail:
    """The command records of a host journal, read forward from ``after_seq + 1``.

    Relies on the host journal's shape: fixed-size command frames with consecutive seqs, and a
    segment created by a roll starting exactly at its first record's seq. Callers ask only for
    seqs known durable, so every frame asked for is complete on disk.
    """

    def __init__(self, directory: Path, after_seq: int) -> None:
        self._dir = directory
        self.next_seq = after_seq + 1
        self._fd = -1
        self._offset = 0

    def read(self, upto_seq: int) -> bytes:
        """The 128-byte records of seqs next_seq..upto_seq (fewer if a segment ends first;
        the next call continues in the next segment), verified; advances next_seq."""
        count = upto_seq - self.next_seq + 1
        if count <= 0:
            return b""
        if self._fd < 0:
            self._open_at(self.next_seq)
        data = os.pread(self._fd, count * COMMAND_FRAME_SIZE, self._offset)
        whole = len(data) // COMMAND_FRAME_SIZE
        if whole == 0:
            self._open_at(self.next_seq)  # this segment is complete: the roll starts here
            data = os.pread(self._fd, count * COMMAND_FRAME_SIZE, self._offset)
            whole = len(data) // COMMAND_FRAME_SIZE
            if whole == 0:
                raise TailError(f"durable seq {self.next_seq} is not in the journal")
        frames = np.frombuffer(data, dtype=FRAME, count=whole)
        self._verify(frames)
        self.next_seq += whole
        self._offset += whole * COMMAND_FRAME_SIZE
        return frames["payload"].tobytes()

    def _verify(self, frames: np.ndarray) -> None:
        expected = np.arange(self.next_seq, self.next_seq + len(frames), dtype=np.uint64)
        ok = (
            (frames["length"] == RECORD_SIZE).all()
            and (frames["type"] == RECORD_COMMAND).all()
            and (frames["seq"] == expected).all()
        )
        if ok:
            ok = checksums_match(frames.copy())  # a copy: frames is read-only bytes
        if not ok:
            raise TailError(
                f"journal records from seq {self.next_seq} do not verify in {self._dir}"
            )

    def _open_at(self, seq: int) -> None:
        """Open the segment holding ``seq`` and find its frame there."""
        self.close()
        segments = JournalReader(self._dir).segments()
        candidates = [(first, path) for first, path in segments if first <= seq]
        if not candidates:
            raise TailError(f"no journal segment holds seq {seq} in {self._dir}")
        first, path = candidates[-1]
        self._fd = os.open(path, os.O_RDONLY)
        guess = FILE_HEADER_SIZE + (seq - first) * COMMAND_FRAME_SIZE
        head = os.pread(self._fd, 16, guess)
        if len(head) == 16 and int.from_bytes(head[8:16], "little") == seq:
            self._offset = guess
            return
        body = os.pread(self._fd, os.fstat(self._fd).st_size, FILE_HEADER_SIZE)
        seqs = np.frombuffer(body, dtype=FRAME, count=len(body) // COMMAND_FRAME_SIZE)["seq"]
        index = int(np.searchsorted(seqs, seq))
        self._offset = FILE_HEADER_SIZE + index * COMMAND_FRAME_SIZE

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class SnapshotterAgent:
    """Follows the journal into its own Exchange; writes snapshots (see the module contract)."""

    def __init__(
        self,
        ring_in: RingBuffer,
        journaler: int,
        data_dir: str,
        feedback_window: int,
        snapshot_every: int,
        *,
        base_seq: int = 0,
        state: bytes | None = None,
        nice: int = 0,
        idle: bool = False,
        rules: int = CURRENT_RULES,
    ) -> None:
        if snapshot_every < 1:
            raise ValueError(f"snapshot_every must be >= 1, got {snapshot_every}")
        self._in = ring_in
        self._durable = ring_in.consumer_sequence(journaler)  # its sequence is durable_seq
        self._data_dir = data_dir
        self._every = snapshot_every
        self._base = base_seq
        self._nice = nice
        self._idle = idle
        self.exchange = (
            Exchange.restore(state) if state is not None else Exchange(feedback_window, rules)
        )
        if (self.exchange.feedback_window, self.exchange.rules) != (feedback_window, rules):
            raise ValueError(
                f"recovered state has W={self.exchange.feedback_window} and rules "
                f"{self.exchange.rules}, the host W={feedback_window} and rules {rules}"
            )
        self.last_seq = base_seq
        self.snapshot_seq = base_seq  # the state at base_seq is already recoverable
        self.snapshots: list[int] = []
        self._tail = JournalTail(journal_dir(data_dir), base_seq)
        self._decode = CommandReader().decode_many
        self._halt = HaltFlag()
        self._idle_sleeps = IdleBackoff(IDLE_SLEEP, IDLE_SLEEP_MAX)

    def durable_seq(self) -> int:
        return self._base + self._durable.get() + 1

    def poll(self) -> int:
        """Replay at most BATCH durable commands, stopping at the next snapshot boundary."""
        boundary = (self.last_seq // self._every + 1) * self._every
        upto = min(self.durable_seq(), boundary, self.last_seq + BATCH)
        records = self._tail.read(upto)
        if not records:
            return 0
        submit = self.exchange.submit
        for cmd in self._decode(records):
            submit(cmd)
        self.last_seq = self._tail.next_seq - 1
        if self.last_seq == boundary:
            self.snapshot()
        return len(records) // RECORD_SIZE

    def snapshot(self) -> None:
        """Write a snapshot of the state through ``last_seq`` (all durable, by construction)."""
        if self.last_seq > self.snapshot_seq:
            take_snapshot(self.exchange, self.last_seq, self._data_dir)
            self.snapshot_seq = self.last_seq
            self.snapshots.append(self.last_seq)

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._in.is_alerted():
            raise AlertException("ring alerted")

    def do_work(self) -> int:
        done = self.poll()
        if done:
            self._idle_sleeps.worked()
        else:
            self._check_alert()
            self._idle_sleeps.sleep()
        return done

    def on_start(self) -> None:
        lower_priority(self._nice, idle=self._idle)  # whatever core time the pipeline leaves

    def on_close(self) -> None:
        """Catch up with everything durable and take the shutdown snapshot."""
        leave_idle()  # the stopping host waits for it, however busy the machine is
        try:
            while self.poll():
                pass
            self.snapshot()
        finally:
            self._tail.close()
            self._in.close()  # our attached handle (the supervisor owns the segment)

    def halt(self) -> None:
        self._halt.halted = True
