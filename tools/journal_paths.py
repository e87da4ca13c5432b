"""What the PATH of a `sequex journal` command names: the journal directory, and its snapshots.

An operator may name the journal directory (``var/journal``), one segment file inside it, or
the host's data directory (``var``, which holds ``journal/`` and ``snapshots/``): all three
mean the same journal. The snapshots are known only when the journal sits in a data
directory, i.e. it is that directory's ``journal/`` (see ``engine.journal_format``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from engine.journal_format import JOURNAL_SUBDIR, snapshot_dir
from journal.layout import SEGMENT_RE


@dataclass(frozen=True, slots=True)
class JournalPath:
    """A resolved PATH: ``journal`` the journal directory, ``snapshots`` the data directory's
    snapshot directory when there is one beside the journal (else None)."""

    journal: Path
    snapshots: Path | None


def resolve(raw: str) -> JournalPath | None:
    """The journal named by ``raw``, or None after printing on stderr why it is unusable.

    A directory without segments of its own but with a ``journal/`` subdirectory is a data
    directory: its journal is that subdirectory."""
    path = Path(raw)
    if not path.exists():
        print(f"sequex journal: {raw}: no such file or directory", file=sys.stderr)
        return None
    if path.is_file():
        if not SEGMENT_RE.match(path.name):
            print(f"sequex journal: {raw}: not a journal segment file", file=sys.stderr)
            return None
        path = path.parent
    elif (path / JOURNAL_SUBDIR).is_dir() and not _has_segments(path):
        path = path / JOURNAL_SUBDIR
    snapshots = snapshot_dir(path.parent) if path.name == JOURNAL_SUBDIR else None
    if snapshots is not None and not snapshots.is_dir():
        snapshots = None
    return JournalPath(path, snapshots)


def _has_segments(directory: Path) -> bool:
    return any(SEGMENT_RE.match(p.name) for p in directory.iterdir())
