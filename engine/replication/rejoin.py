"""What a host says and does when it joins a primary as its standby, or asks a peer for its
epoch (docs/replication.md): its HELLO, and the quarantine of a tail the primary's history
does not hold.

* :func:`hello_for`: HELLO at the end of what the host holds, its journal (at start, or for
  a PROBE of ``sequex run``'s peer watch) or its ring[in] (a running standby reconnecting),
  with the epoch of its journal.
* :func:`quarantine_tail`: on DIVERGED, the host's journal from the parting seq (and the
  snapshots past it) moves into quarantine files (``journal.divergence``, logged in
  ``repair.log``); the caller recovers the data directory again and says HELLO again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from engine.journal_format import journal_dir, snapshot_dir
from engine.replication.standby import DivergedTail, last_record_digest
from engine.stages.snapshotter import JournalTail
from journal import JournalError, JournalReader
from journal.divergence import plan_cut
from journal.repair import apply_repair
from journal.replication import Hello, record_digest
from journal.writer import lock_directory


def hello_for(spec: Any, ring_in: Any, injector: Any, epoch: int = 0) -> Hello:
    """HELLO at the end of what the host of ``spec`` holds: its journal when ``injector`` is
    None, else its ring[in] as ``injector`` (its writer) has it."""
    directory = journal_dir(spec.data_dir)
    header = JournalReader(directory).user_header() if directory.is_dir() else b""
    last = spec.base_seq if injector is None else injector.last_seq_no
    digest = None if injector is None else last_record_digest(ring_in, injector, spec.base_seq)
    if digest is None and last > 0:
        tail = JournalTail(directory, last - 1)
        try:
            digest = record_digest(tail.read(last))
        finally:
            tail.close()
    return Hello(last, digest or 0, epoch, header)


def quarantine_tail(data_dir: str, diverged: DivergedTail, say: Callable[[str], None]) -> bool:
    """Move the journal of ``data_dir`` from ``diverged.from_seq`` on (and the snapshots past
    it) aside into quarantine files, telling ``say`` each step; False, saying why, if it cannot
    be done (the journal is left as it was)."""
    try:
        lock = lock_directory(journal_dir(data_dir))
        try:
            cause = (
                f"seqs from {diverged.from_seq} on are not in the history of epoch "
                f"{diverged.epoch}: this host's tail from before it was superseded, never "
                "acknowledged by the host that superseded it"
            )
            plan = plan_cut(journal_dir(data_dir), diverged.from_seq, cause, snapshot_dir(data_dir))
            done = apply_repair(plan, accept_loss=False, reason="rejoining as a standby")
        finally:
            os.close(lock)
    except (JournalError, OSError) as exc:
        say(f"cannot quarantine the divergent tail: {exc}")
        return False
    for line in done:
        say(f"quarantine: {line}")
    return True
