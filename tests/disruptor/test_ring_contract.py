"""Ring contract: the same scenarios over threads and over processes (``launch`` fixture)."""

from __future__ import annotations

import time
from functools import partial

import numpy as np
import pytest

from disruptor import RingBuffer

from .agents import checking_consumer, produce
from .conftest import Launcher

pytestmark = pytest.mark.timeout(60)


def _wait_all(agents: list, timeout: float) -> list[int | None]:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    for agent in agents:
        agent.join(max(0.0, deadline - time.monotonic()))
    return [agent.exitcode for agent in agents]


def test_slow_consumer_sees_every_message_in_order_through_many_wraps(
    prefix: str, launch: Launcher
) -> None:
    count = 3000
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=64, consumers=1) as ring:
        consumer = launch(
            partial(checking_consumer, ring.name, 0, last=count - 1, delay=0.0002), "c0"
        )
        last = produce(ring, count, max_batch=8)
        assert last == count - 1
        assert _wait_all([consumer], 30) == [0]
        assert ring.consumer_sequence(0).get() == count - 1


def test_diamond_consumer_waits_for_both_parallel_consumers(prefix: str, launch: Launcher) -> None:
    count = 5000
    with RingBuffer.create(prefix + "ring", capacity=16, slot_size=64, consumers=3) as ring:
        c1 = launch(partial(checking_consumer, ring.name, 0, last=count - 1, write_column=2), "c1")
        c2 = launch(partial(checking_consumer, ring.name, 1, last=count - 1, write_column=3), "c2")
        c3 = launch(
            partial(checking_consumer, ring.name, 2, (0, 1), last=count - 1, check_columns=(2, 3)),
            "c3",
        )
        # The producer gates on the last consumer only: C3 can never pass C1 or C2 anyway.
        rng = np.random.default_rng(7)
        sequencer = ring.sequencer(gating=[2])
        from .agents import publish_batch

        remaining = count
        while remaining:
            n = min(remaining, int(rng.integers(1, 16)))
            publish_batch(ring, sequencer, n)
            remaining -= n
        assert _wait_all([c1, c2, c3], 30) == [0, 0, 0]
        assert [ring.consumer_sequence(i).get() for i in range(3)] == [count - 1] * 3


def test_blocked_consumer_is_alerted_and_exits_promptly(prefix: str, launch: Launcher) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=64, consumers=1) as ring:
        consumer = launch(partial(checking_consumer, ring.name, 0), "c0")
        deadline = time.monotonic() + 20
        while not ring.is_waiting(1) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert ring.is_waiting(1), "consumer never blocked"
        started = time.monotonic()
        ring.alert()
        assert _wait_all([consumer], 5) == [0]
        assert time.monotonic() - started < 1.0


def test_stop_interrupts_a_blocked_consumer(prefix: str, launch: Launcher) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=64, consumers=1) as ring:
        consumer = launch(partial(checking_consumer, ring.name, 0), "c0")
        deadline = time.monotonic() + 20
        while not ring.is_waiting(1) and time.monotonic() < deadline:
            time.sleep(0.005)
        started = time.monotonic()
        assert consumer.stop(timeout=5) == 0
        assert time.monotonic() - started < 1.0


def test_producer_blocks_on_a_full_ring_until_the_consumer_moves(
    prefix: str, launch: Launcher
) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=64, consumers=1) as ring:
        produce(ring, 8)  # fills the ring: the consumer is not running yet
        sequencer = ring.sequencer()
        assert sequencer.try_next(1) is None
        assert sequencer.remaining_capacity() == 0
        consumer = launch(partial(checking_consumer, ring.name, 0, last=15), "c0")
        produce(ring, 8)  # waits for the consumer to free slots
        assert _wait_all([consumer], 20) == [0]


def test_a_corrupted_payload_crashes_the_consumer_with_a_nonzero_exit(
    prefix: str, launch: Launcher
) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=64, consumers=1) as ring:
        consumer = launch(partial(checking_consumer, ring.name, 0, last=3), "c0")
        sequencer = ring.sequencer()
        hi = sequencer.next(4)
        ring.slots.view(np.int64)[:4, 0] = [0, 1, 99, 3]  # sequence 2 is wrong
        sequencer.publish(hi)
        assert _wait_all([consumer], 20) == [1]
