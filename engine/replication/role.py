"""A standby host's role word: one shared int64 that says whether the host was promoted.

::

    standby process (the supervisor owns the segment) ──promote()──► word = PROMOTED
    marketdata stage: muted while STANDBY ───────────────────────────► unmutes (engine.mdfeed)
    replicator stage: dormant while STANDBY ─────────────────────────► listens for standbys

Contract.

* Exists only on a host started as a standby (``TopologySpec.standby``): ``engine.topology.Rings``
  creates it beside the rings, under the same prefix (``<prefix>role``), so the prefix's claim
  and its crash sweep cover it; a primary has none and its stages never look.
* One writer, the host process (``sequex standby``), and one transition: STANDBY to PROMOTED,
  never back (a promoted host stays the primary until it stops). Stages read it with a plain
  load at each poll, which costs nothing; the writer stores it and then wakes every ring's
  waiters, so a stage parked on a ring sees it at once (x86-64 TSO: ``disruptor.sequence``).
* It decides nothing of the exchange's state (no outcome reads it): only whether a stage
  publishes to the world (the feed, the replicator's listener).
"""

from __future__ import annotations

from typing import Final

from disruptor import shm

__all__ = ["PROMOTED", "ROLE", "STANDBY", "HostRole"]

#: The segment's name under the host's prefix.
ROLE: Final = "role"
STANDBY: Final = 0
PROMOTED: Final = 1
#: One counter alone on its 64-byte line.
_SIZE: Final = 64


class HostRole:
    """The role word of a standby host (module contract)."""

    def __init__(self, segment: shm.Segment, *, owner: bool) -> None:
        self._segment = segment
        buf = segment.buf
        assert buf is not None, "a mapped segment"
        self._word = buf[:8].cast("q")
        self.is_owner = owner
        self._closed = False

    @classmethod
    def create(cls, name: str) -> HostRole:
        """Create segment ``name`` (exclusively), the role STANDBY; this handle owns it."""
        return cls(shm.create_segment(name, _SIZE), owner=True)

    @classmethod
    def attach(cls, name: str) -> HostRole:
        return cls(shm.attach_segment(name), owner=False)

    def promoted(self) -> bool:
        return bool(self._word[0] == PROMOTED)

    def promote(self) -> None:
        """The host serves from now on (the owner's process only; never undone)."""
        self._word[0] = PROMOTED

    def close(self) -> None:
        """Release this handle; the owner also unlinks the segment."""
        if self._closed:
            return
        self._closed = True
        self._word.release()
        if self.is_owner:
            shm.unlink_segment(self._segment)
        shm.close_segment(self._segment)
