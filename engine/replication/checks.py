"""State hashes at snapshot points: what the primary sends (CHECK) and the standby compares.

Both hosts snapshot at the same seqs (the standby takes the primary's ``snapshot_every``), and
a snapshot holds ``Exchange.snapshot()`` at its seq; the hash is ``state_hash`` of those bytes
(``engine.stages.state_parts``), the one ``Exchange.state_hash()`` gives. Equal journals replayed
by the same deterministic state machine give equal hashes, so a difference means one side's
state is not what its journal says (a bad snapshot it started from, a bug, damaged memory).
"""

from __future__ import annotations

from pathlib import Path

from engine.journal_format import HostFormatError, decode_snapshot_payload, snapshot_dir
from engine.stages.state_parts import state_hash
from journal import JournalFormatError, SnapshotStore


class StateHashMismatch(Exception):
    """The standby's state at a seq differs from the primary's."""

    def __init__(self, seq: int, primary: int, standby: int) -> None:
        super().__init__(
            f"state hash mismatch at seq {seq}: primary {primary:016x}, standby {standby:016x}"
        )
        self.seq = seq


def snapshot_seqs(data_dir: str | Path) -> list[int]:
    directory = snapshot_dir(data_dir)
    return SnapshotStore(directory).seqs() if directory.is_dir() else []


def snapshot_hash(data_dir: str | Path, seq: int) -> int | None:
    """The state hash of the snapshot at ``seq`` in ``data_dir`` (None: none there, or it
    does not verify)."""
    try:
        snapshot = SnapshotStore(snapshot_dir(data_dir)).load(seq)
        return state_hash(decode_snapshot_payload(snapshot.payload).state)
    except (OSError, JournalFormatError, HostFormatError):
        return None


class CheckBook:
    """The standby's pending checks: the primary's (seq, hash) pairs, settled against its own
    snapshots as they appear. A check whose seq the standby's snapshots have passed without
    one at that seq (pruned, or started past it) is left unchecked, and counted."""

    def __init__(self, data_dir: str | Path) -> None:
        self._data_dir = data_dir
        self._pending: dict[int, int] = {}
        self.passed = 0
        self.unchecked = 0

    def expect(self, seq: int, primary_hash: int) -> None:
        self._pending[seq] = primary_hash

    @property
    def pending(self) -> int:
        return len(self._pending)

    def settle(self) -> None:
        """Compare what can be compared now; StateHashMismatch on a difference."""
        if not self._pending:
            return
        seqs = snapshot_seqs(self._data_dir)
        newest = seqs[-1] if seqs else -1
        for seq in sorted(self._pending):
            if seq in seqs:
                ours = snapshot_hash(self._data_dir, seq)
                if ours is None:
                    continue  # being written or pruned: look again
                primary = self._pending.pop(seq)
                if ours != primary:
                    raise StateHashMismatch(seq, primary, ours)
                self.passed += 1
            elif newest > seq:
                del self._pending[seq]
                self.unchecked += 1
