"""The reports each configured session is owed: a pure projection of the command stream.

:class:`OutboundProjection` is fed every command of the journal in seq order with the
``origin`` of the session that sent it and the events it caused (``apply``), and answers with
the :class:`OrderReport` s owed to configured sessions (stable origins, ``engine.session_ids``):

* a ``NewOrder``'s ``Accepted`` (``NEW``) or ``Rejected`` (``REJECTED``), to its sender;
* every later event of that order (``TRADE`` per fill, ``REPLACED``, ``CANCELED``, ``EXPIRED``)
  to the session that *entered the order*, whoever caused the event (the other side of a trade,
  an end of day, self-trade prevention, another session's cancel...);
* a refused cancel (``CANCEL_REJECTED``) or replace (``REPLACE_REJECTED``), to its sender;
* a message its gateway refused before it could become a command (``LOCAL_REJECTED``: the
  ``SessionNoted`` of a REFUSED ``SessionNote``, the gateway's journaled refusal), to the
  session the note is about (the command's origin), with the note's token and reason code.

Reports carry what the protocols need and the domain events do not: the order's terms, its
client order id and the one it had before a replace, and the running cumulative quantity and
cost (``cum_cost / cum_qty`` is FIX's AvgPx). Every live order a session entered is tracked,
a JSON connection's too (the gateway answers ``order_status`` from this table); only the
FIX and OUCH sessions' reports are stored (``engine.gateway.ledger``). The JSON gateway
reports the events themselves: live to anonymous sessions, and from the named sessions'
stores of events (``engine.gateway.json_stores``), not from these reports.

Because the projection reads only the journal's commands and their events, the stores it fills
(``engine.gateway.report_store``) are a function of the journal: lost or behind, they can be
regenerated (``engine.gateway.catch_up``). Its state, the table of live orders, is saved and
restored with :meth:`snapshot` / :meth:`restore`. Pure: no I/O.

:class:`OrderReport`, :class:`LiveOrder` and :class:`ReportKind` are defined in
``engine.gateway.report_types`` (compiled, for the out side's compiled consumers) and
exported from here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

from engine.domain.types import (
    Accepted,
    Cancelled,
    CancelOrder,
    Command,
    Event,
    Expired,
    Fill,
    NewOrder,
    NoteKind,
    Rejected,
    Replaced,
    ReplaceOrder,
    SessionNoted,
)
from engine.gateway.report_types import LiveOrder, OrderReport, ReportKind

__all__ = ["LiveOrder", "OrderReport", "OutboundProjection", "Owed", "ReportKind"]


#: (origin of the session owed it, the report)
Owed = tuple[int, OrderReport]


def _clid(cmd: Command) -> str:
    """A cancel's or replace's own client order id, when the command carries one."""
    value = getattr(cmd, "client_order_id", "")
    return value if isinstance(value, str) else ""


class OutboundProjection:
    """The live orders of configured sessions, and the reports their events make."""

    def __init__(self) -> None:
        self.orders: dict[int, LiveOrder] = {}
        #: (origin, client order id) -> order id, for the live orders (OUCH finds orders by
        #: token); rebuilt from ``orders``, never saved
        self.by_token: dict[tuple[int, str], int] = {}

    def find(self, origin: int, client_order_id: str) -> tuple[int, LiveOrder] | None:
        """The live order of session ``origin`` with that client order id, if any."""
        order_id = self.by_token.get((origin, client_order_id))
        return None if order_id is None else (order_id, self.orders[order_id])

    def state_of(self, order_id: int) -> OrderReport | None:
        """Live order ``order_id`` as a report of its current state (kind NEW until something
        filled, then TRADE; no command, so seq_no, sub and ts are 0), if it is live."""
        order = self.orders.get(order_id)
        if order is None:
            return None
        kind = ReportKind.TRADE if order.cum_qty else ReportKind.NEW
        return self._report(kind, order, order_id, 0, 0, 0)

    def cancels_of(self, origin: int) -> list[CancelOrder]:
        """A CancelOrder (seq_no and ts 0: the gateway's to give) for every live order session
        ``origin`` entered: its firm's cancel on disconnect."""
        return [
            CancelOrder(0, 0, order.account, order_id, order.client_order_id)
            for order_id, order in self.orders.items()
            if order.origin == origin
        ]

    def _forget(self, order_id: int) -> LiveOrder | None:
        order = self.orders.pop(order_id, None)
        if order is not None:
            key = (order.origin, order.client_order_id)
            if self.by_token.get(key) == order_id:
                del self.by_token[key]
        return order

    def _rename(self, order_id: int, order: LiveOrder, client_order_id: str) -> None:
        """The order takes a new client order id (a replace's, or a cancel's)."""
        key = (order.origin, order.client_order_id)
        if self.by_token.get(key) == order_id:
            del self.by_token[key]
        order.orig_client_order_id = order.client_order_id
        order.client_order_id = client_order_id
        self.by_token[(order.origin, client_order_id)] = order_id

    def apply(self, cmd: Command, origin: int, events: list[tuple[int, Event]]) -> list[Owed]:
        """The reports owed for command ``cmd`` (sent by ``origin``) and its ``events``, each
        with its report number ``sub`` among the command's execution reports (the gateway's
        numbering, ``engine.gateway.router``: a command's events may come in two parts)."""
        out: list[Owed] = []
        ts = cmd.ts
        order: LiveOrder | None
        for sub, event in events:
            match event:
                case Accepted():
                    if origin and isinstance(cmd, NewOrder):
                        order = self._enter(cmd, origin)
                        out.append((origin, self._report(ReportKind.NEW, order, event.order_id,
                                                         cmd.seq_no, sub, ts)))  # fmt: skip
                case Rejected():
                    out.extend(self._rejected(cmd, origin, event, sub))
                case Fill():
                    order = self.orders.get(event.order_id)
                    if order is None:
                        continue
                    order.cum_qty += event.fill_qty
                    order.cum_cost += event.fill_qty * event.fill_price
                    order.leaves = event.leaves_qty
                    report = self._report(
                        ReportKind.TRADE, order, event.order_id, cmd.seq_no, sub, event.ts,
                        event.fill_qty, event.fill_price, event.exec_id, int(event.liquidity),
                    )  # fmt: skip
                    out.append((order.origin, report))
                    if event.leaves_qty == 0:
                        self._forget(event.order_id)
                case Cancelled() | Expired():
                    order = self._forget(event.order_id)
                    if order is None:
                        continue
                    kind = ReportKind.CANCELED if type(event) is Cancelled else ReportKind.EXPIRED
                    if kind is ReportKind.CANCELED and isinstance(cmd, CancelOrder | ReplaceOrder):
                        order.orig_client_order_id = order.client_order_id
                        order.client_order_id = _clid(cmd) or order.client_order_id
                    order.leaves = 0
                    report = self._report(
                        kind, order, event.order_id, cmd.seq_no, sub, ts, event.remaining_qty,
                        reason=int(event.reason),
                    )  # fmt: skip
                    out.append((order.origin, report))
                case Replaced():
                    order = self.orders.get(event.order_id)
                    if order is None:
                        continue
                    self._rename(event.order_id, order, _clid(cmd) or order.client_order_id)
                    order.qty, order.price, order.leaves = event.qty, event.price, event.leaves_qty
                    report = self._report(
                        ReportKind.REPLACED, order, event.order_id, cmd.seq_no, sub, ts,
                        priority_kept=event.priority_kept,
                    )  # fmt: skip
                    out.append((order.origin, report))
                case SessionNoted():
                    if origin and event.note == NoteKind.REFUSED:
                        out.append((origin, self._refused(event, sub, ts)))
                case _:
                    continue  # book events, administration
        return out

    @staticmethod
    def _refused(event: SessionNoted, sub: int, ts: int) -> OrderReport:
        """The Rejected of a message the session's gateway refused (a REFUSED note)."""
        return OrderReport(
            ReportKind.LOCAL_REJECTED, event.seq_no, sub, ts, 0, event.account, "", 0, 0, 0,
            False, event.token, "", 0, 0, 0, 0, 0, reason=event.a,
        )  # fmt: skip

    def _enter(self, cmd: NewOrder, origin: int) -> LiveOrder:
        order = LiveOrder(
            origin, cmd.account, cmd.symbol, int(cmd.side), int(cmd.order_type), int(cmd.tif),
            bool(cmd.post_only), cmd.client_order_id, "", cmd.qty, cmd.price, cmd.qty, 0, 0,
            cmd.seq_no,
        )  # fmt: skip
        self.orders[cmd.seq_no] = order
        self.by_token[(origin, cmd.client_order_id)] = cmd.seq_no
        return order

    def _rejected(self, cmd: Command, origin: int, event: Rejected, sub: int) -> list[Owed]:
        if not origin:
            return []
        if isinstance(cmd, NewOrder):
            refused = LiveOrder(
                origin, cmd.account, cmd.symbol, int(cmd.side), int(cmd.order_type),
                int(cmd.tif), bool(cmd.post_only), cmd.client_order_id, "", cmd.qty, cmd.price,
                0, 0, 0, cmd.seq_no,
            )  # fmt: skip
            reason = int(event.reason)
            report = self._report(
                ReportKind.REJECTED, refused, 0, cmd.seq_no, sub, cmd.ts, reason=reason
            )
            return [(origin, report)]
        if isinstance(cmd, CancelOrder | ReplaceOrder):
            order = self.orders.get(cmd.order_id)
            if order is None:  # unknown here: not a live order of a configured session
                # when the request was decided (refused on entry while the request was in
                # flight, ended since, or never this session's): the request's own
                # OrigClOrdID names it (FIX; "" from the other protocols)
                order = LiveOrder(origin, cmd.account, "", 0, 0, 0, False, "", "", 0, 0, 0, 0, 0, 0)
                order.orig_client_order_id = cmd.orig_client_order_id
            else:
                order = replace(order)  # the report's view; the order itself is unchanged
                order.orig_client_order_id = order.client_order_id
            order.client_order_id = _clid(cmd)
            kind = (
                ReportKind.CANCEL_REJECTED
                if isinstance(cmd, CancelOrder)
                else ReportKind.REPLACE_REJECTED
            )
            reason = int(event.reason)
            report = self._report(kind, order, cmd.order_id, cmd.seq_no, sub, cmd.ts, reason=reason)
            return [(origin, report)]
        return []

    @staticmethod
    def _report(
        kind: ReportKind, o: LiveOrder, order_id: int, seq_no: int, sub: int, ts: int,
        last_qty: int = 0, last_price: int = 0, exec_id: int = 0, liquidity: int = 0,
        *, reason: int = 0, priority_kept: bool = False,
    ) -> OrderReport:  # fmt: skip
        return OrderReport(
            kind, seq_no, sub, ts, order_id, o.account, o.symbol, o.side, o.order_type, o.tif,
            o.post_only, o.client_order_id, o.orig_client_order_id, o.qty, o.price, o.leaves,
            o.cum_qty, o.cum_cost, last_qty, last_price, exec_id, liquidity, reason,
            priority_kept, o.entered_seq,
        )  # fmt: skip

    # -- state ------------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """The live-order table as canonical JSON (sorted by order id)."""
        rows = [[oid, *asdict(self.orders[oid]).values()] for oid in sorted(self.orders)]
        return json.dumps(rows, separators=(",", ":")).encode()

    @classmethod
    def restore(cls, data: bytes) -> OutboundProjection:
        return cls.from_rows(json.loads(data))

    @classmethod
    def from_rows(cls, rows: list[list[Any]]) -> OutboundProjection:
        """The projection of :meth:`snapshot`'s rows, already parsed."""
        projection = cls()
        for oid, *fields in rows:
            order = projection.orders[oid] = LiveOrder(*fields)
            projection.by_token[(order.origin, order.client_order_id)] = oid
        return projection
