"""A host's fencing history as its replication stages learn it from command records.

:class:`FenceLog` holds ``(epoch, seq)`` pairs, epochs rising (``engine.replication.handshake``
``Fences``): the ones recovered at start, then every ``Fence`` command (record kind 14) among
the records it is shown. The replicator shows it what passes through ring[in] or what it ships
(a standby's replicator thus learns the Fence its promotion journals, written after the
process started) and, before answering a HELLO or PROBE, what its journal holds past that
(:meth:`FenceLog.catch_up`); the standby's receiver shows it what it receives. Looking at a
seq twice is harmless: a fence counts only when its epoch is above the last one's (the risk
stage's rule, so this agrees with the state's ``fences``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from engine.records import KIND_FENCE, RECORD_SIZE
from engine.replication.handshake import epoch_of
from engine.stages.snapshotter import JournalTail

#: Records read from the journal at a time when catching up.
CATCH_UP_BATCH = 8192


class FenceLog:
    """Fences known so far; ``scanned``: every seq through it was looked at."""

    def __init__(self, fences: Iterable[tuple[int, int]], scanned: int) -> None:
        self.fences: list[tuple[int, int]] = list(fences)
        self.scanned = scanned

    @property
    def epoch(self) -> int:
        return epoch_of(self.fences)

    def note(self, rows: np.ndarray, first_seq: int) -> None:
        """Remember the Fence commands among ``rows`` (records of seqs from ``first_seq``, one
        per row): a vectorised look at the kind byte, no per-record decoding."""
        for index in np.flatnonzero(rows[:, 0] == KIND_FENCE):
            epoch = int(rows[index, 24:32].view("<i8")[0])
            if epoch > self.epoch:
                self.fences.append((epoch, first_seq + int(index)))
        if first_seq <= self.scanned + 1:
            self.scanned = max(self.scanned, first_seq + len(rows) - 1)

    def catch_up(self, journal: Path, upto: int) -> None:
        """Look at the records of ``journal`` past :attr:`scanned` through seq ``upto``."""
        if self.scanned >= upto:
            return
        tail = JournalTail(journal, self.scanned)
        try:
            while self.scanned < upto:
                payload = tail.read(min(upto, self.scanned + CATCH_UP_BATCH))
                count = len(payload) // RECORD_SIZE
                if not count:
                    return
                rows = np.frombuffer(payload, dtype=np.uint8).reshape(count, RECORD_SIZE)
                self.note(rows, self.scanned + 1)
        finally:
            tail.close()
