"""Ring stress: a producer process and three consumer processes (two parallel, one joining
them) run for ``SEQUEX_STRESS_SECONDS``; no sequence may be lost, duplicated or reordered, no
payload torn, and every cursor the consumers sample must be monotonic. The consumers check all
of it themselves (see tests/disruptor/agents.py) and exit non-zero on the first violation.

The unmarked test runs briefly in ``make test``; ``make stress`` runs the marked long one.
"""

from __future__ import annotations

import os
import time
import uuid
from functools import partial

import pytest

from disruptor import AgentProcess, RingBuffer, cleanup_stale, list_names
from tests.disruptor.agents import checking_consumer, producer_agent


def _run(seconds: float, capacity: int, max_batch: int) -> int:
    prefix = f"sequex-stress{os.getpid()}-{uuid.uuid4().hex[:6]}-"
    cleanup_stale(prefix)
    ring = RingBuffer.create(prefix + "ring", capacity=capacity, slot_size=64, consumers=3)
    agents = [
        AgentProcess(partial(checking_consumer, ring.name, 0, write_column=2), name="c0"),
        AgentProcess(partial(checking_consumer, ring.name, 1, write_column=3), name="c1"),
        AgentProcess(
            partial(checking_consumer, ring.name, 2, (0, 1), check_columns=(2, 3)), name="c2"
        ),
    ]
    producer = AgentProcess(
        partial(producer_agent, ring.name, seconds, max_batch, int(time.time())), name="p"
    )
    try:
        for agent in agents:
            agent.start()
        producer.start()
        assert producer.join(seconds + 60) == 0, f"producer exit code {producer.exitcode}"
        last = ring.cursor.get()
        deadline = time.monotonic() + 30
        while ring.consumer_sequence(2).get() < last:
            crashed = [(a.name, a.exitcode) for a in agents if not a.is_alive()]
            assert not crashed, f"consumers exited early: {crashed}"
            assert time.monotonic() < deadline, "consumers stalled"
            time.sleep(0.01)
        ring.alert()
        codes = [a.join(10) for a in agents]
        assert codes == [0, 0, 0], f"consumer exit codes {codes}"
        assert [ring.consumer_sequence(i).get() for i in range(3)] == [last] * 3
        return last + 1
    finally:
        for agent in [*agents, producer]:
            agent.stop(2)
        ring.close()
        assert list_names(prefix) == []


@pytest.mark.timeout(120)
def test_short_stress_loses_duplicates_and_reorders_nothing() -> None:
    seconds = min(float(os.environ.get("SEQUEX_STRESS_SECONDS", "3")), 30.0)
    assert _run(seconds, capacity=64, max_batch=48) > 0


@pytest.mark.stress
@pytest.mark.timeout(0)
def test_long_stress_loses_duplicates_and_reorders_nothing() -> None:
    seconds = float(os.environ.get("SEQUEX_STRESS_SECONDS", "120"))
    # Alternate a tiny ring (constant wrap-around and backpressure) with a roomy one.
    half = seconds / 2
    assert _run(half, capacity=16, max_batch=16) > 0
    assert _run(half, capacity=4096, max_batch=1024) > 0
