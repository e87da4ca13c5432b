"""``order_status``: what a firm can ask the JSON gateway about one of its orders (pure).

    {"type":"order_status","order_id":1042}
    -> {"type":"order_status","line":7,"order_id":1042,"state":"live","symbol":"ACME",
        "side":"buy","qty":100,"price":1000000,"leaves_qty":70,"cum_qty":30,
        "avg_price":"1000000","client_order_id":"c1"}
    -> {"type":"order_status","line":7,"order_id":1042,"state":"not_live"}

The answer comes from the gateway's table of live orders (``engine.gateway.outbound``), which
follows the journal's events: an order that has ended (filled, cancelled, expired) is
``not_live``, and so is an order of another firm, in the same words, so the answer never says
whether another firm's order exists. A firm that reconnects learns from it what its resting
orders have traded while it was away (``cum_qty``, ``avg_price``: cumulative cost over
cumulative qty in price units, as an exact decimal string). ``order_id`` must be a
non-negative integer, else ``bad_command``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from engine.domain.types import Side
from engine.gateway.accounts import AccountRegistry
from engine.gateway.outbound import OutboundProjection

QUERY_TYPE: Final = "order_status"


def average_price(cum_cost: int, cum_qty: int) -> str:
    """cum_cost / cum_qty as an exact decimal string (up to 8 decimals, then rounded)."""
    if cum_qty == 0:
        return "0"
    value = (Decimal(cum_cost) / Decimal(cum_qty)).quantize(Decimal("0.00000001"))
    text = format(value.normalize(), "f")
    return text


def answer(
    obj: dict[str, Any],
    line: int,
    firm: str,
    projection: OutboundProjection,
    accounts: AccountRegistry,
) -> dict[str, Any] | tuple[str, str]:
    """The answer object for ``obj`` from ``firm``, or (code, text) of a refusal."""
    extra = sorted(k for k in obj if k not in ("type", "order_id"))
    if extra:
        return "bad_command", f"{extra[0]}: unknown field for {QUERY_TYPE}"
    order_id = obj.get("order_id")
    if type(order_id) is not int or order_id < 0:
        return "bad_command", "order_id: expected a non-negative integer"
    out: dict[str, Any] = {"type": QUERY_TYPE, "line": line, "order_id": order_id}
    order = projection.orders.get(order_id)
    if order is None or not accounts.owns(firm, order.account):
        out["state"] = "not_live"
        return out
    out.update(
        state="live",
        symbol=order.symbol,
        side=Side(order.side).name.lower(),
        qty=order.qty,
        price=order.price,
        leaves_qty=order.leaves,
        cum_qty=order.cum_qty,
        avg_price=average_price(order.cum_cost, order.cum_qty),
        client_order_id=order.client_order_id,
    )
    return out
