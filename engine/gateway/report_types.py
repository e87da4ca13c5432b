"""The out side's two records: :class:`OrderReport` (one report owed to one session) and
:class:`LiveOrder` (a live order of a configured session, as its reports describe it).

``engine.gateway.outbound`` (the projection that makes them) documents what they mean; this
module only holds them, so that they can be compiled (``engine.native``): the gateway makes
one or two reports per order, and the compiled consumers of the out side (the projection's
fast lane ``engine.gateway.out_lane``, the store records ``engine.gateway.report_records``,
the OUCH frames ``engine.gateway.ouch_frames``) cimport them (``report_types.pxd``), so
that they build and read them with C field loads instead of an interpreted dataclass
``__init__`` and a generic ``getattr`` per field.

Both are dataclasses either way: compiled, Cython's (an extension type whose fields are
Python objects, with the same ``__init__``, ``__eq__``, ``__repr__`` and
``dataclasses.fields`` / ``replace`` / ``asdict``, pickled as the same fields); uncompiled,
the standard library's. The fields are declared ``object`` in the .pxd, not C integers: a
report takes whatever it is given, as before (``engine.gateway.report_records`` decides what
a store can hold). Uncompiled they have no ``__slots__`` (Cython's decorator does not take
the argument); nothing sets attributes a report does not declare.

:func:`new_report` and :func:`new_live_order` are the positional constructors, a C call from
compiled code (no argument tuple, no ``__init__``); uncompiled they call the class.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import cython


class ReportKind(IntEnum):
    NEW = 1
    REJECTED = 2  # a NewOrder refused (order_id 0)
    TRADE = 3
    CANCELED = 4
    REPLACED = 5
    EXPIRED = 6
    CANCEL_REJECTED = 7  # a CancelOrder refused
    #: a message the gateway refused before it could become a command (journaled as a
    #: REFUSED ``SessionNote``; ``reason`` is the protocol's own code, e.g. an OUCH reject
    #: letter's ord; ``client_order_id`` the refused message's token)
    LOCAL_REJECTED = 8
    REPLACE_REJECTED = 9  # a ReplaceOrder refused


# Not frozen: a frozen dataclass's __init__ costs ~10x on CPython 3.11 uncompiled, and this
# one is made for every order on the gateway's hot path. Treat it as immutable.
@cython.final
@cython.no_gc  # (its fields are numbers and strings: it is in no reference cycle)
@cython.freelist(64)
@cython.cclass
@cython.dataclasses.dataclass
class OrderReport:
    """One report owed to one session. ``reason`` is the RejectReason, CancelReason or
    ExpireReason code of the kind (0 otherwise); ``ts`` the command's (a fill's own ts);
    ``last_qty`` of a CANCELED or EXPIRED report the qty that left the order."""

    kind: ReportKind
    seq_no: int
    sub: int
    ts: int
    order_id: int
    account: str
    symbol: str
    side: int
    order_type: int
    tif: int
    post_only: bool
    client_order_id: str
    orig_client_order_id: str
    order_qty: int
    price: int
    leaves_qty: int
    cum_qty: int
    cum_cost: int
    last_qty: int = 0
    last_price: int = 0
    exec_id: int = 0
    liquidity: int = 0
    reason: int = 0
    priority_kept: bool = False
    #: the seq_no of the NewOrder that entered the order (its ack's seq_no)
    entered_seq: int = 0


@cython.final
@cython.no_gc  # (its fields are numbers and strings: it is in no reference cycle)
@cython.freelist(64)
@cython.cclass
@cython.dataclasses.dataclass
class LiveOrder:
    """A live order of a configured session, as its reports describe it."""

    origin: int
    account: str
    symbol: str
    side: int
    order_type: int
    tif: int
    post_only: bool
    client_order_id: str
    orig_client_order_id: str
    qty: int
    price: int
    leaves: int
    cum_qty: int
    cum_cost: int
    entered_seq: int


@cython.cfunc
def new_report(
    kind: Any, seq_no: Any, sub: Any, ts: Any, order_id: Any, account: Any, symbol: Any,
    side: Any, order_type: Any, tif: Any, post_only: Any, client_order_id: Any,
    orig_client_order_id: Any, order_qty: Any, price: Any, leaves_qty: Any, cum_qty: Any,
    cum_cost: Any, last_qty: Any, last_price: Any, exec_id: Any, liquidity: Any, reason: Any,
    priority_kept: Any, entered_seq: Any,
) -> OrderReport:  # fmt: skip
    """``OrderReport(...)`` with every field given, in order."""
    if not cython.compiled:
        return OrderReport(
            kind, seq_no, sub, ts, order_id, account, symbol, side, order_type, tif, post_only,
            client_order_id, orig_client_order_id, order_qty, price, leaves_qty, cum_qty,
            cum_cost, last_qty, last_price, exec_id, liquidity, reason, priority_kept,
            entered_seq,
        )  # fmt: skip
    r: OrderReport = OrderReport.__new__(OrderReport)
    r.kind = kind
    r.seq_no = seq_no
    r.sub = sub
    r.ts = ts
    r.order_id = order_id
    r.account = account
    r.symbol = symbol
    r.side = side
    r.order_type = order_type
    r.tif = tif
    r.post_only = post_only
    r.client_order_id = client_order_id
    r.orig_client_order_id = orig_client_order_id
    r.order_qty = order_qty
    r.price = price
    r.leaves_qty = leaves_qty
    r.cum_qty = cum_qty
    r.cum_cost = cum_cost
    r.last_qty = last_qty
    r.last_price = last_price
    r.exec_id = exec_id
    r.liquidity = liquidity
    r.reason = reason
    r.priority_kept = priority_kept
    r.entered_seq = entered_seq
    return r


@cython.cfunc
def new_live_order(
    origin: Any, account: Any, symbol: Any, side: Any, order_type: Any, tif: Any,
    post_only: Any, client_order_id: Any, orig_client_order_id: Any, qty: Any, price: Any,
    leaves: Any, cum_qty: Any, cum_cost: Any, entered_seq: Any,
) -> LiveOrder:  # fmt: skip
    """``LiveOrder(...)`` with every field given, in order."""
    if not cython.compiled:
        return LiveOrder(
            origin, account, symbol, side, order_type, tif, post_only, client_order_id,
            orig_client_order_id, qty, price, leaves, cum_qty, cum_cost, entered_seq,
        )  # fmt: skip
    o: LiveOrder = LiveOrder.__new__(LiveOrder)
    o.origin = origin
    o.account = account
    o.symbol = symbol
    o.side = side
    o.order_type = order_type
    o.tif = tif
    o.post_only = post_only
    o.client_order_id = client_order_id
    o.orig_client_order_id = orig_client_order_id
    o.qty = qty
    o.price = price
    o.leaves = leaves
    o.cum_qty = cum_qty
    o.cum_cost = cum_cost
    o.entered_seq = entered_seq
    return o
