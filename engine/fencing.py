"""The fencing marker: a host's record that another host superseded it (docs/replication.md).

A host learns that it was superseded (a peer, or a standby, of a higher epoch) in one process
(``sequex run`` probing its peer, or the replicator at a standby's HELLO) and must refuse
orders in another (the gateway). The word crosses processes, and restarts, as a small file in
the data directory, ``FENCED``, holding the reason in UTF-8: written atomically, read by the
gateway's watch (``engine.gateway.fence_gate``). It stays until the host follows the host
that superseded it (``sequex standby``, which removes it once in sync): a fenced host that is
restarted is still fenced, even when its peer cannot be reached.

Nothing here decides an outcome of the state machine: the marker only keeps commands out of
the sequence.
"""

from __future__ import annotations

import os
from pathlib import Path

MARKER = "FENCED"


def marker_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / MARKER


def fence_reason(data_dir: str | Path) -> str | None:
    """Why this host is fenced (None: it is not)."""
    try:
        return marker_path(data_dir).read_text(encoding="utf-8").strip() or "fenced"
    except FileNotFoundError:
        return None
    except OSError as exc:  # unreadable: fenced, to be safe
        return f"the fencing marker cannot be read: {exc}"


def mark_fenced(data_dir: str | Path, reason: str) -> bool:
    """Record that this host is fenced, for ``reason``; False if it already was."""
    path = marker_path(data_dir)
    if path.exists():
        return False
    tmp = path.with_name(f"{MARKER}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(reason + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return True


def clear_fence(data_dir: str | Path) -> bool:
    """Remove the marker (the host follows its successor now); whether there was one."""
    try:
        marker_path(data_dir).unlink()
    except FileNotFoundError:
        return False
    return True
