"""The feed regenerated from the journal: command records -> Exchange(W) -> events -> encoder.

::

    DATA_DIR/journal ──► JournalTail ──► Exchange(W, rules) ──► event records ──► FeedEncoder
      (from the newest snapshot at or      (engine.stages.kernel     (the publisher's own
       before the exchange's start)         .submit_rows, compiled)   hot path: same bytes)

The feed is a pure function of the journal, so the messages of any stretch of it can be made
again. :class:`JournalFeed` does that for a :class:`~engine.marketdata.feed_encoder.FeedEncoder`
(and its projection) that stands after command ``through_seq``: it first brings its own
exchange to ``through_seq`` (the newest usable snapshot at or before it, then the journal's
commands up to it, their events dropped), then replays the following commands through the
encoder. The encoder's datagrams are the caller's to take (to send, or to keep).

Three users: the publisher catching up after it let go of ring[events] or after a restart
(``engine.mdfeed.publisher``), the retransmission server regenerating a range older than it
keeps in memory (:class:`JournalSource`), and tests.

Work is done in steps of a bounded number of commands (:meth:`JournalFeed.step`), so the
caller's loop stays responsive; only loading the snapshot is one piece. Callers ask only for
commands the journal made durable (the publisher bounds them by the ring[events] watermark:
a command with events in ring[events] was durable before the core ran it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np

from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.event_records import EVENT_RECORD_SIZE
from engine.journal_format import journal_dir, snapshot_dir
from engine.marketdata.feed_encoder import FeedEncoder
from engine.marketdata.itch_projection import ItchProjection
from engine.protocols.moldudp64 import RecentPackets
from engine.rebuild import load_snapshot, read_header
from engine.records import RECORD_SIZE
from engine.stages.kernel import submit_rows
from engine.stages.snapshotter import JournalTail
from journal import SnapshotStore

__all__ = ["JournalFeed", "JournalSource", "Tee", "newest_snapshot"]

#: What else takes the replayed event records: (rows, the last command they complete).
Tee: TypeAlias = Callable[[np.ndarray[Any, np.dtype[np.uint8]], int], Any]


class JournalFeed:
    """Replays the journal after ``through_seq`` through ``encoder`` (module docstring)."""

    def __init__(
        self,
        data_dir: str | Path,
        window: int,
        rules: int,
        encoder: FeedEncoder,
        through_seq: int,
        *,
        use_snapshots: bool = True,
        tee: Tee | None = None,
    ) -> None:
        self._data_dir = str(data_dir)
        #: also given every batch of event records the encoder is given, with the last command
        #: they complete (the market-data stage's views: ``engine.views.host``)
        self.tee = tee
        self._window = window
        self._rules = rules
        self.encoder = encoder
        #: the last command whose messages the encoder holds
        self.through_seq = through_seq
        self._use_snapshots = use_snapshots
        self._exchange: Exchange | None = None
        self._exchange_seq = 0
        self._tail: JournalTail | None = None
        #: the snapshot the exchange started from (None: seq 1, or not loaded yet)
        self.snapshot_seq: int | None = None
        self._reader = CommandReader()
        self._buf = bytearray(1 << 16)
        #: commands replayed for the exchange alone (to bring it where the feed stands)
        self.positioned = 0

    @property
    def exchange_seq(self) -> int:
        """The last command the feed's own exchange has (0 before it is loaded)."""
        return self._exchange_seq

    def rebase(self, through_seq: int) -> bool:
        """Continue from command ``through_seq`` (the encoder stands there now, the publisher
        having published up to it from the ring): the exchange replays up to it from where
        it is, unless a snapshot in between makes that longer than loading it. False: it
        cannot (the exchange is past it, or a snapshot is nearer): build a new feed."""
        if self._exchange is None or self._exchange_seq > through_seq:
            return False
        newest = newest_snapshot(self._data_dir, through_seq)
        if newest is not None and newest > self._exchange_seq:
            return False
        self.through_seq = through_seq
        return True

    @property
    def ready(self) -> bool:
        """Whether the exchange stands at ``through_seq`` (the next step projects)."""
        return self._exchange is not None and self._exchange_seq == self.through_seq

    def step(self, upto_seq: int, budget: int) -> int:
        """At most ``budget`` commands of work toward encoding every command through
        ``upto_seq``; returns the commands replayed (0: nothing left to do)."""
        if self._exchange is None:
            self._open()
        if self._exchange_seq < self.through_seq:
            return self._replay(min(self.through_seq, self._exchange_seq + budget), False)
        if upto_seq <= self.through_seq:
            return 0
        return self._replay(min(upto_seq, self.through_seq + budget), True)

    def close(self) -> None:
        if self._tail is not None:
            self._tail.close()
            self._tail = None

    def _open(self) -> None:
        exchange = None
        start = 0
        if self.through_seq > 0:
            header = read_header(self._data_dir)
            if (header.feedback_window, header.rules) != (self._window, self._rules):
                raise ValueError(
                    f"the journal of {self._data_dir} has W={header.feedback_window} and rules "
                    f"{header.rules}, the feed W={self._window} and rules {self._rules}"
                )
            if self._use_snapshots:
                loaded = load_snapshot(
                    snapshot_dir(self._data_dir), header, [], below=self.through_seq + 1
                )
                if loaded is not None:
                    exchange, start = loaded
                    self.snapshot_seq = start
        self._exchange = exchange or Exchange(self._window, self._rules)
        self._exchange_seq = start
        self._tail = JournalTail(journal_dir(self._data_dir), start)

    def _replay(self, upto: int, project: bool) -> int:
        assert self._exchange is not None and self._tail is not None
        records = self._tail.read(upto)
        count = len(records) // RECORD_SIZE
        if not count:
            return 0
        rows = np.frombuffer(records, dtype=np.uint8).reshape(count, RECORD_SIZE)
        if project:
            end = submit_rows(self._exchange, self._reader, rows, self._buf, 0, 0, [], [])
            events: Any = np.frombuffer(self._buf, dtype=np.uint8, count=end)
            events = events.reshape(-1, EVENT_RECORD_SIZE)
            try:
                self.encoder.add_rows(events)
                if self.tee is not None:
                    self.tee(events, self.through_seq + count)
            finally:
                del events  # the buffer may grow on the next call: no view may hold it
            self.through_seq += count
        else:
            submit = self._exchange.submit
            for cmd in self._reader.decode_many(records):
                submit(cmd)
            self.positioned += count
        self._exchange_seq += count
        return count


