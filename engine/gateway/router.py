"""Execution-report routing: who each report of a command is addressed to.

:class:`ReportRouter` turns one command's routed events (``resolve(origin, seq_no, events)``,
once per command, in seq_no order, after the command was journaled and processed) into
:data:`Report` tuples ``(session, owner, seq_no, sub, event)``; ``route`` hands them to a
sink. In the host the gateway's reader of ring[events] (``engine.gateway.events_reader``)
resolves them in the gateway process; in one process, ``route`` may feed a
``engine.gateway.directory.SessionQueues``.

A report has an *address* of two parts, resolved to live sessions only at delivery
(``engine.gateway.directory.SessionDirectory``, in the gateway process, which alone knows who
is logged in):

* ``session``: the session that sent the command (``origin``), when the report answers it;
  0 = none (also when ``origin`` is 0: setup/internal commands have no session).
* ``owner``: True when the report concerns an order: it then also goes to every logged-in
  session of the firm that owns the event's ``account`` (the configured firm whose accounts
  include it), whichever session entered the order and whenever it was entered.

Rules:

* Accepted, Rejected and admin results (BalanceChanged, SymbolAdded, ...) answer the command:
  ``(origin, False)``.
* Fill and Expired concern an order, never answer the command that caused them (a maker's
  fill is caused by another firm's order; an end-of-day expiry by the operator):
  ``(0, True)``.
* Replaced, and a Cancelled with reason USER or REPLACED_AWAY, answer the command *and*
  concern the order: ``(origin, True)``. Other Cancelled (self-trade prevention) are caused by
  an incoming order, possibly another session's: ``(0, True)``.
* ``SessionNoted`` (a gateway session's journaled note, e.g. an OUCH message the gateway
  refused) answers the command: ``(origin, False)``; its session's protocol makes of it what
  the note says (``engine.gateway.outbound``).
* ``AccountOpened`` answers the command, and is emitted even with ``origin`` 0 (the setup's):
  the gateway registers every opened account with its firm as the report passes
  (``engine.gateway.directory``), which decides where that account's order reports go.
* Book events are not routed (market data's, not a session's). Any other report with address
  ``(0, False)`` is not emitted.

Delivery (the directory's contract, summarised here because together they are the routing
rule): a report reaches the union of ``session`` (if still logged in) and, with ``owner``, the
logged-in sessions of the account's firm, each at most once; each session gets its reports in
``(seq_no, sub)`` order; a firm session never gets a report about an account of another firm
(the engine already refuses a cancel or replace of another account's order, so ``origin`` of
an order report is always a session of the owning firm). A report that reaches no session is
dropped and counted: nobody could read it.

Why no ownership table here: every event of those kinds carries ``account``, and accounts
belong to exactly one firm (the exchange refuses to open an account twice), so the address is
a pure function of the command's events and its origin; the account's firm is looked up at
delivery. The router keeps no state: a host restart (a
fresh router) or a firm logging in again (a new session id) changes nothing about where a
resting order's later reports go. Routing is output-side only: it never feeds back into the
canonical stream.

``sub`` is the event's index in the list given to ``route`` (the publisher passes the
execution reports of the command, so ``(seq_no, sub)`` identifies a report uniquely; it is not
the canonical-stream sub_seq, which also counts book events).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from engine.domain.types import (
    EXECUTION_REPORTS,
    AccountOpened,
    AccountSettled,
    BalanceChanged,
    Cancelled,
    CancelReason,
    DayEnded,
    Event,
    Expired,
    Fill,
    LimitsSet,
    Obligation,
    Replaced,
    SessionNoted,
    SettlementDone,
    StpSet,
    SymbolAdded,
    TradingStatus,
)

#: (session, owner, seq_no, sub, event): ``session`` 0 = no session; ``owner`` = also the
#: logged-in sessions of the firm that owns ``event.account``.
Report = tuple[int, bool, int, int, Event]
ReportSink = Callable[[list[Report]], None]

ADMIN_RESULTS: Final = frozenset(
    {
        BalanceChanged,
        SymbolAdded,
        TradingStatus,
        LimitsSet,
        StpSet,
        DayEnded,
        AccountOpened,
        Obligation,
        AccountSettled,
        SettlementDone,
    }
)
#: A gateway session's own facts, journaled (``engine.domain.types.SessionNote``).
SESSION_NOTES: Final = frozenset({SessionNoted})
#: What is routed at all: execution reports, admin results and session notes (never book
#: events).
ROUTED_EVENTS: Final = EXECUTION_REPORTS | ADMIN_RESULTS | SESSION_NOTES
#: Order reports: addressed to the owning firm (``owner`` True).
ORDER_REPORTS: Final = frozenset({Fill, Cancelled, Replaced, Expired})

_ANSWERS: Final = frozenset({CancelReason.USER, CancelReason.REPLACED_AWAY})


class ReportRouter:
    """The addressing rules above; stateless."""

    def __init__(self, sink: ReportSink) -> None:
        self._sink = sink

    def route(self, origin: int, seq_no: int, events: list[Event]) -> None:
        reports = self.resolve(origin, seq_no, events)
        if reports:
            self._sink(reports)

    def resolve(self, origin: int, seq_no: int, events: list[Event]) -> list[Report]:
        """The reports of one command, one per routed event, in event order."""
        out: list[Report] = []
        for sub, event in enumerate(events):
            where = address(origin, event)
            if where is not None:
                out.append((where[0], where[1], seq_no, sub, event))
        return out


def address(origin: int, event: Event) -> tuple[int, bool] | None:
    """``(session, owner)`` of one event of a command sent by ``origin`` (the rules above), or
    None when it is not emitted. Also what the named JSON sessions' stores are owed by
    (``engine.gateway.json_stores``)."""
    match event:
        case Fill() | Expired():
            return 0, True
        case Cancelled(reason=reason):
            return (origin if reason in _ANSWERS else 0), True
        case Replaced():
            return origin, True
        case AccountOpened():  # also with origin 0: the gateway learns the owner
            return origin, False
        case _ if origin and event.__class__ in ROUTED_EVENTS:  # answers only
            return origin, False
        case _:
            return None  # book events, or an answer to nobody (origin 0)
