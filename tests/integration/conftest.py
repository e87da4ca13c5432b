"""Fixtures of the integration tests: a shm prefix owned by the test, a process-host runner."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from disruptor import cleanup_stale, list_names
from engine.supervisor import Supervisor
from engine.topology import TopologySpec


@pytest.fixture
def prefix() -> Iterator[str]:
    """A name prefix owned by this test; the test fails if anything is left under it."""
    value = f"sequex-it{os.getpid()}-{uuid.uuid4().hex[:8]}-"
    yield value
    leftovers = list_names(value)
    cleanup_stale(value)
    assert leftovers == [], f"left in /dev/shm: {leftovers}"


def run_host(
    spec: TopologySpec, records: np.ndarray[Any, Any], timeout: float = 60.0
) -> dict[str, Any]:
    """Inject ``records`` into a process host, drain, stop; return the publisher's summary."""
    assert spec.summary_path is not None
    with Supervisor(spec) as host:
        host.injector().publish(records)
        assert host.drain(timeout), f"not drained: failure={host.failure}"
    assert host.failure is None, host.failure
    assert all(code == 0 for code in host.exit_codes().values()), host.exit_codes()
    summary: dict[str, Any] = json.loads(Path(spec.summary_path).read_text())
    return summary
