"""Where a host starts: a fresh data directory, or the restart point of its journal.

`prepare_start(spec)` is called before any ring or stage exists. On a data directory without a
journal it returns a fresh start at seq 0 (refused if snapshots are left there: they belong to an
earlier journal, and a new one would be replayed on top of them). Otherwise it refuses a
configured feedback window that differs from the journal's (W decides outcomes), recovers the
journal (a torn tail is truncated, what a dead writer left in the page cache is synced, a first
segment torn in its header is started again), rebuilds the exchange
from the newest valid snapshot plus the journal tail, and returns the spec with ``base_seq`` =
the last journaled seq and the state bytes each stage restores its part from
(``engine.topology.stage_factory``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NoReturn

from engine.journal_format import encode_user_header, journal_dir, snapshot_dir
from engine.recovery import NoJournalError, RecoveryError, read_window, rebuild
from engine.topology import TopologySpec, sync_policy
from journal import JournalWriter, SnapshotStore


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
        _refuse_orphan_snapshots(spec.data_dir)
        return StartPoint(replace(spec, base_seq=0), None)
    try:
        window: int | None = read_window(spec.data_dir)
    except NoJournalError:
        # e.g. a crash while the very first segment was created left it without its header:
        # recovery below drops that segment and starts the journal again with our header.
        window = None
    if window is not None and window != spec.feedback_window:
        _refuse_window(spec, window)  # before touching the journal or a long replay
    # Recover the journal first (truncate a torn tail, sync what the dead writer left in the
    # page cache), so that the replay below and the journaler see the very same records. The
    # header given is the one the journaler will write: a foreign journal is refused here.
    header = encode_user_header(spec.feedback_window)
    JournalWriter(directory, policy=sync_policy(spec), user_header=header).close()
    window = read_window(spec.data_dir)
    if window != spec.feedback_window:
        _refuse_window(spec, window)
    rebuilt = rebuild(spec.data_dir, digest=False)
    state = rebuilt.exchange.snapshot()
    return StartPoint(
        replace(spec, base_seq=rebuilt.last_seq),
        state,
        rebuilt.exchange.state_hash(),
        rebuilt.snapshot_seq,
        rebuilt.commands,
    )


def _refuse_orphan_snapshots(data_dir: str) -> None:
    """Snapshots without a journal belong to an earlier journal's life: a new journal reusing
    their seqs would be replayed on top of them (a silently wrong state), so refuse to start."""
    directory = snapshot_dir(data_dir)
    if directory.is_dir() and SnapshotStore(directory).seqs():
        raise RecoveryError(
            f"{directory} holds snapshots but {journal_dir(data_dir)} holds no journal: they "
            "belong to an earlier journal and would be replayed against a new one; restore "
            "the journal or move the snapshots away"
        )


def _refuse_window(spec: TopologySpec, window: int) -> NoReturn:
    raise WindowMismatchError(
        f"{spec.data_dir}: the journal was written with feedback_window {window} but the "
        f"configuration says {spec.feedback_window}; W decides outcomes, so it cannot "
        "change over a journal's life"
    )
