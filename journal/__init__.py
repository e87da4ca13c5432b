"""The journal: an append-only, segmented, checksummed log of opaque records.

The journal is the source of truth of sequex: every sequenced command is appended here and made
durable (group commit: one write and one fdatasync per batch) before anything acts on it. It
knows nothing of rings or orders: a record is ``(type, seq, payload bytes)`` with strictly
increasing seqs.

* ``JournalWriter``: append / append_many / append_fixed, commit() -> durable_seq, segment rolls.
* ``JournalReader``: iterate from any seq (sparse index), every record verified.
* ``recover`` / ``verify``: recovery on open (refuses a journal that ends before its durable
  checkpoint; quarantines what it cuts) and read-only checking.
* ``read_checkpoint``: the durable checkpoint, the writer's record of the journal's durable end.
* ``SnapshotStore``: atomic, checksummed snapshots of opaque state.

The byte layout is described in ``journal.layout``. ``journal.checksums`` is compiled by the
project's build (``engine.native``); with ``SEQUEX_PURE=1`` it is loaded from its source, here,
before anything imports it, as the engine does for its own compiled modules.
"""

import os as _os

if _os.environ.get("SEQUEX_PURE", "") not in ("", "0"):
    import importlib.util as _util
    import sys as _sys
    from pathlib import Path as _Path

    _spec = _util.spec_from_file_location(
        "journal.checksums", _Path(__file__).with_name("checksums.py")
    )
    assert _spec is not None and _spec.loader is not None
    _module = _util.module_from_spec(_spec)
    _sys.modules["journal.checksums"] = _module
    _spec.loader.exec_module(_module)

from journal.checkpoint import Checkpoint, CheckpointError, read_checkpoint
from journal.damage import Damage
from journal.errors import JournalCorruption, JournalError, JournalFormatError, SequenceError
from journal.integrity import DurableDataMissing, RecoveryReport, recover
from journal.policy import SyncPolicy
from journal.reader import JournalReader
from journal.snapshot import LoadResult, Snapshot, SnapshotStore
from journal.verification import VerifyReport, verify
from journal.writer import JournalWriter, lock_directory

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "Damage",
    "DurableDataMissing",
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
    "read_checkpoint",
    "recover",
    "verify",
]
