"""Fixtures of the disruptor tests: a unique name prefix per test, and the runner kinds."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from disruptor import AgentProcess, AgentThread, cleanup_stale, list_names

Launcher = Callable[..., AgentProcess | AgentThread]


@pytest.fixture
def prefix() -> Iterator[str]:
    """A name prefix owned by this test; the test fails if anything is left under it."""
    value = f"sequex-t{os.getpid()}-{uuid.uuid4().hex[:8]}-"
    yield value
    leftovers = list_names(value)
    cleanup_stale(value)
    assert leftovers == [], f"left in /dev/shm: {leftovers}"


@pytest.fixture(params=["thread", "process"])
def launch(request: pytest.FixtureRequest) -> Iterator[Launcher]:
    """Start an agent factory in a thread or in a spawned process (the same scenarios run on
    both); every agent still running at teardown is stopped."""
    started: list[AgentProcess | AgentThread] = []

    def start(factory: Callable[[], object], name: str = "agent") -> AgentProcess | AgentThread:
        agent: AgentProcess | AgentThread
        if request.param == "thread":
            agent = AgentThread(factory, name=name)  # type: ignore[arg-type]
        else:
            agent = AgentProcess(factory, name=name)  # type: ignore[arg-type]
        agent.start()
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.stop(timeout=2.0)
