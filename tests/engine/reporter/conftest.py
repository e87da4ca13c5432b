"""Fixtures of the reporter tests: ``backend`` runs a test once per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.reporter.backends import BACKENDS, Backend, reporter_config


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    name: str = request.param
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    with reporter_config(name) as config:
        chosen = Backend(name, config, data_dir)
        try:
            yield chosen
        finally:
            chosen.close_all()
