"""Where a host starts: a fresh data directory, or the restart point of its journal.

`prepare_start(spec)` is called before any ring or stage exists. On a data directory without a
journal it returns a fresh start at seq 0. Otherwise it recovers the journal first (a torn tail
is truncated and what a dead writer left in the page cache is synced), refuses a configured
feedback window that differs from the journal's (W decides outcomes), rebuilds the exchange
from the newest valid snapshot plus the journal tail, and returns the spec with ``base_seq`` =
the last journaled seq and the state bytes each stage restores its part from
(``engine.topology.stage_factory``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.journal_format import journal_dir
from engine.recovery import RecoveryError, read_window, rebuild
from engine.topology import TopologySpec, sync_policy
from journal import JournalWriter


class WindowMismatchError(RecoveryError):
    """The configured feedback window differs from the one the journal was written with."""


@dataclass(frozen=True)
class StartPoint:
    """Where a host starts: ``spec`` (with ``base_seq``) and the recovered ``state``
    (``Exchange.snapshot()`` bytes; None on a fresh data directory). ``state_hash`` is the
    rebuilt exchange's ``state_hash()`` (what ``sequex replay DATA_DIR`` prints), ``snapshot_seq``
    the snapshot the rebuild started from and ``replayed`` the journaled commands after it."""

    spec: TopologySpec
    state: bytes | None
    state_hash: int | None = None
    snapshot_seq: int | None = None
    replayed: int = 0


def prepare_start(spec: TopologySpec) -> StartPoint:
    """A fresh start, or the restart point of the journal in ``spec.data_dir`` (see the module
    docstring). RecoveryError when the configured feedback window differs from the journal's;
    the errors of ``engine.recovery.rebuild`` (damage, mismatched snapshots) pass through."""
    directory = journal_dir(spec.data_dir)
    if not any(directory.glob("*.log")):
        return StartPoint(replace(spec, base_seq=0), None)
    # Recover the journal first (truncate a torn tail, sync what the dead writer left in the
    # page cache), so that the replay below and the journaler see the very same records.
    JournalWriter(directory, policy=sync_policy(spec)).close()
    window = read_window(spec.data_dir)  # refuse before a possibly long replay
    if window != spec.feedback_window:
        raise WindowMismatchError(
            f"{spec.data_dir}: the journal was written with feedback_window {window} but the "
            f"configuration says {spec.feedback_window}; W decides outcomes, so it cannot "
            "change over a journal's life"
        )
    rebuilt = rebuild(spec.data_dir, digest=False)
    state = rebuilt.exchange.snapshot()
    return StartPoint(
        replace(spec, base_seq=rebuilt.last_seq),
        state,
        rebuilt.exchange.state_hash(),
        rebuilt.snapshot_seq,
        rebuilt.commands,
    )
