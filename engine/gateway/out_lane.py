"""The out side's fast lane for the projection: ``OutboundProjection.apply`` in one loop.

:func:`project_into` is :meth:`engine.gateway.outbound.OutboundProjection.apply` for the
gateway's hot path, on the same projection state (its ``orders`` and ``by_token`` tables):
the same reports, to the same sessions, in the same order, and the same live orders after.
It differs only in how it gets there, which is what the out side spent its time on:

* one chain of ``isinstance`` tests with the two common kinds (``Fill``, ``Accepted``)
  first, instead of a ``match`` of class patterns in the order of the event types;
* each report built with one positional call, not through ``_report``'s keywords: compiled,
  ``new_report``'s C call, and the live order's fields read with C loads
  (``engine.gateway.report_types``, an extension type);
* the reports go straight into the per-session lists the ledger appends to its stores,
  without an ``(origin, report)`` tuple each.

Cancel and replace refusals and session notes (rare) take the reference's own
code. The projection stays the
reference model: ``tests/engine/test_out_lane.py`` holds the two to the same reports and the
same snapshot on random command and event streams. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.domain.types import (
    Accepted,
    Cancelled,
    CancelOrder,
    Command,
    Event,
    Expired,
    Fill,
    NewOrder,
    Rejected,
    Replaced,
    ReplaceOrder,
    SessionNoted,
)
from engine.gateway.outbound import OutboundProjection, ReportKind

if cython.compiled:
    from cython.cimports.engine.gateway.report_types import (
        LiveOrder,
        OrderReport,
        new_live_order,
        new_report,
    )
else:
    from engine.gateway.report_types import LiveOrder, OrderReport, new_live_order, new_report

_NEW = ReportKind.NEW
_TRADE = ReportKind.TRADE
_CANCELED = ReportKind.CANCELED
_EXPIRED = ReportKind.EXPIRED
_REPLACED = ReportKind.REPLACED


@cython.cfunc
def _add(by_origin: dict[int, list[OrderReport]], target: Any, report: OrderReport) -> None:
    group = by_origin.get(target)
    if group is None:
        by_origin[target] = [report]
    else:
        group.append(report)


def project_into(
    projection: OutboundProjection,
    cmd: Command,
    origin: int,
    events: list[tuple[int, Event]],
    by_origin: dict[int, list[OrderReport]],
) -> None:
    """``projection.apply(cmd, origin, events)``, each report appended to
    ``by_origin[target]`` in the order ``apply`` returns them."""
    orders = projection.orders
    by_token = projection.by_token
    ts = cmd.ts
    seq_no = cmd.seq_no
    order: LiveOrder
    found: LiveOrder | None
    for sub, event in events:
        # isinstance on the exact class is a pointer compare; the common kinds come first
        if isinstance(event, Fill):
            found = orders.get(event.order_id)
            if found is None:
                continue
            order = found
            fill_qty = event.fill_qty
            order.cum_qty += fill_qty
            order.cum_cost += fill_qty * event.fill_price
            leaves = order.leaves = event.leaves_qty
            report = new_report(
                _TRADE, seq_no, sub, event.ts, event.order_id, order.account, order.symbol,
                order.side, order.order_type, order.tif, order.post_only, order.client_order_id,
                order.orig_client_order_id, order.qty, order.price, leaves, order.cum_qty,
                order.cum_cost, fill_qty, event.fill_price, event.exec_id, int(event.liquidity),
                0, False, order.entered_seq,
            )  # fmt: skip
            _add(by_origin, order.origin, report)
            if leaves == 0:
                _forget(projection, event.order_id)
        elif isinstance(event, Accepted):
            if origin and isinstance(cmd, NewOrder):
                clid = cmd.client_order_id
                side, otype, tif = int(cmd.side), int(cmd.order_type), int(cmd.tif)
                post_only = bool(cmd.post_only)
                order = new_live_order(
                    origin, cmd.account, cmd.symbol, side, otype, tif, post_only, clid, "",
                    cmd.qty, cmd.price, cmd.qty, 0, 0, seq_no,
                )  # fmt: skip
                orders[seq_no] = order
                by_token[(origin, clid)] = seq_no
                report = new_report(
                    _NEW, seq_no, sub, ts, event.order_id, cmd.account, cmd.symbol, side, otype,
                    tif, post_only, clid, "", cmd.qty, cmd.price, cmd.qty, 0, 0, 0, 0, 0, 0, 0,
                    False, seq_no,
                )  # fmt: skip
                _add(by_origin, origin, report)
        elif isinstance(event, (Cancelled, Expired)):
            found = _forget(projection, event.order_id)
            if found is None:
                continue
            order = found
            kind = _CANCELED if isinstance(event, Cancelled) else _EXPIRED
            if kind is _CANCELED and isinstance(cmd, (CancelOrder, ReplaceOrder)):
                order.orig_client_order_id = order.client_order_id
                clid = getattr(cmd, "client_order_id", "")
                if isinstance(clid, str) and clid:
                    order.client_order_id = clid
            order.leaves = 0
            report = new_report(
                kind, seq_no, sub, ts, event.order_id, order.account, order.symbol, order.side,
                order.order_type, order.tif, order.post_only, order.client_order_id,
                order.orig_client_order_id, order.qty, order.price, 0, order.cum_qty,
                order.cum_cost, event.remaining_qty, 0, 0, 0, int(event.reason), False,
                order.entered_seq,
            )  # fmt: skip
            _add(by_origin, order.origin, report)
        elif isinstance(event, (Rejected, Replaced, SessionNoted)):
            # rare: the reference's own code, one event at a time
            for target, owed in projection.apply(cmd, origin, [(sub, event)]):
                _add(by_origin, target, owed)


@cython.cfunc
def _forget(projection: OutboundProjection, order_id: Any) -> LiveOrder | None:
    order: LiveOrder | None = projection.orders.pop(order_id, None)
    if order is not None:
        key = (order.origin, order.client_order_id)
        by_token = projection.by_token
        if by_token.get(key) == order_id:
            del by_token[key]
    return order
