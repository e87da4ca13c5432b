"""What an OUCH 4.2 order means in the engine's terms, and back (pure functions).

The protocol only translates: every business rule (lot size, tick, band, a market DAY order,
post-only on a market order, shares of 0, a limit price of 0, the account's limits) stays with
the engine's one validation, which answers with a RejectReason (:mod:`.codes` maps it). What
these functions refuse is only what the engine cannot express at all.

Time in Force (a number of seconds in OUCH; three reserved values)::

    OUCH TIF                         engine                  back to OUCH (tif_field)
    0      immediate or cancel       IOC  (FOK, see below)   IOC -> 0, FOK -> 0
    99998  market hours              DAY                     DAY -> 99998
    99999  system hours              GTC                     GTC -> 99999
    1..99997 seconds, or > 99999     refused 'O': timed orders are not offered

Why 99999 is GTC: the engine trades one continuous session, so "market hours" and "system
hours" cannot both mean "today". Market hours is the ordinary day order; system hours is the
longest life OUCH can ask for, and the longest the engine offers is good-till-cancelled (it
survives EndOfDay).

Fill or kill: OUCH 4.2 has no FOK. An IOC order (TIF 0) whose Minimum Quantity equals its
Shares must trade all of it at once or nothing - exactly the engine's FOK, so that is the
mapping. Any other non-zero Minimum Quantity (a partial minimum, or one on a resting order) is
refused 'N': the engine has no minimum-quantity orders. Accepted echoes Minimum Quantity back
(the gateway keeps what the client sent).

Post-only: OUCH 4.2 Display 'P' (Post-Only) and 'L' (Post-Only and Attributable) are real
display values; both set the engine's ``post_only`` flag. 'A' (attributable) and 'Y' (anonymous)
are plain displayed orders. Non-displayed and pegged types (N, I, M, W, O, T, Q, Z) are refused
'D'. One difference remains: Nasdaq re-prices a post-only order that would take; the engine
rejects it (POST_ONLY_WOULD_TAKE -> 'D').

Other fields: side B and S only (T, E short sales refused 'O'); cross type N only (refused 'R');
price 0x7FFFFFFF is a market order (engine price 0); capacity, intermarket sweep and customer
type are accepted and ignored (one market, no routing); firm is the gateway's to check against
the session's firm (blank = the session's own).

Sizes. OUCH and the engine count a replace differently. OUCH Replace Order Shares and Cancel
Order Shares are the order's new *open* size; the engine's ReplaceOrder qty is the new *total*
including what has traded. So the engine qty is ``filled + shares``. A replace to 0 open shares
ends the order in both (OUCH cancels on an invalid replace; the engine cancels REPLACED_AWAY).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from engine.domain.types import OrderType, Side, TimeInForce
from engine.protocols.ouch.fields import (
    MARKET_PRICE,
    TIF_IOC,
    TIF_MARKET_HOURS,
    TIF_SYSTEM_HOURS,
)
from engine.protocols.ouch.inbound import CancelOrder, EnterOrder, ReplaceOrder

__all__ = [
    "CancelAll",
    "NoChange",
    "OrderTerms",
    "ReduceTo",
    "Refused",
    "ReplaceTerms",
    "cancel_terms",
    "display_char",
    "enter_terms",
    "price_field",
    "replace_terms",
    "side_char",
    "tif_field",
]


# Not frozen: a frozen dataclass's __init__ costs ~10x on CPython 3.11, and this
# one is made for every order on the gateway's hot path. Treat it as immutable.
@dataclass(slots=True)
class OrderTerms:
    """An Enter Order in engine terms; the gateway adds firm, account, symbol, ids, seq, ts."""

    side: Side
    order_type: OrderType
    tif: TimeInForce
    qty: int
    #: price units (= OUCH price units); 0 for a market order
    price: int
    post_only: bool


@dataclass(frozen=True, slots=True)
class ReplaceTerms:
    """A Replace Order as the engine's ReplaceOrder: new total qty (filled included), price."""

    qty: int
    price: int


@dataclass(frozen=True, slots=True)
class Refused:
    """The message asks for something the engine does not offer; ``reason`` is the OUCH
    Rejected reason code to answer with."""

    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class CancelAll:
    """Cancel Order with Shares 0: the engine's CancelOrder."""


@dataclass(frozen=True, slots=True)
class ReduceTo:
    """A partial cancel: the engine's ReplaceOrder to ``qty`` total at the same price (a pure
    size decrease, which keeps time priority as OUCH's partial cancel does)."""

    qty: int