def newest_snapshot(data_dir: str | Path, upto_seq: int) -> int | None:
    """The seq of the newest snapshot file at or before ``upto_seq`` (None: none)."""
    directory = snapshot_dir(data_dir)
    if not directory.is_dir():
        return None
    seqs = [seq for seq in SnapshotStore(directory).seqs() if seq <= upto_seq]
    return max(seqs, default=None)


class JournalSource:
    """Old messages of a session regenerated from the journal, for the retransmission server.

    A :class:`JournalFeed` from the journal's first command with a fresh projection numbers the
    messages from 1, exactly as the live feed did; the datagrams it makes are kept in a
    :class:`~engine.protocols.moldudp64.RecentPackets` of ``capacity`` messages, read by
    :meth:`messages` (a MessageSource). :meth:`work` moves the regeneration toward a wanted
    number, a bounded step at a time; a number older than what is kept starts it over."""

    def __init__(
        self,
        data_dir: str | Path,
        window: int,
        rules: int,
        session: str,
        utc_offset_s: int,
        *,
        capacity: int = 200_000,
    ) -> None:
        self._args = (data_dir, window, rules)
        self._session = session
        self._offset = utc_offset_s
        self._capacity = capacity
        self._feed: JournalFeed | None = None
        self._kept = RecentPackets(capacity)
        self.restarts = 0

    @property
    def next_sequence(self) -> int:
        """One past the last message regenerated and kept."""
        return self._kept.next_sequence

    def messages(self, first: int, count: int) -> list[bytes]:
        return list(self._kept.messages(first, count))

    def covers(self, first: int, count: int) -> bool:
        """Whether messages ``first .. first + count - 1`` are all held."""
        return self._kept.first_sequence <= first and first + count <= self._kept.next_sequence

    def work(self, wanted: int, count: int, limit_seq: int, budget: int) -> int:
        """Regenerate toward messages ``wanted .. wanted + count - 1`` (never past command
        ``limit_seq``); returns the commands replayed (0: they are held, or the journal has
        nothing more)."""
        if self._feed is not None and wanted < self._kept.first_sequence:
            self._feed.close()
            self._feed = None
        if self._feed is None:
            encoder = FeedEncoder(ItchProjection(utc_offset_s=self._offset), self._session)
            self._feed = JournalFeed(*self._args, encoder, 0)
            self._kept = RecentPackets(self._capacity)
            self.restarts += 1
        if self.covers(wanted, count):
            return 0
        done = self._feed.step(limit_seq, budget)
        for datagram in self._feed.encoder.flush():
            self._kept.add(datagram)
        return done

    def close(self) -> None:
        if self._feed is not None:
            self._feed.close()
