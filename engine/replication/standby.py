"""The standby's receiver: the writer of its ring[in], fed by the primary; and its acks.

::

    primary ══ RECORDS ══► receive thread ──► Injector ──► ring[in] ──► journaler ──► core ...
            ◄═ ACK ═══════ ack thread ◄── the journaler's sequence (durable_seq)

Contract.

* Runs in the standby host's process, which owns the rings (``engine.supervisor``); it is
  the single writer of ring[in] while the standby follows (the gateway never runs then, and
  the host injects no setup of its own). Records go in at their own seqs: a RECORDS frame
  must start exactly at the next seq (slot s is seq base + s + 1), else the link is a
  protocol error; so the standby's journal holds the primary's records under the same seqs.
* The ack thread sends ACK(durable_seq) as soon as the standby's journaler moves it (the
  primary's sync replication waits for these), HEARTBEAT when it sent nothing for a
  heartbeat interval, and settles the primary's CHECKs against the standby's snapshots
  (``engine.replication.checks``).
* A FEED frame (the primary's market-data session) is handed to ``on_feed``: the standby
  keeps it for its muted feed to continue at a promotion (``engine.mdfeed.handover``).
* The link ends when the primary closes it, goes silent for ``timeout`` seconds (monotonic:
  liveness only), sends something malformed, or refuses; :attr:`ended` is set and
  :attr:`reason` says why. A state hash mismatch ends it too and sets :attr:`mismatch`: the
  standby must stop (its state is not its journal's). The next link (a reconnection) is a
  new receiver on the same injector, which keeps the position.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from disruptor import AlertException, RingBuffer, Sequence
from engine.domain.types import OpenAccount
from engine.records import KIND_OPEN_ACCOUNT, RECORD_SIZE, CommandDecoder
from engine.replication.checks import CheckBook, StateHashMismatch
from engine.replication.handshake import promotion_refusal
from engine.replication.link import Link, LinkClosed
from engine.stages.injector import Injector
from journal.replication import (
    Ack,
    Check,
    Feed,
    Heartbeat,
    Hello,
    ProtocolError,
    Records,
    Refuse,
    Start,
    record_digest,
)

#: How long the primary has to answer HELLO.
START_SECONDS = 5.0
#: Seconds between two looks at the journaler's sequence while records are unacknowledged.
ACK_POLL = 0.0002
#: Seconds between two attempts to settle pending checks.
SETTLE_SECONDS = 0.2


class Refused(Exception):
    """The primary refused this standby (the reason is the primary's)."""


def handshake(link: Link, hello: Hello, timeout: float = START_SECONDS) -> Start:
    """Send HELLO and return the primary's START; Refused, ProtocolError, LinkClosed or
    TimeoutError otherwise."""
    link.send(hello)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = link.receive_one(0.05)
        if frame is None:
            continue
        if isinstance(frame, Start):
            return frame
        if isinstance(frame, Refuse):
            raise Refused(frame.reason)
        raise ProtocolError(0, f"expected START or REFUSE, got {type(frame).__name__}")
    raise TimeoutError(f"{link.peer} did not answer HELLO within {timeout:g} s")


def last_record_digest(ring_in: RingBuffer, injector: Injector, base_seq: int) -> int | None:
    """The digest of the last record published into ring[in] (None: none was, this run)."""
    last = injector.last_seq_no
    if last <= base_seq:
        return None
    slot = (last - base_seq - 1) & ring_in.mask
    return record_digest(ring_in.slots[slot].tobytes())


class StandbyReceiver:
    """One link's receive and ack threads (see the module contract)."""

    def __init__(
        self,
        link: Link,
        ring_in: RingBuffer,
        injector: Injector,
        journaler: Sequence,
        base_seq: int,
        checks: CheckBook,
        *,
        heartbeat: float,
        timeout: float,
        start: Start,
        owners: dict[str, str],
        on_feed: Callable[[Feed], None] | None = None,
    ) -> None:
        self._start = start
        self._on_feed = on_feed
        #: account -> firm of every account opened in what was received (the gateway of a
        #: promoted standby needs them; the configured ones it knows)
        self._owners = owners
        self._link = link
        self._ring = ring_in
        self._injector = injector
        self._journaler = journaler
        self._base = base_seq
        self._checks = checks
        self._heartbeat = heartbeat
        self._timeout = timeout
        self._decode = CommandDecoder().decode_many
        self.ended = threading.Event()
        self.reason = ""
        self.mismatch: StateHashMismatch | None = None
        self.acked = 0
        self._threads = [
            threading.Thread(target=self._guard, args=(self._receive,), name="receive"),
            threading.Thread(target=self._guard, args=(self._acknowledge,), name="ack"),
        ]

    def start(self) -> StandbyReceiver:
        for thread in self._threads:
            thread.daemon = True
            thread.start()
        return self

    def stop(self) -> None:
        self._end("stopped")
        for thread in self._threads:
            thread.join(timeout=5.0)

    def durable_seq(self) -> int:
        return self._base + self._journaler.get() + 1

    def _end(self, reason: str) -> None:
        if not self.ended.is_set():
            self.reason = reason
            self.ended.set()
        self._link.close()

    def _guard(self, body: Callable[[], None]) -> None:
        try:
            body()
        except StateHashMismatch as exc:
            self.mismatch = exc
            self._end(str(exc))
        except Refused as exc:
            self._end(f"the primary refused: {exc}")
        except (LinkClosed, ProtocolError) as exc:
            self._end(str(exc))
        except ValueError as exc:  # the injector: a record stamped with another seq_no
            self._end(f"a record from the primary does not fit its slot: {exc}")
        except AlertException:
            self._end("the host is stopping")
        except Exception as exc:  # a bug must end the link loudly, never hang the standby
            self._end(f"the {threading.current_thread().name} thread failed: {exc!r}")

    def _receive(self) -> None:
        link, publish = self._link, self._injector.publish
        while not self.ended.is_set():
            frames = link.receive(self._heartbeat)
            if not frames and link.silent_for() > self._timeout:
                raise LinkClosed(
                    f"the primary {link.peer} was silent for more than "
                    f"{self._timeout * 1000:.0f} ms"
                )
            for frame in frames:
                if isinstance(frame, Records):
                    expected = self._injector.last_seq_no + 1
                    if frame.first_seq != expected or frame.record_size != RECORD_SIZE:
                        raise ProtocolError(
                            0,
                            f"RECORDS of seqs {frame.first_seq}..{frame.last_seq} "
                            f"({frame.record_size} bytes each); expected seq {expected} "
                            f"({RECORD_SIZE} bytes)",
                        )
                    rows = np.frombuffer(frame.payload, dtype=np.uint8)
                    rows = rows.reshape(frame.count, RECORD_SIZE)
                    publish(rows)
                    self._note_accounts(rows)
                elif isinstance(frame, Check):
                    self._checks.expect(frame.seq, frame.state_hash)
                elif isinstance(frame, Feed):
                    if self._on_feed is not None:
                        self._on_feed(frame)
                elif isinstance(frame, Refuse):
                    raise Refused(frame.reason)
                elif not isinstance(frame, Heartbeat):
                    raise ProtocolError(0, f"unexpected {type(frame).__name__} from the primary")

    def _note_accounts(self, rows: np.ndarray) -> None:
        """Remember who opened which account (a vectorised look at the kind byte: no
        per-record decoding unless an OpenAccount is there)."""
        opened = np.flatnonzero(rows[:, 0] == KIND_OPEN_ACCOUNT)
        if opened.size:
            for command in self._decode(rows[opened].tobytes()):
                if isinstance(command, OpenAccount):
                    self._owners[command.account] = command.firm

    def promotable(self) -> str | None:
        """Why this standby may not take over from its lost primary (None: it may); see
        ``engine.replication.handshake.promotion_refusal``."""
        return promotion_refusal(self._start, self._injector.last_seq_no)

    def _acknowledge(self) -> None:
        link = self._link
        settle_at = 0.0
        while not self.ended.is_set():
            if self._ring.is_alerted():
                raise AlertException("ring alerted")
            durable = self.durable_seq()
            if durable > self.acked:
                self.acked = durable
                link.send(Ack(durable))
            elif link.idle_for() >= self._heartbeat:
                link.send(Heartbeat(durable))
            now = time.monotonic()
            if now >= settle_at:
                settle_at = now + SETTLE_SECONDS
                self._checks.settle()
            waiting = self._injector.last_seq_no > self.acked
            time.sleep(ACK_POLL if waiting else min(0.01, self._heartbeat / 4))
