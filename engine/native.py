"""Which build of the hot path is running: compiled by Cython, or the same sources uncompiled.

The hot path (the domain core and the record codecs, listed in :data:`COMPILED_MODULES`) is
typed Python in Cython's pure-Python mode. ``pip install`` compiles it with the machine's C
compiler (``setup.py``); the ``.py`` sources stay beside the extension modules and run
unchanged without them. Three ways a process ends up on one build or the other:

* compiled: the extension modules exist and match their sources (the default after
  ``pip install`` or ``make``);
* pure, asked for: ``SEQUEX_PURE=1`` in the environment; :func:`install` puts a finder first on
  ``sys.meta_path`` that loads every compiled module from its ``.py`` source instead;
* pure, not built: no extension module was found (a source tree nobody built).

A *stale* build (a source edited after its extension module was built) is refused with an
ImportError that says how to rebuild, rather than silently running code that differs from the
sources: the build writes a digest of every compiled source (:data:`STAMP_NAME`) and
:func:`install` compares it at start-up.

``setup.py`` reads :data:`COMPILED_MODULES` with ``runpy``, so this module imports only the
standard library.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

#: The modules Cython compiles, in dependency order (each with its ``.py`` and, where other
#: compiled modules reach into it at C level, a ``.pxd`` declaring its types).
COMPILED_MODULES: tuple[str, ...] = (
    "engine.domain.fast_tuple",
    "engine.domain.wallet",
    "engine.domain.symbols",
    "engine.domain.ledger",
    "engine.domain.book",
    "engine.domain.risk_order",
    "engine.domain.feedback",
    "engine.domain.risk",
    "engine.domain.matcher",
    "engine.domain.exchange",
    "engine.text_cache",
    "engine.ascii_stores",
    "engine.command_reader",
    "engine.event_codec",
    "engine.ring_rows",
    "engine.marketdata.feed_encoder",
    "engine.canonical.lines",
    "engine.canonical.command_lines",
    "engine.stages.kernel",
    "engine.gateway.stamping",
    "engine.gateway.ouch_scan",
    "engine.gateway.report_types",
    "engine.gateway.day_entries",
    "engine.gateway.ouch_pending",
    "engine.gateway.out_lane",
    "engine.gateway.out_batch",
    "engine.gateway.report_records",
    "engine.gateway.ouch_frames",
    "engine.protocols.fix.scan",
    "engine.protocols.fix.wire",
    "engine.protocols.fix.order_scan",
    "engine.protocols.fix.frozen",
    "engine.gateway.fix_written",
    "engine.gateway.fix_frames",
    "engine.gateway.fix_records",
    "engine.reporter.rows",
    "engine.reporter.sqlite_batches",
    "journal.checksums",
    "tools.loadgen.correlate",
    "tools.loadgen.clients.ouch_reports",
    "tools.loadgen.clients.fix_reports",
)

#: Declaration-only .pxd files (a C library's API) that a compiled module cimports: part of
#: its digest, so that editing one makes the build stale like editing the module.
DECLARATIONS: dict[str, tuple[str, ...]] = {
    "engine.reporter.sqlite_batches": ("engine/reporter/sqlite_capi.pxd",),
}

#: The environment switch that runs the same sources uncompiled.
PURE_ENV = "SEQUEX_PURE"
#: The file, beside this module, in which the build records the digest of every source it
#: compiled (``{"cython": version, "sources": {module: sha256}}``).
STAMP_NAME = "build_stamp.json"

ROOT = Path(__file__).resolve().parent.parent


def source_paths(module: str, root: Path = ROOT) -> list[Path]:
    """The files a compiled module is built from: its ``.py`` and, if present, its ``.pxd``."""
    base = root.joinpath(*module.split("."))
    paths = [base.with_suffix(".py")]
    pxd = base.with_suffix(".pxd")
    if pxd.exists():
        paths.append(pxd)
    return paths


def source_digest(module: str, root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    declarations = [root / name for name in DECLARATIONS.get(module, ())]
    for path in [*source_paths(module, root), *declarations]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def pure_requested(environ: dict[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(PURE_ENV, "")
    return value not in ("", "0")


class _PureFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules' ``.py`` sources, ahead of their extension modules."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in COMPILED_MODULES:
            return None
        name = fullname.rpartition(".")[2]
        for entry in path or ():
            source = Path(entry) / f"{name}.py"
            if source.exists():
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def _extension(module: str, root: Path = ROOT) -> Path | None:
    base = root.joinpath(*module.split("."))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = base.with_name(base.name + suffix)
        if candidate.exists():
            return candidate
    return None


def build_state(root: Path = ROOT, environ: dict[str, str] | None = None) -> str:
    """'pure-requested', 'compiled', 'not-built' or 'stale:<module>' for the tree at ``root``
    (whose ``engine/`` holds the sources, the extension modules and the build stamp)."""
    if pure_requested(environ):
        return "pure-requested"
    built = [m for m in COMPILED_MODULES if _extension(m, root) is not None]
    if not built:
        return "not-built"
    stamp_path = root / "engine" / STAMP_NAME
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"stale:{built[0]}"
    for module in COMPILED_MODULES:
        if _extension(module, root) is None or stamp.get(module) != source_digest(module, root):
            return f"stale:{module}"
    return "compiled"


_STATE: str | None = None


def install() -> None:
    """Called once when ``engine`` is imported: choose the build for this process."""
    global _STATE
    if _STATE is not None:
        return
    state = build_state()
    if state.startswith("stale:"):
        module = state.partition(":")[2]
        raise ImportError(
            f"sequex: the compiled core is out of date ({module} changed since it was built). "
            f"Rebuild it with `make build` (or `pip install -e .`), or run the sources "
            f"uncompiled with {PURE_ENV}=1."
        )
    if state == "pure-requested" and not any(isinstance(f, _PureFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PureFinder())
    _STATE = state


def is_compiled() -> bool:
    """Whether the compiled modules are the ones this process runs."""
    install()
    return _STATE == "compiled"


def describe() -> str:
    """One line for ``sequex --version``: which build runs, and why."""
    install()
    if _STATE == "compiled":
        try:
            stamp = json.loads(Path(__file__).with_name(STAMP_NAME).read_text(encoding="utf-8"))
            compiler = f"Cython {stamp.get('cython', '?')}"
        except (OSError, ValueError):
            compiler = "Cython"
        return f"compiled ({compiler}, {len(COMPILED_MODULES)} modules)"
    if _STATE == "pure-requested":
        return f"pure Python ({PURE_ENV}=1)"
    return "pure Python (the compiled core is not built: run `make build`)"
