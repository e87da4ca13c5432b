"""What the drill's clients saw: the ack ledger, the fills and each session's numbering.

The load runner (``tools.drills.load``) writes it as reports arrive; the verifier
(``tools.drills.verify``) holds it against the journal. It is plain data, so a test builds one
by hand, right or wrong, without a host.

* :class:`OrderEntry`: one NewOrder a client sent, keyed by its client order id (the JSON
  ``client_order_id``, the OUCH token, the FIX ClOrdID; unique within a drill round). ``ack``
  is ``(order_id, seq_no)`` from the first acknowledgement the client read (JSON ``accepted``,
  OUCH Accepted, FIX ExecutionReport 150=0), None while unacknowledged. ``sent_at`` and
  ``acked_at`` are the drill's monotonic clock when it was first written and first acknowledged
  (what a drill times: how long acks were held up; never part of a verdict on the journal).
* :class:`FillSeen`: one execution report of a fill a session read, with the order it is
  about, its quantity and price, and how the protocol names it: the exchange's exec id (JSON,
  OUCH Match Number), or ``(seq_no, n)``, the command that caused it and the report's number
  among that command's reports (FIX ExecID ``seq-n``).
  ``resent`` marks a copy the protocol flags as a repeat (FIX PossDupFlag=Y).
* :class:`SessionTrace`: the sequence numbers a session was sent, in the order it read them
  (JSON ``"n"``, SoupBinTCP sequence, FIX MsgSeqNum, gap fills included as the numbers they
  cover), and how many times it logged in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["FillSeen", "Ledger", "OrderEntry", "SessionTrace"]


@dataclass(slots=True)
class OrderEntry:
    cid: str
    session: str
    ack: tuple[int, int] | None = None
    rejected: str = ""
    #: acknowledgements read later that differ from ``ack`` (a wrong id or seq_no resent)
    other_acks: list[tuple[int, int]] = field(default_factory=list)
    #: the client sent it again after a reconnect (OUCH: same token; FIX: PossResend=Y)
    resent: bool = False
    sent_at: float = 0.0
    acked_at: float | None = None


@dataclass(frozen=True, slots=True)
class FillSeen:
    session: str
    order_id: int
    qty: int
    price: int
    #: the exchange's exec id, or 0 when the protocol gives ``event`` instead
    exec_id: int = 0
    #: ``(seq_no, n)`` of the report, or None when the protocol gives ``exec_id``
    event: tuple[int, int] | None = None
    resent: bool = False

    @property
    def key(self) -> tuple[str, int, int]:
        """Which execution report this is, as the protocol names it (one per order side)."""
        if self.event is not None:
            return ("report", *self.event)
        return ("exec", self.exec_id, self.order_id)


@dataclass(slots=True)
class SessionTrace:
    name: str
    protocol: str
    numbers: list[int] = field(default_factory=list)
    logins: int = 0
    #: what the client could not reconcile (a message it could not read, a gap it saw open)
    faults: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Ledger:
    orders: dict[str, OrderEntry] = field(default_factory=dict)
    fills: list[FillSeen] = field(default_factory=list)
    sessions: dict[str, SessionTrace] = field(default_factory=dict)

    def sent(self, cid: str, session: str) -> OrderEntry:
        """Record a NewOrder about to be written (before any answer can be read)."""
        entry = self.orders.get(cid)
        if entry is None:
            entry = self.orders[cid] = OrderEntry(cid, session, sent_at=time.monotonic())
        else:
            entry.resent = True
        return entry

    def acked(self, cid: str, order_id: int, seq_no: int) -> None:
        entry = self.orders.get(cid)
        if entry is None:
            return
        if entry.ack is None:
            entry.ack = (order_id, seq_no)
            entry.acked_at = time.monotonic()
        elif entry.ack != (order_id, seq_no):
            entry.other_acks.append((order_id, seq_no))

    def trace(self, name: str, protocol: str) -> SessionTrace:
        trace = self.sessions.get(name)
        if trace is None:
            trace = self.sessions[name] = SessionTrace(name, protocol)
        return trace

    @property
    def acked_count(self) -> int:
        return sum(1 for e in self.orders.values() if e.ack is not None)
