"""`sequex bench ring`: ring throughput across processes, beside a multiprocessing.Queue baseline.

Figures (each the median of ``--repeats`` runs, with ``_min`` and ``_max``):

* ``ring_msgs_per_s``: one producer (this process) → one consumer process, 64-byte slots. The
  producer writes every message (a 64-byte template row plus its sequence number) in claimed
  batches; the consumer checks the first and last sequence of every chunk it is handed and sums
  the sequence column with numpy, checked against the expected total at the end.
* ``queue_msgs_per_s``: the same 64-byte messages sent one by one through a
  ``multiprocessing.Queue`` to a consumer process that checks each sequence, as a Queue user would.
* ``queue_ratio``: ring / queue.
* ``pipeline4_msgs_per_s``: producer → stage1 → stage2 → stage3, each stage its own process with
  a barrier on the previous one (chained consumer sequences on one ring, as in the Disruptor).

Timing starts once every consumer is blocked waiting and stops when the last stage has consumed
the last message; process start-up is not measured. Measures only, asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
import uuid
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from disruptor import AgentProcess, BatchEventProcessor, RingBuffer, cleanup_stale
from disruptor.wait import AlertException

SLOT_SIZE = 64
_PREFIX_ROOT = "sequex-bench"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--messages", type=int, default=4_000_000, help="messages per ring run")
    parser.add_argument(
        "--queue-messages", type=int, default=200_000, help="messages per Queue run"
    )
    parser.add_argument("--batch", type=int, default=512, help="slots the producer claims at once")
    parser.add_argument("--capacity", type=int, default=1 << 14, help="ring slots (power of 2)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure")
    parser.add_argument(
        "--wait",
        default="block",
        choices=["block", "yield", "spin"],
        help="how a waiting consumer waits (default block)",
    )


# -- consumer stage (runs in its own process) ---------------------------------------------------


class _CheckingStage:
    """Agent: consumes every batch, checks chunk ends, sums the sequence column."""

    def __init__(self, ring_name: str, index: int, last: int) -> None:
        self.ring = RingBuffer.attach(ring_name)
        self._last = last
        self._total = 0
        deps = (index - 1,) if index else ()
        self.processor = BatchEventProcessor(
            self.ring.slots,
            self.ring.barrier(index, deps),
            self,
            self.ring.consumer_sequence(index),
        )

    def on_batch(
        self, slots: npt.NDArray[np.uint8], first: int, last: int, end_of_batch: bool
    ) -> None:
        seqs = slots.view(np.int64)[:, 0]
        if int(seqs[0]) != first or int(seqs[-1]) != last:
            raise AssertionError(f"chunk {first}..{last} holds {int(seqs[0])}..{int(seqs[-1])}")
        self._total += int(seqs.sum())

    def on_start(self) -> None:
        self.processor.on_start()

    def do_work(self) -> int:
        done = self.processor.do_work()
        if self.processor.sequence.get() >= self._last:
            expected = self._last * (self._last + 1) // 2
            if self._total != expected:
                raise AssertionError(f"sequence sum {self._total} != {expected}")
            raise AlertException("all consumed")
        return done

    def on_close(self) -> None:
        self.processor.on_close()
        self.ring.close()

    def halt(self) -> None:
        self.processor.halt()


def _stage(ring_name: str, index: int, last: int) -> _CheckingStage:
    return _CheckingStage(ring_name, index, last)


# -- ring runs ----------------------------------------------------------------------------------


def run_ring_once(
    messages: int, stages: int, batch: int = 512, capacity: int = 1 << 14, wait: str = "block"
) -> float:
    """Publish ``messages`` through ``stages`` chained consumer processes; returns seconds."""
    prefix = f"{_PREFIX_ROOT}{os.getpid()}-{uuid.uuid4().hex[:6]}-"
    batch = max(1, min(batch, capacity))
    last = messages - 1
    ring = RingBuffer.create(prefix + "ring", capacity, SLOT_SIZE, stages, wait)
    agents = [
        AgentProcess(partial(_stage, ring.name, i, last), name=f"stage{i + 1}")
        for i in range(stages)
    ]
    try:
        for agent in agents:
            agent.start()
        deadline = time.monotonic() + 60
        while not all(ring.is_waiting(1 + i) for i in range(stages)):
            if time.monotonic() > deadline or any(a.exitcode is not None for a in agents):
                raise RuntimeError("bench stages did not start")
            time.sleep(0.005)
        elapsed = _produce(ring, messages, batch, ring.consumer_sequence(stages - 1))
        codes = [a.join(30) for a in agents]
        if codes != [0] * stages:
            raise RuntimeError(f"bench stages exited with {codes}")
        return elapsed
    finally:
        for agent in agents:
            agent.stop(2)
        ring.close()
        cleanup_stale(prefix)


def _produce(ring: RingBuffer, messages: int, batch: int, tail: Any) -> float:
    sequencer = ring.sequencer()
    slots = ring.slots
    seq_column = slots.view(np.int64)[:, 0]
    template = np.frombuffer(bytes(range(SLOT_SIZE)) * batch, dtype=np.uint8).reshape(batch, -1)
    offsets = np.arange(batch, dtype=np.int64)
    mask = ring.mask
    capacity = ring.capacity
    next_, publish = sequencer.next, sequencer.publish
    started = time.perf_counter()
    lo = 0
    while lo < messages:
        n = min(batch, messages - lo)
        hi = next_(n)
        start = lo & mask
        if start + n <= capacity:
            slots[start : start + n] = template[:n]
            np.add(offsets[:n], lo, out=seq_column[start : start + n])
        else:
            head = capacity - start
            slots[start:] = template[:head]
            np.add(offsets[:head], lo, out=seq_column[start:])
            slots[: n - head] = template[head:n]
            np.add(offsets[head:n], lo, out=seq_column[: n - head])
        publish(hi)
        lo = hi + 1
    last = messages - 1
    while tail.get() < last:
        time.sleep(0.0002)
    return time.perf_counter() - started


# -- multiprocessing.Queue baseline ---------------------------------------------------------------


def _queue_consumer(queue: Any, done: Any, messages: int) -> None:
    get = queue.get
    get()  # the warm-up message
    for seq in range(messages):
        message = get()
        if int.from_bytes(message[:8], "little") != seq or len(message) != SLOT_SIZE:
            raise AssertionError(f"queue message {seq} is wrong")
    done.put(True)


def run_queue_once(messages: int) -> float:
    """Send ``messages`` 64-byte messages one by one through a Queue; returns seconds."""
    ctx = multiprocessing.get_context("spawn")
    queue: Any = ctx.Queue()
    done: Any = ctx.Queue()
    consumer = ctx.Process(target=_queue_consumer, args=(queue, done, messages), daemon=True)
    consumer.start()
    try:
        queue.put(b"")  # warm-up: starts the feeder thread before the clock
        pad = bytes(range(8, SLOT_SIZE))
        put = queue.put
        started = time.perf_counter()
        for seq in range(messages):
            put(seq.to_bytes(8, "little") + pad)
        done.get(timeout=120)
        return time.perf_counter() - started
    finally:
        consumer.join(5)
        if consumer.is_alive():
            consumer.kill()
            consumer.join(5)


# -- harness -----------------------------------------------------------------------------------


def _figures(name: str, rates: list[float]) -> dict[str, float]:
    return {
        name: round(statistics.median(rates)),
        f"{name}_min": round(min(rates)),
        f"{name}_max": round(max(rates)),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run every figure ``args.repeats`` times; returns the figures."""
    cleanup_stale(_PREFIX_ROOT)
    repeats = max(1, args.repeats)
    ring_rates = [
        args.messages / run_ring_once(args.messages, 1, args.batch, args.capacity, args.wait)
        for _ in range(repeats)
    ]
    queue_rates = [
        args.queue_messages / run_queue_once(args.queue_messages) for _ in range(repeats)
    ]
    pipe_rates = [
        args.messages / run_ring_once(args.messages, 3, args.batch, args.capacity, args.wait)
        for _ in range(repeats)
    ]
    figures: dict[str, Any] = {}
    figures.update(_figures("ring_msgs_per_s", ring_rates))
    figures.update(_figures("queue_msgs_per_s", queue_rates))
    figures["queue_ratio"] = round(
        statistics.median(ring_rates) / statistics.median(queue_rates), 1
    )
    figures.update(_figures("pipeline4_msgs_per_s", pipe_rates))
    figures.update(
        messages=args.messages,
        queue_messages=args.queue_messages,
        batch=args.batch,
        capacity=args.capacity,
        slot_size=SLOT_SIZE,
        repeats=repeats,
        wait=args.wait,
        cpus=os.cpu_count() or 0,
    )
    return figures
