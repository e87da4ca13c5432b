"""Journaler: ring[in] slot ranges -> the journal; its consumer sequence *is* durable_seq.

Contract. A consumer of ring[in] (``consumer``, its index in the topology's table) that waits
for no other. Each poll takes every available slot (up to ``max_batch``),
appends the range with one ``append_fixed`` per contiguous chunk (record type COMMAND, journal
seq = seq_no = base_seq + slot + 1, the 128-byte record untouched), commits, and only then
publishes its consumer sequence, up to the journal's ``durable_seq``: the risk stage's barrier
depends on it, so nothing takes effect before it is on stable storage. Under the interval sync
policy a commit may leave the tail not yet durable; when no more input is waiting the journaler
forces the sync, so durability never waits for traffic. Bytes only: no per-command objects.
Each time it publishes, it counts the age of every command it made durable (hop DURABLE of
``engine.hop_board``, when the host made one).

Restart: the writer reopens the existing journal and must end exactly at ``base_seq`` (the seq
the recovered state covers), so the next record is base_seq + 1: no gap, no duplicate.
"""

from __future__ import annotations

from disruptor import RingBuffer
from engine.hop_board import Hop, HopBoard, ring_stamps
from engine.journal_format import RECORD_COMMAND
from engine.records import RECORD_SIZE, TS_OFFSET
from engine.stages.waiting import PollingStage
from journal import JournalWriter


class JournalerStage(PollingStage):
    """A consumer of ring[in]; writes the journal."""

    def __init__(
        self,
        ring: RingBuffer,
        writer: JournalWriter,
        consumer: int,
        base_seq: int = 0,
        max_batch: int = 65536,
        hops: HopBoard | None = None,
    ) -> None:
        if writer.last_seq != base_seq:
            writer.close()
            raise ValueError(
                f"the journal ends at seq {writer.last_seq} but the stage continues from "
                f"base_seq {base_seq}: the recovered state and the journal disagree"
            )
        self._ring = ring
        self._writer = writer
        self._base = base_seq
        self._max_batch = max_batch
        self._barrier = ring.barrier(consumer)
        self._sequence = ring.consumer_sequence(consumer)
        self._signal = self._barrier.wait_strategy.signal_all_when_blocking
        self._appended = self._sequence.get()
        self.commits = 0
        #: where the age of every command made durable is counted (engine.hop_board)
        self._hops = hops

    def poll(self) -> int:
        lo = self._appended + 1
        hi = min(self._barrier.available(), lo + self._max_batch - 1)
        if hi >= lo:
            slots = self._ring.slots
            append = self._writer.append_fixed
            first = self._base + lo + 1
            for start, stop in self._ring.chunks(lo, hi):
                append(RECORD_COMMAND, first, slots[start:stop], RECORD_SIZE)
                first += stop - start
            self._appended = hi
        durable = self._writer.commit()
        if durable < self._base + self._appended + 1 and self._barrier.available() == hi:
            durable = self._writer.sync()  # idle: make the tail durable now
        self.commits += hi >= lo
        published = min(durable - self._base - 1, self._appended)
        if published > self._sequence.get():
            stamps = None
            if self._hops is not None:  # read while we still gate their slots
                oldest = self._sequence.get() + 1
                stamps = ring_stamps(self._ring, oldest, published, TS_OFFSET)
            self._sequence.set(published)
            self._signal()
            if self._hops is not None and stamps is not None:
                self._hops.record_stamps(Hop.DURABLE, stamps)
        return max(0, hi - lo + 1)

    def wait(self) -> None:
        if self._sequence.get() < self._appended:
            return  # a sync is still due: poll again
        self._barrier.wait_for(self._appended + 1)

    def on_close(self) -> None:
        self._writer.close()
        self._ring.close()  # our attached handle (the supervisor owns the segment)
        if self._hops is not None:
            self._hops.close()

    def halt(self) -> None:
        self._barrier.alert()
