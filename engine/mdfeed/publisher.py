"""The market-data stage: ring[events] -> ITCH 5.0 in MoldUDP64 multicast, with its servers.

::

    ring[events] ──► FeedEncoder (ItchProjection, compiled) ──► datagrams ──► multicast group
         │ (a reader of its own; lets go of      │                  └──► RecentPackets
         │  the ring and follows the journal     ▼                         │
         │  when it falls behind: catch_up)   feed.json (feed_state)       ▼
         └── watermark: commands complete                 retransmission (UDP, unicast)
                                                          + JournalSource for older ranges
                                               GLIMPSE-style snapshots (TCP, SoupBinTCP)

Contract.

* A reader of ring[events] (its row in ``engine.topology.STAGES``), in a process of its own:
  sockets, the projection and, when needed, a journal replay are work the exchange must never
  wait for, and a process of its own is the one place that work cannot delay any other
  stage's poll. While trading goes on it looks at the ring every ``FEED_NAP_S`` (1 ms) on its
  own, so the core publishes without waking it; idle for 5 of those it sleeps on the ring's
  semaphore (no core time). It takes every record available per poll and sends full
  datagrams: one more process costs context switches only, and batching amortizes them. The
  gateway (latency of order entry) and the auditor (the verification digest) are the other
  readers; neither should carry this work.
* Each poll takes the records of the commands the ring[events] watermark says are complete
  (never half a command), so the feed's position - the last command ``through_seq``, the next
  MoldUDP64 number, the projection - is consistent after every poll. The datagrams go out at
  the end of each poll: under load they are full (1,400 bytes), idle they are sent at once.
* It never slows matching: with more than ``detach_lag`` records waiting it lets go of the
  ring and catches up from the journal (``engine.mdfeed.catch_up``). The process runs niced
  (``FeedSettings.nice``, 10 like the snapshotter's): on a saturated 2-core host the
  pipeline's stages get the cores first and the feed catches up in what they leave (not
  niced, a host attaching it lost half its throughput in ``sequex bench pipeline
  --market-data``; niced, 10-28%); on a host with room to spare it changes nothing.
* Numbers survive restarts (``engine.mdfeed.feed_state``): the position is saved at a clean
  stop and every :data:`CHECKPOINT_EVERY_NS`; a start behind the host catches up from the
  journal, a start on another journal (or none kept) begins a new session numbered from the
  journal's first command.
* Heartbeats (count 0, the next number) when nothing went out for ``heartbeat_ns``; at a clean
  stop, End of Session (twice: UDP may lose one) after the last message. A restart on the
  same journal resumes the session (docs/market-data.md says why).
* Retransmission (``engine.mdfeed.retransmission``) and snapshots
  (``engine.mdfeed.glimpse_server``) are served between polls from this process's state.
* On a standby (``role``, the host's role word: ``engine.replication.role``) the feed runs
  *muted*: it follows the replayed events, numbers their messages and keeps them for
  retransmission and its position on disk, like any feed, but sends nothing and opens no
  server. When the host is promoted it unmutes at its next poll: it takes the primary's
  session (``engine.mdfeed.handover``: the numbers are the journal's, so equal to the
  primary's), opens its servers at this host's endpoints and sends a heartbeat at once, so a
  listener of the primary learns the next number and asks this host for what it missed.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Final

import numpy as np

from disruptor import AlertException, RingBuffer
from engine.marketdata.feed_encoder import FeedEncoder
from engine.marketdata.itch_projection import ItchProjection
from engine.mdfeed.catch_up import REJOIN_GAP, CatchUp, Releaser
from engine.mdfeed.feed_state import FeedState, load_state, record_check, save_state
from engine.mdfeed.glimpse_server import SnapshotServer
from engine.mdfeed.handover import (
    SESSION_NAME,
    FeedSession,
    forget_session,
    promoted_session,
    save_session,
)
from engine.mdfeed.journal_feed import JournalFeed, JournalSource
from engine.mdfeed.retransmission import Retransmitter
from engine.mdfeed.settings import FeedSettings
from engine.mdfeed.udp import MulticastSender, RequestPort, readable
from engine.protocols.itch.glimpse import EndOfSnapshot
from engine.protocols.moldudp64 import EndOfSession, Heartbeat, RecentPackets
from engine.replication.role import HostRole
from engine.stages.waiting import NAPS_BEFORE_PARKING, PollingStage, nap_then_park
from engine.stages.waiting import Halt as HaltFlag
from engine.views.host import ViewsHost

__all__ = ["CHECKPOINT_EVERY_NS", "MarketDataAgent"]

#: The reserved consumer slot of ring[events] that holds the watermark (engine.topology).
WATERMARK: Final = 0
#: Commands one catch-up or regeneration step replays (bounds a poll's time).
STEP: Final = 4096
CHECKPOINT_EVERY_NS: Final = 10_000_000_000
#: How long a stopping publisher keeps catching up from the journal before it saves.
CLOSE_CATCH_UP_S: Final = 3.0
#: how long the feed sleeps between looks at ring[events] while trading goes on
FEED_NAP_S: Final = 0.001


class MarketDataAgent(PollingStage):
    """The feed publisher (module docstring)."""

    def __init__(
        self,
        ring_events: RingBuffer,
        consumer: int,
        settings: FeedSettings,
        *,
        data_dir: str,
        window: int,
        rules: int,
        base_seq: int = 0,
        nice: int = 0,
        views: ViewsHost | None = None,
        role: str | None = None,
    ) -> None:
        self._nice = nice
        self._role_name = role
        self._role: HostRole | None = None
        #: a standby's feed before its promotion: sends nothing, serves nothing
        self.muted = False
        #: the host's views, when it serves them: fed the records the feed publishes
        self.views = views
        self._ring = ring_events
        self._waiter = 1 + consumer
        self._barrier = ring_events.barrier(consumer)
        self._sequence = ring_events.consumer_sequence(consumer)
        self._watermark = ring_events.consumer_sequence(WATERMARK)
        self.settings = settings
        self._data_dir = data_dir
        self._window = window
        self._rules = rules
        self._base = base_seq
        self._detach_lag = settings.detach_lag or ring_events.capacity // 2
        self._halt = HaltFlag()
        #: the last command whose messages are numbered (consistent after every poll)
        self.through_seq = 0
        self._skip_through = 0  # ring records of commands up to this one were published
        self.catch_up: CatchUp | None = None
        #: the last catch-up's journal feed: its exchange may save the next one a snapshot load
        self._spare: JournalFeed | None = None
        self.detaches = 0
        #: commands the catch-ups replayed only to bring their exchange where the feed stood
        self.positioned = 0
        self._last_sent_ns = 0
        self._saved: tuple[int, int] | None = None
        self._checkpoint_ns = 0
        self._started = False

    # -- start: where the feed stands, then the sockets ---------------------------------------

    def on_start(self) -> None:
        if self._nice:
            os.nice(self._nice)  # the pipeline first: see the module docstring
        state, quiet_through = self._start_state()
        projection = ItchProjection.restore(state.projection)
        self.session = state.session
        self.encoder = FeedEncoder(projection, state.session, next_sequence=state.next_sequence)
        self.through_seq = state.through_seq
        self._saved = (state.through_seq, state.next_sequence)
        self.recent = RecentPackets(self.settings.recent_messages)
        if self._role_name is not None:
            self._role = HostRole.attach(self._role_name)
            self.muted = not self._role.promoted()
        if self.muted:
            forget_session(self._data_dir, SESSION_NAME)  # nothing is published from here
        else:
            self._open_servers()
        if self.views is not None:
            self.views.start()
        self._started = True
        if self.through_seq < self._base:
            self._detach(quiet_through)

    def _open_servers(self) -> None:
        """The multicast sender and the two servers, under the feed's session now."""
        settings = self.settings
        offset = self.encoder.projection.utc_offset_s
        self.multicast = MulticastSender(settings.group, settings.interface, settings.ttl)
        self.requests = RequestPort(settings.retransmit)
        self.snapshots = SnapshotServer(settings.snapshot, self._snapshot)
        source = JournalSource(self._data_dir, self._window, self._rules, self.session, offset)
        self.retransmitter = Retransmitter(self.session, self.recent, source)
        save_session(self._data_dir, SESSION_NAME, FeedSession(self.session, offset))

    def _unmute(self) -> None:
        """The host was promoted: continue the primary's session, serve, announce."""
        own = FeedSession(self.session, self.encoder.projection.utc_offset_s)
        session, why_not = promoted_session(self._data_dir, own)
        if why_not is not None:
            _warn(f"{why_not}: publishing session {self.session}")
        elif session != self.session:
            self.encoder.rename(session)  # between polls: no datagram half filled
            self.session = session
            self._saved = None  # keep the session taken at once
        self.muted = False
        self._open_servers()
        self._last_sent_ns = 0  # a heartbeat now: listeners learn the next number
        self.save()
        _warn(
            f"promoted: publishing session {self.session} from message "
            f"{self.encoder.next_sequence} (commands through seq {self.through_seq})"
        )

    def _start_state(self) -> tuple[FeedState, int]:
        """The kept state if it belongs to this journal, else a new session (quiet through
        what the journal holds already)."""
        try:
            state = load_state(self._data_dir)
        except ValueError as exc:
            _warn(f"{exc}; starting a new session")
            state = None
        if state is not None:
            if state.through_seq > self._base:
                _warn(
                    f"the feed state is at seq {state.through_seq}, past the journal's end "
                    f"{self._base}: another journal's; starting a new session"
                )
                state = None
            elif record_check(self._data_dir, state.through_seq) != state.journal_check:
                _warn("the feed state does not match the journal; starting a new session")
                state = None
        if state is not None:
            return state, 0
        fresh = ItchProjection(utc_offset_s=self.settings.utc_offset_s).snapshot()
        return FeedState.fresh(fresh), self._base

    # -- the loop ---------------------------------------------------------------------------

    def poll(self) -> int:
        if self.muted:
            assert self._role is not None
            if self._role.promoted():
                self._unmute()
        work = self._read_ring() if self.catch_up is None else self._catch_up_step()
        now = time.monotonic_ns()
        if not self.muted:
            work += self._serve(now)
        self._tick(now)
        return work

    def published_seq(self) -> int:
        """The last command whose events are all in ring[events]."""
        return self._base + self._watermark.get() + 1

    def _skip_published(self, through: int) -> int:
        """Take, without publishing, the ring's next records of commands up to ``through``:
        the journal feed published them. Returns how many."""
        lo = self._sequence.get() + 1
        hi = self._barrier.available()
        taken = 0
        for start, stop in self._ring.chunks(lo, hi) if hi >= lo else ():
            seqs = self._ring.slots[start:stop].view("<i8")[:, 1]
            cut = int(np.searchsorted(seqs, through, side="right"))
            taken += cut
            if cut < stop - start:
                break
        if taken:
            self._sequence.set(lo - 1 + taken)
            self._ring.board.signal()
        return taken

    def _read_ring(self) -> int:
        skipped = self._skip_published(self._skip_through) if self._skip_through else 0
        lo = self._sequence.get() + 1
        published = self.published_seq()  # first: its commands' records are <= hi below
        hi = self._barrier.available()
        if hi - lo + 1 > self._detach_lag:
            self._detach(0)
            return 1
        taken = 0
        published_rows = []
        if hi >= lo:
            for start, stop in self._ring.chunks(lo, hi):
                rows = self._ring.slots[start:stop]
                seqs = rows.view("<i8")[:, 1]
                cut = int(np.searchsorted(seqs, published, side="right"))
                skip = int(np.searchsorted(seqs[:cut], self._skip_through, side="right"))
                if cut > skip:
                    self.encoder.add_rows(rows[skip:cut])
                    published_rows.append(rows[skip:cut])
                taken += cut
                if cut < stop - start:
                    break  # the rest belongs to commands not complete yet
        if self.views is not None:
            self.views.take(published_rows, published)  # copies: the slots may go back
        if taken:
            self._sequence.set(lo - 1 + taken)
            self._ring.board.signal()  # the producer may wait for space
        self.through_seq = max(self.through_seq, published)
        self._send(self.encoder.flush(), loud=True)
        return taken + skipped

    def _detach(self, quiet_through: int) -> None:
        feed = self._spare
        self._spare = None
        if feed is None or not feed.rebase(self.through_seq):
            if feed is not None:
                feed.close()
            feed = JournalFeed(
                self._data_dir, self._window, self._rules, self.encoder, self.through_seq,
                tee=None if self.views is None else self.views.take_one,
            )  # fmt: skip
        releaser = Releaser(self._ring, self._sequence)
        self.catch_up = CatchUp(feed, releaser, quiet_through, self._base)
        self.detaches += 1

    def _catch_up_step(self) -> int:
        cu = self.catch_up
        assert cu is not None
        published = self.published_seq()
        before = cu.feed.positioned
        done = cu.feed.step(cu.upto(published), STEP)
        self.positioned += cu.feed.positioned - before
        if cu.feed.ready:
            self.through_seq = cu.feed.through_seq
            if self.views is not None:
                self.views.advance(self.through_seq)
        self._send(self.encoder.flush(), loud=not cu.quiet())
        if not cu.frozen and cu.feed.ready and published - self.through_seq <= REJOIN_GAP:
            cu.freeze()
        if cu.frozen:
            done += self._skip_published(self.through_seq)
            if self._barrier.get_cursor() - self._sequence.get() > self._detach_lag:
                cu.unfreeze()  # the ring outran the journal feed: let go again
            elif self.through_seq >= cu.rejoin_after:
                self._skip_through = self.through_seq
                self._spare = cu.close()
                self.catch_up = None
        return done

    def _send(self, datagrams: list[bytes], *, loud: bool) -> None:
        if not datagrams:
            return
        for datagram in datagrams:
            self.recent.add(datagram)
        if loud and not self.muted:
            self.multicast.send(datagrams)
            self._last_sent_ns = time.monotonic_ns()

    # -- servers and timers -----------------------------------------------------------------

    def _serve(self, now: int) -> int:
        work = 0
        next_sequence = self.encoder.next_sequence
        for datagram, peer in self.requests.receive():
            work += 1
            answer = self.retransmitter.handle(datagram, peer, next_sequence)
            self.requests.answer(peer, answer)
        ready, replayed = self.retransmitter.work(self.through_seq, STEP)
        for peer, answer in ready:
            self.requests.answer(peer, answer)
        work += replayed + len(ready) + self.snapshots.poll(now)
        return work

    def _snapshot(self) -> tuple[str, list[bytes]]:
        """The books and the number the live feed continues at (queues are empty between
        polls, so they agree)."""
        messages = self.encoder.projection.book_messages(self.encoder.last_ts)
        out = [m.encode() for m in messages]
        out.append(EndOfSnapshot(self.encoder.next_sequence).encode())
        return self.session, out

    def _tick(self, now: int) -> None:
        if not self.muted and now - self._last_sent_ns >= self.settings.heartbeat_ns:
            self.multicast.send([Heartbeat(self.session, self.encoder.next_sequence).encode()])
            self._last_sent_ns = now
        if now - self._checkpoint_ns >= CHECKPOINT_EVERY_NS:
            self._checkpoint_ns = now
            self.save()
        if self.views is not None:
            self.views.save_if_due()

    def save(self) -> None:
        """Keep where the feed stands (when it moved since the last time)."""
        position = (self.through_seq, self.encoder.next_sequence)
        if position == self._saved:
            return
        check = record_check(self._data_dir, self.through_seq)
        if check is None:
            return  # not in the journal yet (cannot happen for a published command)
        state = FeedState(self.session, *position, check, self.encoder.projection.snapshot())
        save_state(self._data_dir, state)
        self._saved = position

    # -- waiting and the agent interface ------------------------------------------------------

    def _ready(self) -> bool:
        if self._barrier.available() > self._sequence.get():
            return True
        if self.catch_up is not None and not self.catch_up.frozen:
            return True
        if self.muted:
            assert self._role is not None
            return self._role.promoted()
        if self.retransmitter.waiting or self.snapshots.busy():
            return True
        if time.monotonic_ns() - self._last_sent_ns >= self.settings.heartbeat_ns:
            return True
        return readable(self.requests.fileno(), self.snapshots.fileno())

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._ring.is_alerted():
            raise AlertException("ring alerted")

    def wait(self) -> None:
        # not woken by every publish of the core (engine.stages.waiting): the feed lags the
        # book by at most FEED_NAP_S more while trading goes on
        nap_then_park(
            self._ring.board, self._waiter, self._ready, self._check_alert,
            nap=FEED_NAP_S, naps=NAPS_BEFORE_PARKING, timeout=0.005,
        )  # fmt: skip

    def on_close(self) -> None:
        """A clean stop: take what is left, save the position, announce End of Session."""
        try:
            if self._started and not self._halt.halted:
                self._finish()
        finally:
            if self._started:
                if self.catch_up is not None:
                    self.catch_up.close().close()
                if self._spare is not None:
                    self._spare.close()
                if self.views is not None:
                    self.views.stop()
                if not self.muted:
                    self.retransmitter.close()
                    self.snapshots.close()
                    self.requests.close()
                    self.multicast.close()
            if self._role is not None:
                self._role.close()
            self._ring.close()  # our attached handle (the supervisor owns the segment)
            if self.views is not None:
                self.views.close()

    def _finish(self) -> None:
        deadline = time.monotonic() + CLOSE_CATCH_UP_S
        while time.monotonic() < deadline:
            if self.catch_up is None:
                if not self._read_ring():
                    break
            elif not self._catch_up_step() and self.through_seq >= self.published_seq():
                break
        self.save()
        if self.muted:
            return  # a standby's feed announces nothing
        end = EndOfSession(self.session, self.encoder.next_sequence).encode()
        self.multicast.send([end, end])
        if self.detaches:
            _warn(
                f"fell behind {self.detaches} time(s): let go of the ring and caught up from "
                f"the journal; {self.multicast.dropped} datagram(s) not taken by the kernel"
            )

    def halt(self) -> None:
        self._halt.halted = True


def _warn(text: str) -> None:
    print(f"sequex marketdata: {text}", file=sys.stderr, flush=True)
