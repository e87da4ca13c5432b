"""Letting go of ring[events] and catching up from the journal: the publisher's slow path.

ring[events] gates its producer on every reader, so a reader that falls behind would slow
matching. The market-data publisher never does: when more than ``detach_lag`` records wait
for it (or at a start that finds the feed behind the host), it **detaches**::

    attached ──(backlog > detach_lag, or start behind)──► detached: the Releaser thread moves
       ▲                                                  the publisher's ring[events] sequence
       │                                                  to the cursor every millisecond
       │                                                  (it takes nothing); the JournalFeed
       │                                                  replays the journal from the feed's
       │                                                  position, sending what it makes
       │                                                         │ within REJOIN_GAP commands
       │                                                         ▼ of the ring's watermark
       └────(the journal feed passed Y: rejoin,────── frozen: the Releaser stops; Y = seq_no of
             skipping ring records of seq <= it)              the last record it let go

The Releaser is a thread so that it keeps releasing even while the main loop is busy with one
long piece of work (loading a snapshot); it only writes the publisher's own sequence, and the
main loop reads the ring only after stopping it. Y is read from a slot before the sequence
moves past it (the producer cannot overwrite a slot the reader has not passed). Frozen, the
ring keeps every record after the last one let go; once the journal feed has replayed through
Y (the last command the ring no longer has, complete in the journal: its events are in
ring[events] only because it was durable; at a start behind the host, at least the host's
``base_seq``: the commands before it were never in this ring), the publisher reads the ring
again from there,
dropping the records of commands the journal feed already published. A frozen publisher whose
backlog passes ``detach_lag`` again lets go again (it lost the race; it tries later).

Every step ends on a command boundary, so the feed's position (``through_seq``, the next
sequence number, the projection) is consistent at every poll, attached or not.
"""

from __future__ import annotations

import threading
from typing import Final

from disruptor import RingBuffer, Sequence
from engine.mdfeed.journal_feed import JournalFeed

__all__ = ["REJOIN_GAP", "CatchUp", "Releaser"]

#: Commands behind the ring[events] watermark at which the journal feed stops the Releaser.
REJOIN_GAP: Final = 2048
#: Seconds between two releases.
RELEASE_EVERY: Final = 0.001


class Releaser:
    """A thread that stands in for the publisher on ring[events] (module docstring)."""

    def __init__(self, ring: RingBuffer, sequence: Sequence) -> None:
        self._ring = ring
        self._sequence = sequence
        #: the seq_no of the last record let go (0: none)
        self.released_seq_no = 0
        self.released = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        assert self._thread is None, "started twice"
        self._stop.clear()
        self.release()
        self._thread = threading.Thread(target=self._run, name="md-releaser", daemon=True)
        self._thread.start()

    def stop(self) -> int:
        """Stop releasing (the caller owns the sequence again); the last seq_no let go."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        return self.released_seq_no

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _run(self) -> None:
        while not self._stop.wait(RELEASE_EVERY):
            self.release()

    def release(self) -> None:
        ring, sequence = self._ring, self._sequence
        cursor = ring.cursor.get()
        mine = sequence.get()
        if cursor <= mine:
            return
        ((slot, _),) = ring.chunks(cursor, cursor)
        # read before the sequence passes the slot: until then the producer cannot reuse it
        seq_no = int(ring.slots[slot, 8:16].view("<i8")[0])
        self.released_seq_no = max(self.released_seq_no, seq_no)
        self.released += cursor - mine
        sequence.set(cursor)
        ring.board.signal()  # the producer may wait for space


class CatchUp:
    """The detached publisher's journal feed and Releaser, and whether it is frozen."""

    def __init__(
        self, feed: JournalFeed, releaser: Releaser, quiet_through: int, ring_start: int
    ) -> None:
        self.feed = feed
        self.releaser = releaser
        #: the last command whose records were never in this ring (the host's base_seq)
        self.ring_start = ring_start
        #: commands up to this one are numbered but not sent (a new session's history)
        self.quiet_through = quiet_through
        #: frozen: the Releaser is stopped; rejoin once the feed passed ``rejoin_after``
        self.frozen = False
        self.rejoin_after = 0
        releaser.start()

    def upto(self, published: int) -> int:
        """How far the next step may replay: never past the watermark, and quiet stretches
        apart from loud ones."""
        if self.feed.through_seq < self.quiet_through:
            return min(published, self.quiet_through)
        return published

    def quiet(self) -> bool:
        return self.feed.through_seq <= self.quiet_through

    def freeze(self) -> None:
        """Stop letting go: the ring keeps every record from here. Rejoin once the journal
        feed passed the last command the ring does not hold: the last one let go, or the
        last one before this host's ring started (a start behind the host)."""
        self.rejoin_after = max(self.releaser.stop(), self.ring_start)
        self.frozen = True

    def unfreeze(self) -> None:
        self.frozen = False
        self.releaser.start()

    def close(self) -> JournalFeed:
        """Stop releasing; the journal feed, whose exchange a later catch-up may go on with."""
        self.releaser.stop()
        return self.feed
