"""Test agents and payload helpers shared by the ring contract tests and the stress test.

Factories are top-level functions so that the ``spawn`` start method can pickle them; an agent
attaches to the ring by name inside its own process (or thread) and detaches on close.

Payload of a slot, as int64 columns: column 0 = sequence, column 1 = 3 * sequence + 1 (written
by the producer); column ``c >= 2`` = sequence * (c + 3), written by the consumer told to.
A checking consumer raises AssertionError on any mismatch, which makes its process exit with
code 1; reaching ``last`` makes it halt itself, exiting with code 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from disruptor import BatchEventProcessor, RingBuffer, SingleProducerSequencer
from disruptor.wait import AlertException

I64 = np.int64


def column_value(column: int, seqs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    if column == 0:
        return seqs
    if column == 1:
        return seqs * 3 + 1
    return seqs * (column + 3)


def publish_batch(ring: RingBuffer, sequencer: SingleProducerSequencer, n: int) -> int:
    """Claim ``n`` slots, write columns 0 and 1 in bulk, publish; returns the highest seq."""
    hi = sequencer.next(n)
    lo = hi - n + 1
    cols = ring.slots.view(I64)
    seq = lo
    for start, stop in ring.chunks(lo, hi):
        seqs = np.arange(seq, seq + (stop - start), dtype=I64)
        cols[start:stop, 0] = seqs
        cols[start:stop, 1] = column_value(1, seqs)
        seq += stop - start
    sequencer.publish(hi)
    return hi


def produce(ring: RingBuffer, count: int, seed: int = 1, max_batch: int = 8) -> int:
    """Publish ``count`` messages in random batch sizes; returns the last sequence."""
    rng = np.random.default_rng(seed)
    sequencer = ring.sequencer()
    hi = ring.cursor.get()
    remaining = count
    while remaining > 0:
        n = min(remaining, int(rng.integers(1, max_batch + 1)), ring.capacity)
        hi = publish_batch(ring, sequencer, n)
        remaining -= n
    return hi


class _Handler:
    """A batch handler made of a bound method (the agent must not be its own handler: the
    processor forwards on_start to its handler)."""

    def __init__(self, on_batch: Callable[[npt.NDArray[np.uint8], int, int, bool], None]) -> None:
        self.on_batch = on_batch


class CheckingConsumer:
    """Agent: a batch processor whose handler validates (and optionally annotates) payloads."""

    def __init__(
        self,
        ring_name: str,
        consumer: int,
        depends_on: tuple[int, ...] = (),
        last: int | None = None,
        write_column: int | None = None,
        check_columns: tuple[int, ...] = (),
        delay: float = 0.0,
        max_batch: int | None = None,
    ) -> None:
        self.ring = RingBuffer.attach(ring_name)
        self._cols = self.ring.slots.view(I64)
        self._last = last
        self._write_column = write_column
        self._check_columns = (0, 1, *check_columns)
        self._delay = delay
        self._upstream = [self.ring.consumer_sequence(i) for i in depends_on]
        self._seen_cursor = -1
        self._seen_upstream = [-1] * len(depends_on)
        self._expected = self.ring.consumer_sequence(consumer).get() + 1
        self.processor = BatchEventProcessor(
            self.ring.slots,
            self.ring.barrier(consumer, depends_on),
            _Handler(self.on_batch),
            self.ring.consumer_sequence(consumer),
            max_batch=max_batch,
        )

    # -- handler ---------------------------------------------------------------------------

    def on_batch(
        self, slots: npt.NDArray[np.uint8], first: int, last: int, end_of_batch: bool
    ) -> None:
        assert first == self._expected, f"expected sequence {self._expected}, got {first}"
        self._expected = last + 1
        cursor = self.ring.cursor.get()
        assert cursor >= self._seen_cursor, f"cursor went back {self._seen_cursor} -> {cursor}"
        assert cursor >= last, f"handed {last} beyond cursor {cursor}"
        self._seen_cursor = cursor
        for k, seq in enumerate(self._upstream):
            value = seq.get()
            assert value >= last, f"upstream {k} at {value} < handed {last}"
            assert value >= self._seen_upstream[k], "upstream sequence went back"
            self._seen_upstream[k] = value
        cols = slots.view(I64)
        seqs = np.arange(first, last + 1, dtype=I64)
        for column in self._check_columns:
            if not np.array_equal(cols[:, column], column_value(column, seqs)):
                bad = int(np.flatnonzero(cols[:, column] != column_value(column, seqs))[0])
                raise AssertionError(
                    f"column {column} of sequence {first + bad}: {int(cols[bad, column])}"
                )
        if self._write_column is not None:
            cols[:, self._write_column] = column_value(self._write_column, seqs)
        if self._delay:
            time.sleep(self._delay)

    # -- agent -----------------------------------------------------------------------------

    def on_start(self) -> None:
        self.processor.on_start()

    def do_work(self) -> int:
        if self._last is not None and self.processor.sequence.get() >= self._last:
            raise AlertException("consumed everything")
        return self.processor.do_work()

    def on_close(self) -> None:
        self.processor.on_close()
        del self._cols
        self.ring.close()

    def halt(self) -> None:
        self.processor.halt()


def checking_consumer(
    ring_name: str,
    consumer: int,
    depends_on: tuple[int, ...] = (),
    last: int | None = None,
    write_column: int | None = None,
    check_columns: tuple[int, ...] = (),
    delay: float = 0.0,
    max_batch: int | None = None,
) -> CheckingConsumer:
    return CheckingConsumer(
        ring_name, consumer, depends_on, last, write_column, check_columns, delay, max_batch
    )


class ProducerAgent:
    """Agent: publishes random batches until ``seconds`` have passed, then stops itself."""

    def __init__(self, ring_name: str, seconds: float, max_batch: int, seed: int) -> None:
        self.ring = RingBuffer.attach(ring_name)
        self._sequencer = self.ring.sequencer()
        self._rng = np.random.default_rng(seed)
        self._max_batch = min(max_batch, self.ring.capacity)
        self._deadline = time.monotonic() + seconds

    def on_start(self) -> None:
        pass

    def do_work(self) -> int:
        if time.monotonic() >= self._deadline:
            raise AlertException("time is up")
        n = int(self._rng.integers(1, self._max_batch + 1))
        publish_batch(self.ring, self._sequencer, n)
        return n

    def on_close(self) -> None:
        self.ring.close()

    def halt(self) -> None:
        self._deadline = 0.0


def producer_agent(ring_name: str, seconds: float, max_batch: int, seed: int) -> ProducerAgent:
    return ProducerAgent(ring_name, seconds, max_batch, seed)


def own_ring_and_hang(name: str) -> None:
    """Child body for the crash test: create a ring as its owner, then wait to be killed."""
    ring = RingBuffer.create(name, 8, 64, 1)
    assert ring.is_owner
    time.sleep(60)


def attach_and_leave(name: str) -> None:
    """Child body: attach to a ring, read it, close, exit normally (must not unlink)."""
    ring = RingBuffer.attach(name)
    assert not ring.is_owner
    ring.cursor.get()
    ring.close()


def hang() -> None:
    """Child body: do nothing until killed."""
    time.sleep(600)
