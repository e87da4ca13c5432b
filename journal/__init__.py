"""The journal: an append-only, segmented, checksummed log of opaque records.

The journal is the source of truth of sequex: every sequenced command is appended here and made
durable (group commit: one write and one fdatasync per batch) before anything acts on it. It
knows nothing of rings or orders: a record is ``(type, seq, payload bytes)`` with strictly
increasing seqs.

* ``JournalWriter``: append / append_many / append_fixed, commit() -> durable_seq, segment rolls.
* ``JournalReader``: iterate from any seq (sparse index), every record verified.
* ``recover`` / ``verify``: torn-tail truncation (on open) and read-only checking.
* ``SnapshotStore``: atomic, checksummed snapshots of opaque state.

The byte layout is described in ``journal.layout``.
"""

from journal.errors import JournalCorruption, JournalError, JournalFormatError, SequenceError
from journal.integrity import Damage, RecoveryReport, VerifyReport, recover, verify
from journal.policy import SyncPolicy
from journal.reader import JournalReader
from journal.snapshot import LoadResult, Snapshot, SnapshotStore
from journal.writer import JournalWriter, lock_directory

__all__ = [
    "Damage",
    "JournalCorruption",
    "JournalError",
    "JournalFormatError",
    "JournalReader",
    "JournalWriter",
    "LoadResult",
    "RecoveryReport",
    "SequenceError",
    "Snapshot",
    "SnapshotStore",
    "SyncPolicy",
    "VerifyReport",
    "lock_directory",
    "recover",
    "verify",
]
