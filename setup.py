"""Build the compiled hot path: Cython compiles the modules `engine.native` lists, in place.

Metadata lives in pyproject.toml; this file only adds the extension modules. ``pip install .``
and ``pip install -e .`` both run it, so a fresh clone needs nothing beyond gcc and the Python
headers. ``SEQUEX_PURE=1`` at install time skips the compilation (the sources then run
uncompiled). Anything missing stops the build with a message that names it.
"""

from __future__ import annotations

import json
import os
import runpy
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
BUILD = runpy.run_path(str(HERE / "engine" / "native.py"))


def fail(message: str) -> None:
    sys.stderr.write(f"\nsequex: cannot build the compiled core: {message}\n\n")
    raise SystemExit(1)


def check_toolchain() -> None:
    """Fail early, and clearly, when the compiler or the Python headers are missing."""
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    compiler = shlex.split(cc)[0]
    if shutil.which(compiler) is None:
        fail(
            f"the C compiler {compiler!r} was not found on PATH. Install one (Debian/Ubuntu: "
            f"`apt install gcc`), or install uncompiled with SEQUEX_PURE=1."
        )
    include = sysconfig.get_paths()["include"]
    if not Path(include, "Python.h").exists():
        fail(
            f"the Python headers are missing ({include}/Python.h). Install them (Debian/Ubuntu: "
            f"`apt install python3-dev`), or install uncompiled with SEQUEX_PURE=1."
        )
    try:
        import Cython  # noqa: F401
    except ImportError:
        fail("Cython is not installed in the build environment (pip install 'cython>=3.1').")
    check_sqlite(shlex.split(cc))


def check_sqlite(cc: list[str]) -> None:
    """engine.reporter.sqlite_batches calls SQLite's C API: its header must be found, and
    the library linked (the compiler finds both where the system keeps them)."""
    probe = "#include <sqlite3.h>\nint main(void) { return sqlite3_libversion_number() < 0; }\n"
    out = HERE / "build" / "sqlite_probe"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [*cc, "-x", "c", "-", "-o", str(out), "-lsqlite3"],
        input=probe,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        fail(
            "the SQLite C library or its header (sqlite3.h) is missing: the reporter's SQLite "
            "writer is compiled against it. Install it (Debian/Ubuntu: `apt install "
            f"libsqlite3-dev`), or install uncompiled with SEQUEX_PURE=1.\n{result.stderr}"
        )


class BuildWithStamp(build_ext):
    """build_ext that names a failing module and records the digest of every compiled source."""

    def build_extension(self, ext: object) -> None:
        try:
            super().build_extension(ext)  # type: ignore[arg-type]
        except Exception as exc:  # compiler errors come as several distutils classes
            fail(f"compiling {getattr(ext, 'name', ext)} failed: {exc}")

    def run(self) -> None:
        super().run()
        import Cython

        stamp = {
            "cython": Cython.__version__,
            "sources": {m: BUILD["source_digest"](m, HERE) for m in BUILD["COMPILED_MODULES"]},
        }
        text = json.dumps(stamp, indent=1, sort_keys=True) + "\n"
        targets = [HERE / "engine" / BUILD["STAMP_NAME"]]
        if not self.inplace:  # a wheel: the stamp travels with the extension modules
            targets.append(Path(self.build_lib) / "engine" / BUILD["STAMP_NAME"])
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")


def extensions() -> list[object]:
    if BUILD["pure_requested"]():
        return []
    check_toolchain()
    from Cython.Build import cythonize

    sources = [str(Path(*m.split(".")).with_suffix(".py")) for m in BUILD["COMPILED_MODULES"]]
    return cythonize(
        sources,
        build_dir="build/cython",
        nthreads=os.cpu_count() or 1,
        compiler_directives={
            "language_level": 3,
            # Python semantics everywhere except where a module opts out locally: integer
            # division and modulo keep Python's rounding, so compiled == uncompiled.
            "cdivision": False,
            "embedsignature": True,
        },
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildWithStamp})
