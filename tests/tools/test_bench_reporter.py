"""`sequex bench reporter` with tiny counts: every figure of both backends exists, the replay
added no row, and the PostgreSQL schema and the temporary files are gone afterwards."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
import pytest

from tests.engine.reporter.backends import PG_DSN, require_postgres
from tools.cli import main


def _bench_schemas() -> set[str]:
    """This process's bench schemas (named after its pid): other test runs and benches share
    the server and create and drop their own meanwhile."""
    with psycopg.connect(PG_DSN, connect_timeout=10) as db:
        rows = db.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            (f"sequex_bench_{os.getpid()}_%",),
        ).fetchall()
    return {str(row[0]) for row in rows}


def test_bench_reporter_prints_every_figure_of_both_backends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_postgres()
    schemas_before = _bench_schemas()
    args = ["bench", "reporter", "--json", "--commands", "1500", "--batch", "500"]
    assert main([*args, "--repeats", "2", "--dir", str(tmp_path), "--dsn", PG_DSN]) == 0
    figures = json.loads(capsys.readouterr().out)
    for prefix in ("", "pg_"):
        for name in ("rows_per_s", "writer_rows_per_s", "replay_rows_per_s", "sync_rows_per_s"):
            key = prefix + name
            assert figures[f"{key}_min"] <= figures[key] <= figures[f"{key}_max"], key
            assert figures[key] > 0, key
    assert figures["builder_rows_per_s"] > 0 and figures["sync_commands_per_s"] > 0
    assert (
        figures["rows_per_cpu_s_min"] <= figures["rows_per_cpu_s"] <= figures["rows_per_cpu_s_max"]
    )
    for prefix in ("", "pg_"):  # the same work per command: fewer commands than rows
        assert 0 < figures[f"{prefix}commands_per_s"] < figures[f"{prefix}rows_per_s_max"]
    assert figures["commands"] > 1500 and figures["batch"] == 500
    assert figures["rows"] == sum(v for k, v in figures.items() if k.startswith("rows_") and
                                  not k.startswith("rows_per"))  # fmt: skip
    assert figures["rows_executions"] > 0 and figures["rows_order_events"] > 0
    assert figures["build"].startswith("compiled")
    assert list(tmp_path.iterdir()) == []  # the journal and the SQLite files are removed
    assert _bench_schemas() == schemas_before  # each run's schema is dropped


def test_bench_reporter_human_output_names_the_goal_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["bench", "reporter", "--commands", "300", "--repeats", "1", "--sync-repeats", "0"]
    assert main([*args, "--no-pg", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sequex bench reporter")
    assert "rows_per_s" in out and "builder_rows_per_s" in out and "pg_rows_per_s" not in out
