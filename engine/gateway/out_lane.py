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

#: the fields project_into reads by position: (class, field, position)
POSITIONS: tuple[tuple[type, str, int], ...] = (
    (Fill, "order_id", 0),
    (Fill, "fill_qty", 4),
    (Fill, "fill_price", 5),
    (Fill, "leaves_qty", 6),
    (Fill, "ts", 7),
    (Fill, "liquidity", 8),
    (Fill, "exec_id", 9),
    (Accepted, "order_id", 0),
    (Cancelled, "order_id", 0),
    (Cancelled, "remaining_qty", 2),
    (Cancelled, "reason", 3),
    (Expired, "order_id", 0),
    (Fill, "account", 1),
    (Expired, "account", 1),
    (Cancelled, "account", 1),
    (Replaced, "account", 1),
    (Expired, "remaining_qty", 2),
    (Expired, "reason", 3),
    (NewOrder, "account", 3),
    (NewOrder, "symbol", 4),
    (NewOrder, "side", 5),
    (NewOrder, "order_type", 6),
    (NewOrder, "tif", 7),
    (NewOrder, "qty", 8),
    (NewOrder, "price", 9),
    (NewOrder, "client_order_id", 10),
    (NewOrder, "post_only", 11),
)

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
    if isinstance(cmd, tuple):  # every command is a NamedTuple, seq_no and ts its first two
        # (a test holds every Command class to that)
        head = cython.cast(tuple, cmd)
        seq_no = head[0]
        ts = head[1]
    else:
        ts = cmd.ts
        seq_no = cmd.seq_no
    order: LiveOrder
    found: LiveOrder | None
    # The events and a NewOrder are NamedTuples: their items are read by position (a C
    # load each, compiled) rather than by name (a descriptor call each). The positions are
    # the classes' fields (``POSITIONS``, which a test holds to their ``_fields``).
    ev: tuple[Any, ...]
    new: tuple[Any, ...]
    for sub, event in events:
        ev = cython.cast(tuple, event)
        # isinstance on the exact class is a pointer compare; the common kinds come first
        if isinstance(event, Fill):
            order_id = ev[0]
            found = orders.get(order_id)
            if found is None:
                continue
            order = found
            fill_qty = ev[4]
            fill_price = ev[5]
            order.cum_qty += fill_qty
            order.cum_cost += fill_qty * fill_price
            leaves = order.leaves = ev[6]
            report = new_report(
                _TRADE, seq_no, sub, ev[7], order_id, order.account, order.symbol,
                order.side, order.order_type, order.tif, order.post_only, order.client_order_id,
                order.orig_client_order_id, order.qty, order.price, leaves, order.cum_qty,
                order.cum_cost, fill_qty, fill_price, ev[9], int(ev[8]), 0, False,
                order.entered_seq,
            )  # fmt: skip
            _add(by_origin, order.origin, report)
            if leaves == 0:
                _forget(projection, order_id)
        elif isinstance(event, Accepted):
            if origin and isinstance(cmd, NewOrder):
                new = cython.cast(tuple, cmd)
                account, symbol, clid, qty, price = new[3], new[4], new[10], new[8], new[9]
                side, otype, tif = int(new[5]), int(new[6]), int(new[7])
                post_only = bool(new[11])
                order = new_live_order(
                    origin, account, symbol, side, otype, tif, post_only, clid, "", qty, price,
                    qty, 0, 0, seq_no,
                )  # fmt: skip
                orders[seq_no] = order
                by_token[(origin, clid)] = seq_no
                report = new_report(
                    _NEW, seq_no, sub, ts, ev[0], account, symbol, side, otype, tif, post_only,
                    clid, "", qty, price, qty, 0, 0, 0, 0, 0, 0, 0, False, seq_no,
                )  # fmt: skip
                _add(by_origin, origin, report)
        elif isinstance(event, (Cancelled, Expired)):
            order_id = ev[0]
            found = _forget(projection, order_id)
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
                kind, seq_no, sub, ts, order_id, order.account, order.symbol, order.side,
                order.order_type, order.tif, order.post_only, order.client_order_id,
                order.orig_client_order_id, order.qty, order.price, 0, order.cum_qty,
                order.cum_cost, ev[2], 0, 0, 0, int(ev[3]), False, order.entered_seq,
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
