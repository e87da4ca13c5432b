"""Fixtures of the reporter tests: ``backend`` runs a test once per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.reporter.backends import BACKENDS, Backend, backend_in


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend_in(request.param, tmp_path) as chosen:
        yield chosen
