"""The compiled build and the uncompiled sources give byte-identical outputs.

Each case runs `tests.engine.differential` twice in fresh processes: once as installed (the
compiled extension modules, which this test requires: a missing or stale build fails it) and
once with ``SEQUEX_PURE=1`` (the same sources, uncompiled). Both report the canonical event
lines' digest per block of commands, the state hash at checkpoints (with a snapshot/restore
halfway) and the final state hash and snapshot; they must be equal. On a difference the test
shows the canonical lines of the first block that differs, from both builds.

``make test`` runs a short version of each stream; ``make stress`` runs 1M commands of the
full mix (every order type, cancels, replaces, rejects of every reason, STP in every mode,
halts, EndOfDay) at W = 1 and W = 1024.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.engine.differential import BLOCK

ROOT = Path(__file__).resolve().parents[2]


def _run(pure: bool, *args: object) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "SEQUEX_PURE"}
    if pure:
        env["SEQUEX_PURE"] = "1"
    command = [sys.executable, "-m", "tests.engine.differential", *map(str, args)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=3600)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-4000:]
    return done


def _summary(pure: bool, *args: object) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_run(pure, *args).stdout)
    return result


def _first_difference(compiled: dict[str, Any], pure: dict[str, Any]) -> int | None:
    for index, (a, b) in enumerate(zip(compiled["blocks"], pure["blocks"], strict=False)):
        if a != b:
            return index
    return None


def assert_identical(stream: str, seed: int, count: int, window: int) -> dict[str, Any]:
    compiled = _summary(False, stream, seed, count, window)
    pure = _summary(True, stream, seed, count, window)
    assert compiled["compiled"], f"the build under test is not compiled: {compiled['build']}"
    assert not pure["compiled"], pure["build"]
    block = _first_difference(compiled, pure)
    if block is not None:
        lo, hi = block * BLOCK + 1, (block + 1) * BLOCK
        dumps = [_run(p, stream, seed, count, window, "--dump", lo, hi).stdout for p in (0, 1)]
        a, b = (d.decode().splitlines() for d in dumps)
        first = next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
        context = "\n".join(f"compiled: {x}\npure:     {y}" for x, y in zip(a, b, strict=False))
        pytest.fail(f"outputs differ in commands {lo}..{hi}:\n" + context.splitlines()[first])
    for key in ("commands", "events", "blocks", "checkpoints", "state_hash", "snapshot", "rows"):
        assert compiled[key] == pure[key], key
    return compiled


@pytest.mark.parametrize("window", [1, 1024])
def test_the_full_mix_is_identical_compiled_and_pure(window: int) -> None:
    summary = assert_identical("mix", 11, 120_000, window)
    assert summary["events"] > 120_000  # the stream trades, not only refuses


@pytest.mark.parametrize(
    ("stream", "window"),
    [("replaces", 2), ("replaces", 17), ("kinds", 3), ("settle", 1), ("settle", 64)],
)
def test_replaces_in_flight_and_every_kind_are_identical(stream: str, window: int) -> None:
    assert_identical(stream, window, 20_000, window)


@pytest.mark.parametrize("stream", ["standard", "deep"])
def test_the_book_workloads_are_identical(stream: str) -> None:
    assert_identical(stream, 5, 60_000, 1)


@pytest.mark.stress
@pytest.mark.parametrize("window", [1, 1024])
def test_a_million_commands_of_the_full_mix_are_identical(window: int) -> None:
    summary = assert_identical("mix", 1, 1_000_000, window)
    assert summary["commands"] >= 1_000_000
