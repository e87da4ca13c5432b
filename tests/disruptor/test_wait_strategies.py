"""Wait strategies: each returns the lowest available sequence, honours alerts, and the
blocking one sleeps without CPU, posts only real waiters, and copes with more processes than
cores."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from functools import partial

import pytest

from disruptor import (
    AgentProcess,
    AlertException,
    BusySpinWaitStrategy,
    LocalSequence,
    RingBuffer,
    SequenceBarrier,
    SpinThenBlockWaitStrategy,
    WaitStrategy,
    YieldingWaitStrategy,
)

from .agents import checking_consumer, produce

pytestmark = pytest.mark.timeout(60)


def _strategies(ring: RingBuffer) -> dict[str, Callable[[], WaitStrategy]]:
    return {
        "spin": BusySpinWaitStrategy,
        "yield": YieldingWaitStrategy,
        "block": lambda: SpinThenBlockWaitStrategy(ring.board, 1, spin_tries=10),
    }


@pytest.mark.parametrize("kind", ["spin", "yield", "block"])
def test_wait_for_returns_the_lowest_of_cursor_and_dependents(prefix: str, kind: str) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=1) as ring:
        strategy = _strategies(ring)[kind]()
        cursor, upstream = LocalSequence(-1), LocalSequence(-1)
        barrier = SequenceBarrier(cursor, [upstream], strategy)

        def advance() -> None:
            time.sleep(0.05)
            cursor.set(9)
            strategy.signal_all_when_blocking()
            time.sleep(0.05)
            upstream.set(6)
            strategy.signal_all_when_blocking()

        thread = threading.Thread(target=advance)
        thread.start()
        assert barrier.wait_for(5) == 6
        thread.join()


@pytest.mark.parametrize("kind", ["spin", "yield", "block"])
def test_a_waiting_barrier_raises_when_alerted_from_another_thread(prefix: str, kind: str) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=1) as ring:
        strategy = _strategies(ring)[kind]()
        if kind == "block":
            # no periodic wake-up to fall back on: only the alert's own signal ends the wait
            strategy = SpinThenBlockWaitStrategy(ring.board, 1, spin_tries=10, timeout=30.0)
        barrier = SequenceBarrier(LocalSequence(-1), [], strategy)
        timer = threading.Timer(0.05, barrier.alert)
        timer.start()
        started = time.monotonic()
        with pytest.raises(AlertException):
            barrier.wait_for(0)
        assert time.monotonic() - started < 1.0
        timer.join()


def test_the_blocking_strategy_sleeps_without_burning_cpu(prefix: str) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=1) as ring:
        barrier = ring.barrier(0)
        used: list[float] = []

        def wait() -> None:
            start = time.thread_time()
            with pytest.raises(AlertException):
                barrier.wait_for(0)
            used.append(time.thread_time() - start)

        thread = threading.Thread(target=wait)
        thread.start()
        time.sleep(0.5)
        assert ring.is_waiting(1)
        ring.alert()
        thread.join(5)
        assert used and used[0] < 0.1, f"waiter used {used} s of CPU in 0.5 s"


def test_signalling_with_nobody_waiting_posts_nothing(prefix: str) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=2) as ring:
        sequencer = ring.sequencer()
        for _ in range(5):
            sequencer.publish(sequencer.next(1))
        assert [sem.value for sem in ring._semaphores] == [0, 0, 0]


def test_a_waiter_is_posted_once_per_blocking_episode(prefix: str) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=1) as ring:
        ring.board.begin_wait(1)  # as a consumer about to block would
        strategy = ring.wait_strategy(0)
        for _ in range(3):
            strategy.signal_all_when_blocking()
        assert ring._semaphores[1].value == 1
        ring.board.end_wait(1)
        ring.board.begin_wait(1)  # a new episode is posted again
        strategy.signal_all_when_blocking()
        assert ring._semaphores[1].value == 2
        ring.board.end_wait(1)


def test_an_aimed_board_posts_only_its_targets(prefix: str) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=2) as ring:
        ring.board.aim([1])  # this party's progress concerns consumer 0 only
        for waiter in (0, 1, 2):
            ring.board.begin_wait(waiter)  # everyone about to block
        ring.board.signal()
        assert [sem.value for sem in ring._semaphores] == [0, 1, 0]
        ring.board.aim(range(3))  # back to everyone: the others are posted now
        ring.board.signal()
        assert [sem.value for sem in ring._semaphores] == [1, 1, 1]
        ring.alert()  # an alert still reaches every waiter
        assert [sem.value for sem in ring._semaphores] == [2, 2, 2]
        with pytest.raises(ValueError, match=r"waiters are 0\.\.2"):
            ring.board.aim([3])


def _cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_more_processes_than_cores_idle_cheaply_and_finish_promptly(prefix: str) -> None:
    consumers = max(4, 2 * (os.cpu_count() or 2))  # with the producer: over twice the cores
    count = 20_000
    with RingBuffer.create(prefix + "ring", capacity=64, slot_size=64, consumers=consumers) as ring:
        # A chain: consumer i waits on consumer i-1, the worst case for hand-offs.
        agents = [
            AgentProcess(
                partial(checking_consumer, ring.name, i, (i - 1,) if i else (), last=count - 1),
                name=f"c{i}",
            )
            for i in range(consumers)
        ]
        for agent in agents:
            agent.start()
        try:
            deadline = time.monotonic() + 30
            while not all(ring.is_waiting(1 + i) for i in range(consumers)):
                assert time.monotonic() < deadline, "consumers never blocked"
                time.sleep(0.01)
            before = [_cpu_ticks(a.pid or 0) for a in agents]
            time.sleep(0.5)
            after = [_cpu_ticks(a.pid or 0) for a in agents]
            idle_ticks = [b - a for a, b in zip(before, after, strict=True)]
            tick = os.sysconf("SC_CLK_TCK")
            assert max(idle_ticks) <= 0.05 * tick, f"idle consumers used ticks {idle_ticks}"
            produce(ring, count, max_batch=16)
            codes = [a.join(30) for a in agents]
        finally:
            for agent in agents:
                agent.stop(2)
        assert codes == [0] * consumers  # throughput is perf/bench_ring.py's business
