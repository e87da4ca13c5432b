"""The pure baseline every bench quotes: the same measurement on the uncompiled build.

A bench measures the running build, then asks for the same figures from the same sources run
uncompiled (``SEQUEX_PURE=1``), in the same run, so the speed-up is read on one noisy machine at
one moment. Two ways:

* :func:`measure_pure` runs ``python -m <module> <args>`` in a child with ``SEQUEX_PURE=1``; the
  child prints one JSON object with a ``build`` key (``engine.native.describe()``). It raises
  RuntimeError with the child's stderr when the child fails, and when the child did not run
  uncompiled (so a baseline is never silently the compiled build).
* :func:`pure_children` sets ``SEQUEX_PURE=1`` in this process's environment while a block
  starts processes (the pipeline's stages are spawned, and read it on import); this process
  keeps its own build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from engine import native


def measure_pure(module: str, args: list[str]) -> dict[str, Any]:
    """Run ``python -m module *args`` uncompiled; return the JSON object it printed."""
    env = {**os.environ, native.PURE_ENV: "1"}
    command = [sys.executable, "-m", module, *args]
    done = subprocess.run(
        command, cwd=native.ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"the pure-build measurement {' '.join(command[2:])!r} failed "
            f"(exit {done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except ValueError as exc:
        raise RuntimeError(f"the pure-build measurement printed no JSON: {exc}") from exc
    build = str(result.get("build", ""))
    if not build.startswith("pure"):
        raise RuntimeError(f"the baseline did not run on the pure build: {build!r}")
    return result


@contextmanager
def pure_children() -> Iterator[None]:
    """Processes started inside the block run uncompiled (``SEQUEX_PURE=1`` in the env)."""
    before = os.environ.get(native.PURE_ENV)
    os.environ[native.PURE_ENV] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[native.PURE_ENV]
        else:
            os.environ[native.PURE_ENV] = before
