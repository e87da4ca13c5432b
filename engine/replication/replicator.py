"""The replicator: the primary's stage that ships its journal to the standby, record for record.

::

    ring[in] ──► replicator ── RECORDS (slot ranges) ──► standby
       ▲              ▲ ◄──────── ACK durable_seq ─────────┘   (reader thread)
       │              └─ its consumer sequence = the standby's durable seq (replicated_seq)
       └─ core/risk wait for min(durable_seq, replicated_seq) (``engine.topology``)

Contract.

* Sync mode (a reader of ring[in], ``consumer``): its sequence on ring[in] is the standby's
  acknowledged durable seq, so core and risk act on a command, and a client is acknowledged,
  only once the standby journaled it. With no standby connected the sequence stands still:
  the pipeline stops behind it and backpressure reaches the gateway, which stops reading its
  sockets (acknowledged orders must exist on the standby). The log says so.
* Async mode (``consumer`` None): not a reader of any ring; it follows the journal files up to
  durable_seq, like the snapshotter, and gates nothing: acknowledged commands past the
  standby's position can be lost at a failover (docs/replication.md).
* A standby connects to ``settings.endpoint`` and says where its journal ends (HELLO); the
  decision is ``engine.replication.handshake``. It is sent what follows: from the journal
  files while it is behind what the ring still holds (only durable seqs), then slot ranges
  straight from ring[in] (every slot past the replicator's own sequence is still there: it
  gates the producer). No per-command objects: bytes in bulk.
* Liveness (monotonic clock, never outcomes): a heartbeat after ``heartbeat_ms`` without
  sending; a standby silent for ``timeout_ms`` is dropped. Besides the records the standby is
  told the state hash at each snapshot (CHECK) and the session of this host's market-data
  feed (FEED): ``engine.replication.notices``.
* One standby at a time; a link that fails is dropped and the next connection is served.
* On a host started as a standby (``role``: its role word, ``engine.replication.role``) the
  replicator is *dormant*: it does not listen, and in sync mode it passes ring[in] through
  (its sequence follows the cursor, so core and risk wait for the journaler alone). Once the
  host is promoted it listens on its own endpoint, still passing through while no standby is
  connected: a promoted host must serve at once, and no standby exists yet. The first standby
  that connects closes the gate: the sequence stays where it stood (START's ``acked_seq``, the
  most that may have been acknowledged with no standby), and from then on the replicator is a
  sync replicator like a primary's (docs/replication.md, "Market data and replication
  after a promotion").
* A standby whose configuration does not enable replication runs one too, in mode ``probes``
  (``engine.replication.settings``): on no ring like an async one, dormant until promoted,
  then listening only to answer epoch probes; a standby that would follow it is refused
  (REFUSE, saying so). So a former primary can always learn that it was superseded.
* Fencing (``engine.replication.handshake``): the replicator knows this host's fences: the
  recovered ones, then every ``Fence`` command it sees, whether it ships it, passes it through
  (a standby's, dormant or promoted: the Fence its promotion journals goes through ring[in]
  after this process started) or reads it from the journal before answering a HELLO. A PROBE
  is answered as a HELLO would be (START with this host's epoch, or DIVERGED) and the
  connection closed; a probe never closes a promoted host's gate. A standby of a lower epoch
  whose journal runs past the fence that superseded it is told DIVERGED. A standby or prober
  of a higher epoch tells this host it was superseded: it is fenced (``engine.fencing``: the
  gateway refuses orders) and the log says so loudly.
"""

from __future__ import annotations

import select
import socket
import sys
import threading
import time

import numpy as np

from disruptor import AlertException, RingBuffer
from engine.fencing import mark_fenced
from engine.journal_format import journal_dir
from engine.records import RECORD_SIZE
from engine.replication.fences import FenceLog
from engine.replication.handshake import answer_hello, fenced_by
from engine.replication.link import Link, LinkClosed, listen
from engine.replication.notices import Notices
from engine.replication.role import HostRole
from engine.replication.settings import ReplicationSettings
from engine.stages.snapshotter import JournalTail, TailError
from journal.replication import (
    MODE_ASYNC,
    MODES,
    Ack,
    Diverged,
    Heartbeat,
    Hello,
    ProtocolError,
    Refuse,
    Start,
    record_digest,
    records_prefix,
)

#: Records per RECORDS frame (64 KiB of commands: well inside the protocol's frame limit).
BATCH = 512
#: How long a connecting standby has to say HELLO, and the primary's journal to reach it.
HELLO_SECONDS = 5.0


def log(message: str) -> None:
    print(f"sequex replicator: {message}", file=sys.stderr, flush=True)