@dataclass(frozen=True, slots=True)
class NoChange:
    """A Cancel Order that asks for at least the open size: nothing to cancel (OUCH ignores
    it; a cancel never increases an order)."""


_TIF: Final = {TIF_MARKET_HOURS: TimeInForce.DAY, TIF_SYSTEM_HOURS: TimeInForce.GTC}
_TIF_FIELD: Final = {
    TimeInForce.IOC: TIF_IOC,
    TimeInForce.FOK: TIF_IOC,
    TimeInForce.DAY: TIF_MARKET_HOURS,
    TimeInForce.GTC: TIF_SYSTEM_HOURS,
}
_DISPLAYED: Final = frozenset("AY")
_POST_ONLY: Final = frozenset("PL")
_SIDES: Final = {"B": Side.BUY, "S": Side.SELL}


def _tif(time_in_force: int, shares: int, minimum: int) -> TimeInForce | Refused:
    if time_in_force == TIF_IOC:
        if minimum == 0:
            return TimeInForce.IOC
        if minimum == shares:
            return TimeInForce.FOK
        return Refused("N", "a minimum quantity must be 0 or all the shares (fill or kill)")
    tif = _TIF.get(time_in_force)
    if tif is None:
        return Refused("O", f"time in force {time_in_force}: timed orders are not offered")
    if minimum:
        return Refused("N", "a minimum quantity is only offered on IOC orders (fill or kill)")
    return tif


def _display(display: str) -> bool | Refused:
    if display in _POST_ONLY:
        return True
    if display in _DISPLAYED:
        return False
    return Refused("D", f"display {display!r} is not offered; use A, Y, P or L")


def enter_terms(msg: EnterOrder) -> OrderTerms | Refused:
    """An Enter Order as engine order terms, or why it cannot be one."""
    side = _SIDES.get(msg.side)
    if side is None:
        return Refused("O", "short sales (T, E) are not offered; sell owned shares with S")
    if msg.cross_type != "N":
        return Refused("R", "crosses are not offered: cross type must be N")
    post_only = _display(msg.display)
    if isinstance(post_only, Refused):
        return post_only
    tif = _tif(msg.time_in_force, msg.shares, msg.minimum_quantity)
    if isinstance(tif, Refused):
        return tif
    if msg.price == MARKET_PRICE:
        return OrderTerms(side, OrderType.MARKET, tif, msg.shares, 0, post_only)
    return OrderTerms(side, OrderType.LIMIT, tif, msg.shares, msg.price, post_only)


def replace_terms(
    msg: ReplaceOrder, original: OrderTerms, filled_qty: int
) -> ReplaceTerms | Refused:
    """A Replace Order of the order entered as ``original`` (of which ``filled_qty`` traded).

    The engine replaces qty and price only, so the replacement must keep the original's time
    in force and post-only flag, and must be a limit order.
    """
    if msg.price == MARKET_PRICE:
        return Refused("X", "a replacement must be a limit order")
    post_only = _display(msg.display)
    if isinstance(post_only, Refused):
        return post_only
    if post_only != original.post_only:
        return Refused("D", "a replace cannot change the post-only display")
    tif = _tif(msg.time_in_force, msg.shares, msg.minimum_quantity)
    if isinstance(tif, Refused):
        return tif
    if tif is not original.tif:
        return Refused("O", "a replace cannot change the time in force")
    return ReplaceTerms(filled_qty + msg.shares, msg.price)


def cancel_terms(
    msg: CancelOrder, *, filled_qty: int, open_qty: int
) -> CancelAll | ReduceTo | NoChange:
    """What a Cancel Order does to an order with ``filled_qty`` traded and ``open_qty`` open."""
    if msg.shares == 0:
        return CancelAll()
    if msg.shares >= open_qty:
        return NoChange()
    return ReduceTo(filled_qty + msg.shares)


# -- engine -> OUCH, for the fields echoed in Accepted and Replaced -------------------------


def tif_field(tif: TimeInForce) -> int:
    return _TIF_FIELD[tif]


def side_char(side: Side) -> str:
    return "B" if side is Side.BUY else "S"


def display_char(post_only: bool) -> str:
    """The display an order entered without one (e.g. over another gateway) is shown with."""
    return "P" if post_only else "Y"


def price_field(order_type: OrderType, price: int) -> int:
    return MARKET_PRICE if order_type is OrderType.MARKET else price
