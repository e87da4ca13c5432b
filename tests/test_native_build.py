"""The build of the hot path: compiled by default, switchable, never silently stale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from engine import native

ROOT = Path(__file__).resolve().parents[1]


def _env(pure: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    return env


def _python(code: str, pure: bool) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=_env(pure), capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_installed_build_is_the_compiled_one() -> None:
    """CI runs the compiled build: `make test` installs it, and nothing may fall back."""
    out = _python(
        "import engine.domain.book as b, engine.native as e; print(e.is_compiled(), b.__file__)",
        False,
    )
    compiled, path = out.split()
    assert compiled == "True"
    assert not path.endswith(".py"), path


def test_sequex_pure_runs_the_same_sources_uncompiled() -> None:
    code = (
        "import engine.domain.matcher as m, engine.native as e; print(e.is_compiled(), m.__file__)"
    )
    compiled, path = _python(code, True).split()
    assert compiled == "False"
    assert path.endswith("engine/domain/matcher.py")


def test_sequex_version_names_the_build() -> None:
    for pure, word in ((False, "compiled (Cython"), (True, "pure Python (SEQUEX_PURE=1)")):
        done = subprocess.run(
            [sys.executable, "-m", "tools.cli", "--version"],
            env=_env(pure),
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("sequex ") and word in done.stdout, done.stdout


def _copy_tree(tmp_path: Path) -> Path:
    """The sources, extension modules and stamp, as a tree build_state can judge."""
    root = tmp_path / "tree"
    for package in sorted({m.split(".")[0] for m in native.COMPILED_MODULES}):
        shutil.copytree(
            ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return root


def test_a_source_edited_after_the_build_is_reported_stale(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    assert native.build_state(root, {}) == "compiled"
    source = root / "engine" / "domain" / "matcher.py"
    source.write_text(source.read_text() + "\n# edited\n")
    assert native.build_state(root, {}) == "stale:engine.domain.matcher"
    assert native.build_state(root, {native.PURE_ENV: "1"}) == "pure-requested"


def test_a_pxd_edited_after_the_build_is_reported_stale(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    pxd = root / "engine" / "domain" / "book.pxd"
    pxd.write_text(pxd.read_text() + "\n")
    assert native.build_state(root, {}) == "stale:engine.domain.book"


def test_a_c_api_declaration_edited_after_the_build_is_reported_stale(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    pxd = root / "engine" / "reporter" / "sqlite_capi.pxd"
    pxd.write_text(pxd.read_text() + "\n")
    assert native.build_state(root, {}) == "stale:engine.reporter.sqlite_batches"


def test_a_tree_without_extension_modules_is_not_built(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    for so in root.rglob("*.so"):
        so.unlink()
    assert native.build_state(root, {}) == "not-built"


def test_a_stale_build_refuses_to_import_with_a_way_out(tmp_path: Path) -> None:
    """The import of engine itself fails, naming the module and how to rebuild."""
    root = _copy_tree(tmp_path)
    source = root / "engine" / "domain" / "risk.py"
    source.write_text(source.read_text() + "\n# edited\n")
    done = subprocess.run(
        [sys.executable, "-c", "import engine"],
        env={**_env(False), "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert done.returncode != 0
    assert "engine.domain.risk changed since it was built" in done.stderr
    assert "make build" in done.stderr and "SEQUEX_PURE=1" in done.stderr


def test_the_build_stops_with_a_clear_message_when_the_compiler_is_missing() -> None:
    done = subprocess.run(
        [sys.executable, "setup.py", "--name"],
        env={**_env(False), "CC": "no-such-compiler-for-sequex"},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert "cannot build the compiled core" in done.stderr
    assert "'no-such-compiler-for-sequex' was not found on PATH" in done.stderr