class ReplicatorAgent:
    """The primary's replicator (see the module contract)."""

    def __init__(
        self,
        ring_in: RingBuffer,
        consumer: int | None,
        journaler: int,
        settings: ReplicationSettings,
        data_dir: str,
        header: bytes,
        *,
        base_seq: int = 0,
        snapshot_every: int = 0,
        segment_bytes: int = 0,
        role: str | None = None,
    ) -> None:
        self._ring = ring_in
        self._settings = settings
        self._data_dir = data_dir
        self._header = header
        self._base = base_seq
        self._snapshot_every = snapshot_every
        self._segment_bytes = segment_bytes
        self._durable = ring_in.consumer_sequence(journaler)
        self._sequence = None if consumer is None else ring_in.consumer_sequence(consumer)
        self._waiter = 0 if consumer is None else 1 + consumer
        self._heartbeat = settings.heartbeat_ms / 1000.0
        self._timeout = settings.timeout_ms / 1000.0
        self._listener: socket.socket | None = None
        self._link: Link | None = None
        self._reader: threading.Thread | None = None
        self._link_error = ""
        #: the standby's durable seq as far as we know (sync: what our sequence says)
        self.acked = base_seq
        self.sent = 0
        self._in_sync = False
        self._tail: JournalTail | None = None
        self._notices = Notices(data_dir)
        self._halted = False
        #: this host's fences: the recovered ones (its state's, through ``base_seq``), then
        #: every Fence that passes through ring[in] or is read from the journal (module contract)
        self.fences = FenceLog(settings.fences, base_seq)
        self._role_name = role
        self._role: HostRole | None = None
        #: a standby's replicator before its promotion: not listening (module contract)
        self._dormant = False
        #: passing ring[in] through while no standby ever connected (a standby's, promoted or
        #: not); the first standby closes it for good
        self._open_gate = role is not None

    # -- the agent interface -----------------------------------------------------------------

    def on_start(self) -> None:
        if self._role_name is not None:
            self._role = HostRole.attach(self._role_name)
            self._dormant = not self._role.promoted()
        if not self._dormant:
            self._open()

    def _open(self) -> None:
        self._listener = listen(self._settings.endpoint)
        self._listener.setblocking(False)
        self._say_waiting()

    def poll(self) -> int:
        """Accept, ship and beat without waiting; returns the work done (0: idle)."""
        self._check_alert()
        if self._dormant:
            assert self._role is not None
            if not self._role.promoted():
                return self._pass_through()
            self._dormant = False
            self._open()
        link = self._link
        if link is None:
            return self._pass_through() + self._accept(0.0)
        if link.closed or link.silent_for() > self._timeout:
            reason = self._link_error or f"silent for more than {self._settings.timeout_ms} ms"
            self._drop(f"standby {link.peer} lost: {reason}")
            return 0
        try:
            done = self._ship(link)
            self._notices.send_feed(link)  # busy or not: a promotion may come at any time
            if not done:
                if link.idle_for() >= self._heartbeat:
                    link.send(Heartbeat(self.sent))
                self._notices.send_checks(link, self.sent)
        except LinkClosed as exc:
            self._link_error = str(exc)
            return 0
        except TailError as exc:
            raise RuntimeError(f"cannot read this host's journal for the standby: {exc}") from None
        return done

    def do_work(self) -> int:
        done = self.poll()
        if not done:
            if self._link is None and (self._dormant or self._passing()):
                self._wait_cursor(0.05)  # accepts at the next poll, if it listens
            elif self._link is None:
                self._accept(0.05)
            else:
                self._wait(self._link)
        return done

    def on_close(self) -> None:
        if self._link is not None:
            self._link.close()
        if self._reader is not None:
            self._reader.join(timeout=2.0)
        if self._listener is not None:
            self._listener.close()
        if self._tail is not None:
            self._tail.close()
        if self._role is not None:
            self._role.close()
        self._ring.close()  # our attached handle (the supervisor owns the segment)

    def halt(self) -> None:
        self._halted = True

    # -- positions -------------------------------------------------------------------------

    def _check_alert(self) -> None:
        if self._halted or self._ring.is_alerted():
            raise AlertException("replicator stopped")

    def _last_seq(self) -> int:
        return self._base + self._ring.cursor.get() + 1

    def _durable_seq(self) -> int:
        return self._base + self._durable.get() + 1

    def _passing(self) -> bool:
        """Whether the sequence follows ring[in]'s cursor now (module contract)."""
        return self._sequence is not None and (self._dormant or self._open_gate)

    def _pass_through(self) -> int:
        """Move the sequence to the cursor while passing through; returns the seqs passed."""
        if not self._passing():
            return 0
        before = self.acked
        last = self._last_seq()
        if last > before:
            # the slots past our sequence are still in the ring (it gates the producer): look
            # for a Fence among them before letting them go
            at = before + 1
            for start, stop in self._ring.chunks(at - self._base - 1, last - self._base - 1):
                self.fences.note(self._ring.slots[start:stop], at)
                at += stop - start
        self._publish_acked(last)
        return self.acked - before

    def _wait_cursor(self, timeout: float) -> None:
        """Sleep until ring[in]'s cursor moves past our sequence, or ``timeout`` passes."""
        if self._sequence is None:
            time.sleep(timeout)  # async: nothing to pass through
            return
        board, waiter = self._ring.board, self._waiter
        board.begin_wait(waiter)
        try:
            if self._ring.cursor.get() > self._sequence.get():
                return
            board.block(waiter, timeout)
        finally:
            board.end_wait(waiter)

    def _publish_acked(self, seq: int) -> None:
        """The standby holds every seq <= ``seq`` durably (only ever forward)."""
        if seq <= self.acked:
            return
        self.acked = seq
        if self._sequence is not None:
            self._sequence.set(seq - self._base - 1)
            self._ring.board.signal()  # core/risk may be waiting on it

    # -- connecting ------------------------------------------------------------------------

    def _say_waiting(self) -> None:
        where = self._settings.endpoint
        if self._settings.probes_only:
            log(f"answering epoch probes on {where} (replication is not enabled: no standby)")
        elif self._passing():
            log(
                f"this promoted host waits for a standby on {where}; until one connects, "
                "commands take effect with no standby (sync replication starts with it)"
            )
        elif self._settings.sync:
            log(
                f"waiting for a standby on {where}; sync replication: commands after seq "
                f"{self.acked} take effect, and are acknowledged, only once a standby has them"
            )
        else:
            log(f"waiting for a standby on {where} (async replication: nothing waits for it)")

    def _accept(self, timeout: float) -> int:
        assert self._listener is not None
        readable, _, _ = select.select([self._listener], [], [], timeout)
        if not readable:
            return 0
        try:
            sock, address = self._listener.accept()
        except BlockingIOError:
            return 0
        sock.setblocking(True)
        link = Link(sock, f"{address[0]}:{address[1]}")
        try:
            self._handshake(link)
        except (LinkClosed, ProtocolError, TimeoutError) as exc:
            if link.received:  # else a probe of the port (the banner's), not a standby
                log(f"a standby from {link.peer} was not served: {exc}")
            link.close()
        return 1

    def _handshake(self, link: Link) -> None:
        hello = self._await_hello(link)
        last = hello.last_seq
        deadline = time.monotonic() + HELLO_SECONDS
        while 0 < last <= self._last_seq() and self._durable_seq() < last:
            self._check_alert()  # its last record is still on its way to our journal
            if time.monotonic() > deadline:
                raise TimeoutError(f"this host's journal did not reach seq {last} in time")
            time.sleep(0.001)
        self._pass_through()  # START says what may have taken effect (when passing)
        # the answer says this host's epoch as its journal has it now
        self.fences.catch_up(journal_dir(self._data_dir), self._durable_seq())
        digest = None
        if 0 < last <= self._durable_seq():
            digest = record_digest(JournalTail(journal_dir(self._data_dir), last - 1).read(last))
        answer = answer_hello(
            hello, header=self._header, last_seq=self._last_seq(), acked_seq=self.acked,
            digest_at=digest, fences=self.fences.fences,
            snapshot_every=self._snapshot_every, segment_bytes=self._segment_bytes,
            mode=MODES.get(self._settings.mode, MODE_ASYNC),
        )  # fmt: skip
        if self._settings.probes_only and not hello.probe and isinstance(answer, Start):
            answer = Refuse(
                f"replication is not enabled on {self._settings.endpoint} ([replication] "
                "enabled = false): it answers epoch probes only"
            )
        link.send(answer)
        superseded = fenced_by(self.fences.epoch, hello.epoch, link.peer)
        if superseded is not None and mark_fenced(self._data_dir, superseded):
            log(f"FENCED: {superseded}; this host refuses every order from now on")
        if hello.probe:
            link.close()  # a host asking for our epoch: answered
            return
        if not isinstance(answer, Start):
            link.close()
            log(f"refused the standby from {link.peer}: {_described(answer)}")
            return
        if self._passing():
            self._open_gate = False  # from here on nothing takes effect before the standby has it
            log(
                f"sync replication from now on: commands after seq {self.acked} take effect "
                "only once this standby has them"
            )
        self.sent = last
        self._in_sync = False
        self._publish_acked(last)
        self._link_error = ""
        self._link = link
        self._reader = threading.Thread(
            target=self._read_acks, args=(link,), name="acks", daemon=True
        )
        self._reader.start()
        self._notices.restart(link, last)
        behind = self._last_seq() - last
        log(f"standby {link.peer} connected with its journal at seq {last}; {behind} to send")

    def _await_hello(self, link: Link) -> Hello:
        deadline = time.monotonic() + HELLO_SECONDS
        while time.monotonic() < deadline:
            self._check_alert()
            self._pass_through()  # a slow peer must not hold a promoted host's orders back
            frame = link.receive_one(0.05)
            if isinstance(frame, Hello):
                return frame
            if frame is not None:
                raise ProtocolError(0, f"expected HELLO first, got {type(frame).__name__}")
        raise TimeoutError(f"no HELLO within {HELLO_SECONDS:g} s")

    def _drop(self, why: str) -> None:
        assert self._link is not None
        self._link.close()
        if self._reader is not None:
            self._reader.join(timeout=2.0)
        self._link = self._reader = None
        if self._tail is not None:
            self._tail.close()
            self._tail = None
        log(why)
        self._say_waiting()

    def _read_acks(self, link: Link) -> None:
        """The reader thread of one link: acknowledgements and heartbeats."""
        try:
            while not link.closed:
                for frame in link.receive(self._heartbeat):
                    if isinstance(frame, Ack):
                        if frame.durable_seq > self.sent:
                            raise ProtocolError(
                                0, f"ACK of seq {frame.durable_seq}, sent only {self.sent}"
                            )
                        self._publish_acked(frame.durable_seq)
                    elif isinstance(frame, Refuse):
                        raise LinkClosed(f"the standby gave up: {frame.reason}")
                    elif not isinstance(frame, Heartbeat):
                        raise ProtocolError(0, f"unexpected {type(frame).__name__} from a standby")
        except (LinkClosed, ProtocolError) as exc:
            self._link_error = str(exc)
            link.close()

    # -- shipping --------------------------------------------------------------------------

    def _ship(self, link: Link) -> int:
        """Send the next batch, from ring[in] or the journal; returns records sent."""
        first = self.sent + 1
        last = self._last_seq()
        if first > last:
            if not self._in_sync:
                self._in_sync = True
                log(f"standby {link.peer} in sync at seq {self.sent}")
            return 0
        if self._sequence is not None and first > self.acked:
            # every slot past our own sequence is still in the ring: it gates the producer
            upto = min(last, first + BATCH - 1)
            slots = self._ring.slots
            at = first
            self.sent = upto  # first: the standby may acknowledge before sendall returns
            for start, stop in self._ring.chunks(first - self._base - 1, upto - self._base - 1):
                self.fences.note(slots[start:stop], at)
                prefix = records_prefix(at, stop - start, RECORD_SIZE)
                link.send_bytes(prefix, slots[start:stop].data)
                at += stop - start
            return upto - first + 1
        upto = min(self._durable_seq(), first + BATCH - 1)
        if upto < first:
            return 0  # behind the ring's window, and our journal is not there yet
        if self._tail is None or self._tail.next_seq != first:
            if self._tail is not None:
                self._tail.close()
            self._tail = JournalTail(journal_dir(self._data_dir), first - 1)
        payload = self._tail.read(upto)
        count = len(payload) // RECORD_SIZE
        if count:
            rows = np.frombuffer(payload, dtype=np.uint8).reshape(count, RECORD_SIZE)
            self.fences.note(rows, first)
            self.sent = first + count - 1
            link.send_bytes(records_prefix(first, count, RECORD_SIZE), payload)
        return count

    def _ready(self) -> bool:
        """Whether :meth:`_ship` has something to send now."""
        first = self.sent + 1
        if self._sequence is not None and first > self.acked:
            return self._last_seq() >= first
        return self._durable_seq() >= first

    def _wait(self, link: Link) -> None:
        """Sleep until ring[in] or the journal moves, or half a heartbeat passes."""
        if self._sequence is None:
            time.sleep(min(0.002, self._heartbeat / 2))  # async: off the order path
            return
        board, waiter = self._ring.board, self._waiter
        board.begin_wait(waiter)
        try:
            if self._ready() or link.closed:
                return
            board.block(waiter, self._heartbeat / 2)
        finally:
            board.end_wait(waiter)


def _described(answer: Refuse | Diverged) -> str:
    if isinstance(answer, Refuse):
        return answer.reason
    return (
        f"its journal holds seqs from {answer.from_seq} that epoch {answer.epoch} superseded "
        "(it is told to quarantine them)"
    )
