"""Execution-report routing: which gateway session each report of a command goes to.

:class:`ReportRouter` implements ``engine.stages.publisher.ExecRouter``: the publisher calls
``route(origin, seq_no, events)`` once per command, in seq_no order, after the command was
journaled and processed. The router turns the events into :data:`Report` tuples
``(session, seq_no, sub, event)`` and hands them to a sink: in the host, the exec ring writer
(``engine.gateway.exec_ring``) that carries them to the gateway process; in one process, a
:class:`SessionQueues`.

Rules (``origin`` is the session that sent the command; 0 = setup/internal, never a session):

* Accepted and Rejected answer the command: to ``origin``. Accepted also records
  ``order_id -> origin``: the order's *owner*.
* Fill, Cancelled, Expired, Replaced concern an order: to its owner, so a maker's fills, a
  self-trade cancel or an end-of-day expiry of a resting order reach the session that entered
  it even when another session's command caused them. Replaced and a Cancelled with reason
  USER or REPLACED_AWAY also answer the command, so they go to ``origin`` as well when it is
  another session (the engine has checked that the order's account is the command's, so that
  session is of the same firm). An order with no known owner (entered before this router
  started) is reported to ``origin``.
* Admin results (BalanceChanged, SymbolAdded, ...) answer the command: to ``origin``.
* An order ends with a Fill whose leaves_qty is 0, a Cancelled or an Expired; the router then
  forgets it, so the ownership table holds only live orders.
* Book events are not routed. Reports addressed to session 0 are not emitted.

``sub`` is the event's index in the list given to ``route`` (the publisher passes the
execution reports of the command, so ``(seq_no, sub)`` identifies a report uniquely; it is not
the canonical-stream sub_seq, which also counts book events).

Sessions that are gone are the sink's business: :class:`SessionQueues` (and the gateway
server) drop reports for a session that is not open and count them in ``dropped``; a firm that
reconnects sees its orders' later reports only if they are addressed to the new session.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Final

from engine.domain.types import (
    Accepted,
    BalanceChanged,
    Cancelled,
    CancelReason,
    DayEnded,
    Event,
    Expired,
    Fill,
    LimitsSet,
    Rejected,
    Replaced,
    StpSet,
    SymbolAdded,
    TradingStatus,
)

#: (session, seq_no, sub, event)
Report = tuple[int, int, int, Event]
ReportSink = Callable[[list[Report]], None]

EXEC_REPORTS: Final = frozenset({Accepted, Rejected, Fill, Cancelled, Replaced, Expired})
ADMIN_RESULTS: Final = frozenset(
    {BalanceChanged, SymbolAdded, TradingStatus, LimitsSet, StpSet, DayEnded}
)
#: What the publisher should hand to ``route``: execution reports and admin results.
ROUTED_EVENTS: Final = EXEC_REPORTS | ADMIN_RESULTS

_ANSWERS: Final = frozenset({CancelReason.USER, CancelReason.REPLACED_AWAY})


class ReportRouter:
    """Order ownership + the routing rules above; one per publisher."""

    def __init__(self, sink: ReportSink) -> None:
        self._sink = sink
        #: order_id -> session of its owner, for live orders only
        self.owners: dict[int, int] = {}

    def route(self, origin: int, seq_no: int, events: list[Event]) -> None:
        reports = self.resolve(origin, seq_no, events)
        if reports:
            self._sink(reports)

    def resolve(self, origin: int, seq_no: int, events: list[Event]) -> list[Report]:
        """The reports of one command, in event order (a report may go to two sessions)."""
        owners = self.owners
        out: list[Report] = []
        for sub, event in enumerate(events):
            targets: tuple[int, ...]
            match event:
                case Accepted(order_id=order_id):
                    if origin:
                        owners[order_id] = origin
                    targets = (origin,)
                case Fill(order_id=order_id, leaves_qty=leaves):
                    owner = owners.get(order_id, origin)
                    if leaves == 0:
                        owners.pop(order_id, None)
                    targets = (owner,)
                case Cancelled(order_id=order_id, reason=reason):
                    owner = owners.pop(order_id, origin)
                    targets = (owner, origin) if reason in _ANSWERS else (owner,)
                case Expired(order_id=order_id):
                    targets = (owners.pop(order_id, origin),)
                case Replaced(order_id=order_id):
                    targets = (owners.get(order_id, origin), origin)
                case _ if event.__class__ in ROUTED_EVENTS:  # Rejected, admin results
                    targets = (origin,)
                case _:
                    continue  # book events: market data's, not a session's
            first = targets[0]
            if first:
                out.append((first, seq_no, sub, event))
            if len(targets) == 2 and targets[1] != first and targets[1]:
                out.append((targets[1], seq_no, sub, event))
        return out


class SessionQueues:
    """An in-process sink: session id -> its queue of reports; reports for a session that is
    not open are dropped and counted (the session is gone: nobody could read them)."""

    def __init__(self) -> None:
        self.queues: dict[int, deque[Report]] = {}
        self.dropped = 0

    def open(self, session: int) -> deque[Report]:
        return self.queues.setdefault(session, deque())

    def close(self, session: int) -> None:
        self.queues.pop(session, None)

    def __call__(self, reports: list[Report]) -> None:
        queues = self.queues
        for report in reports:
            queue = queues.get(report[0])
            if queue is None:
                self.dropped += 1
            else:
                queue.append(report)
