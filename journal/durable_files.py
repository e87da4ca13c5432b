"""Durable file-system steps the journal shares: directory fsync, durable mkdir, atomic
replace, durable truncation, and quarantine (keeping bytes or files that recovery takes out of
the journal).

Quarantine is how the journal never destroys evidence: a torn tail that recovery cuts is first
copied to ``<segment>.cut-at-<offset>.quarantine`` beside its segment, and a segment it drops is
renamed to ``<segment>.quarantine``, both made durable before the journal changes. The names
never match a segment, index or snapshot name, so no reader ever takes them for journal data.
"""

from __future__ import annotations

import os
from pathlib import Path

QUARANTINE_SUFFIX = ".quarantine"


def fsync_directory(path: Path) -> None:
    """Make creations, renames and removals of directory entries durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_directory(path: Path, *, durable: bool = True) -> None:
    """``mkdir -p path``; when ``durable``, fsync the parent of every directory it created so
    the new entries survive a crash (a file synced in a directory whose own entry is lost is
    lost with it)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    if durable:
        for created in reversed(missing):
            fsync_directory(created.parent)


def replace_durably(path: Path, data: bytes) -> None:
    """Write ``data`` as ``path`` atomically: temporary file, fsync, rename, directory fsync;
    a crash leaves the old file or the new one, whole."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    fsync_directory(path.parent)


def truncate_durably(path: Path, size: int) -> None:
    """Cut ``path`` to ``size`` bytes and fsync it (copy what goes to quarantine first)."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def _free_name(path: Path) -> Path:
    """``path``, or ``path`` with ``.2``, ``.3``, ... before the suffix when it is taken (the
    same damage quarantined twice must not overwrite the first copy)."""
    if not path.exists():
        return path
    stem = path.name[: -len(QUARANTINE_SUFFIX)]
    n = 2
    while (candidate := path.with_name(f"{stem}.{n}{QUARANTINE_SUFFIX}")).exists():
        n += 1
    return candidate


def quarantine_tail(segment: Path, offset: int) -> Path:
    """Copy the bytes of ``segment`` from ``offset`` to its end into a quarantine file beside
    it, durably (file and directory fsynced); returns the file. Call before truncating."""
    target = _free_name(segment.with_name(f"{segment.name}.cut-at-{offset}{QUARANTINE_SUFFIX}"))
    with open(segment, "rb") as source:
        source.seek(offset)
        data = source.read()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_directory(segment.parent)
    return target


def quarantine_file(path: Path) -> Path:
    """Rename ``path`` to a quarantine name beside it (durable: directory fsynced)."""
    target = _free_name(path.with_name(path.name + QUARANTINE_SUFFIX))
    os.rename(path, target)
    fsync_directory(path.parent)
    return target
