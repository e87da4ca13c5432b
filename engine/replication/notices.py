"""What a primary tells its standby besides the records: state hashes and its feed's session.

* CHECK: at each snapshot this host took since the last one told (looked for at most every
  :data:`CHECK_SECONDS`: a directory listing), the state hash at that seq, once the standby
  was sent that seq; the standby compares it with its own snapshot's
  (``engine.replication.checks``).
* FEED: the session and UTC offset of this host's market-data feed
  (``engine.mdfeed.handover``: ``session.json``), when a link starts and whenever they change,
  so a standby promoted later continues the feed under the same session name.

One :class:`Notices` per replicator; :meth:`Notices.restart` at each new link. Only the
replicator's thread calls it.
"""

from __future__ import annotations

import time
from typing import Final

from engine.mdfeed.handover import FeedSession, SessionWatch
from engine.replication.checks import snapshot_hash, snapshot_seqs
from engine.replication.link import Link
from journal.replication import Check, Feed

__all__ = ["CHECK_SECONDS", "Notices"]

#: How often new snapshots are looked for (to send their CHECK).
CHECK_SECONDS: Final = 0.5


class Notices:
    """The CHECK and FEED frames of one replicator (module docstring)."""

    def __init__(self, data_dir: str) -> None:
        self._data_dir = data_dir
        self._checked = 0
        self._next_check = 0.0
        self._feed = SessionWatch(data_dir)
        self._feed_sent: FeedSession | None = None

    def restart(self, link: Link, from_seq: int) -> None:
        """A new link, whose standby holds seqs through ``from_seq``: it is told the feed's
        session at once (before any record: a promotion may come early)."""
        self._checked = from_seq
        self._feed_sent = None
        self.send_feed(link, look=True)

    def send_checks(self, link: Link, sent: int) -> None:
        """CHECK each snapshot taken since the last one told, up to seq ``sent``."""
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + CHECK_SECONDS
        for seq in snapshot_seqs(self._data_dir):
            if self._checked < seq <= sent:
                value = snapshot_hash(self._data_dir, seq)
                if value is not None:
                    link.send(Check(seq, value))
                self._checked = seq

    def send_feed(self, link: Link, *, look: bool = False) -> None:
        """FEED when the feed's session is known and differs from the last one told (the
        file looked at every so often, or now with ``look``)."""
        feed = self._feed.current(look=look)
        if feed is not None and feed != self._feed_sent:
            link.send(Feed(feed.session, feed.utc_offset_s))
            self._feed_sent = feed
