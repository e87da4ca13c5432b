"""OUCH 4.2 reason codes, and how the engine's outcomes map onto them (pure functions).

The gateway turns the engine's execution reports into OUCH messages; these tables say which
letter each engine reason becomes. Every function is total: a reason added to the engine later
maps to 'O' (Other) for rejects rather than failing at the gateway.

Rejected reasons (the Rejected message, answering Enter Order or Replace Order)::

    T  test mode                         H  halted
    Z  shares exceed the safety limit    S  invalid stock
    D  invalid display type              C  exchange closed
    L  firm not authorized               M  outside permitted times
    R  not allowed in this cross         X  invalid price
    N  invalid minimum quantity          O  other
    W  invalid mid-point post-only price
    a..n (later 4.2 revisions): reject-all enabled, easy-to-borrow, restricted symbol, ISO,
    odd lot, mid-point, pre-market, post-market, short sale, on-open, on-close, two-sided quote,
    shares limit, dollar value limit

Engine RejectReason -> OUCH (:func:`reject_reason`)::

    UNKNOWN_SYMBOL -> S      SYMBOL_HALTED -> H        QTY_ABOVE_LIMIT -> Z
    PRICE_OFF_TICK -> X      PRICE_OUTSIDE_BAND -> X   INVALID_PRICE -> X
    NOTIONAL_ABOVE_LIMIT -> n (dollar value limit)     POST_ONLY_WOULD_TAKE -> D
    anything else (lot size, cash, shares, open orders, unknown order, ...) -> O

POST_ONLY_WOULD_TAKE becomes D because OUCH's own post-only display is what could not be
honoured ("display type cannot be accepted in current circumstances"); Nasdaq would re-price
such an order, the engine rejects it.

Canceled reasons (the Canceled message)::

    U  user requested (Cancel Order, or a Replace Order)   I  immediate or cancel
    T  timeout (time in force expired)                     S  supervisory
    D  regulatory restriction                              Q  self-match prevention
    Z  system cancel                                       C  cross cancel
    K  market collars                                      H  halted
    X  open protection                                     E  closed

Engine CancelReason / ExpireReason -> OUCH (:func:`cancel_reason`, :func:`expire_reason`)::

    Cancelled USER -> U       SELF_TRADE -> Q          REPLACED_AWAY -> U
    Expired   IOC -> I        FOK -> I (FOK is IOC with a minimum quantity here)
              MARKET -> I     (a market order's remainder is cancelled immediately)
              END_OF_DAY -> T (a DAY order's time in force ran out)

Liquidity flag on Executed (:func:`liquidity_flag`): MAKER -> A (added), TAKER -> R (removed).
"""

from __future__ import annotations

from typing import Final

from engine.domain.types import CancelReason, ExpireReason, Liquidity, RejectReason

__all__ = [
    "CANCEL_REASONS",
    "REJECT_REASONS",
    "cancel_reason",
    "expire_reason",
    "liquidity_flag",
    "reject_reason",
]

#: OUCH 4.2 Rejected reason code -> meaning.
REJECT_REASONS: Final[dict[str, str]] = {
    "T": "test mode",
    "H": "halted",
    "Z": "shares exceed the configured safety threshold",
    "S": "invalid stock",
    "D": "invalid display type",
    "C": "exchange closed",
    "L": "requested firm not authorized for the requested clearing type on this account",
    "M": "outside of permitted times for the requested clearing type",
    "R": "this order is not allowed in this type of cross",
    "X": "invalid price",
    "N": "invalid minimum quantity",
    "O": "other",
    "W": "invalid mid-point post-only price",
    "a": "reject all enabled",
    "b": "easy to borrow reject",
    "c": "restricted symbol list reject",
    "d": "ISO order restriction",
    "e": "odd lot order restriction",
    "f": "mid-point order restriction",
    "g": "pre-market order restriction",
    "h": "post-market order restriction",
    "i": "short sale order restriction",
    "j": "on open order restriction",
    "k": "on close order restriction",
    "l": "two sided quote reject",
    "m": "exceeded shares limit",
    "n": "exceeded dollar value limit",
}

#: OUCH 4.2 Canceled reason code -> meaning.
CANCEL_REASONS: Final[dict[str, str]] = {
    "U": "user requested cancel",
    "I": "immediate or cancel order",
    "T": "timeout: the time in force expired",
    "S": "supervisory",
    "D": "regulatory restriction",
    "Q": "self-match prevention",
    "Z": "system cancel",
    "C": "cross cancel",
    "K": "market collars",
    "H": "halted",
    "X": "open protection",
    "E": "closed",
}

_R = RejectReason
_REJECT: Final[dict[RejectReason, str]] = {
    _R.UNKNOWN_SYMBOL: "S",
    _R.SYMBOL_HALTED: "H",
    _R.QTY_ABOVE_LIMIT: "Z",
    _R.PRICE_OFF_TICK: "X",
    _R.PRICE_OUTSIDE_BAND: "X",
    _R.INVALID_PRICE: "X",
    _R.NOTIONAL_ABOVE_LIMIT: "n",
    _R.POST_ONLY_WOULD_TAKE: "D",
}

_CANCEL: Final[dict[CancelReason, str]] = {
    CancelReason.USER: "U",
    CancelReason.SELF_TRADE: "Q",
    CancelReason.REPLACED_AWAY: "U",
}

_EXPIRE: Final[dict[ExpireReason, str]] = {
    ExpireReason.IOC: "I",
    ExpireReason.FOK: "I",
    ExpireReason.MARKET: "I",
    ExpireReason.END_OF_DAY: "T",
}


def reject_reason(reason: RejectReason) -> str:
    """The OUCH Rejected reason for an engine reject; 'O' (Other) when none fits better."""
    return _REJECT.get(reason, "O")


def cancel_reason(reason: CancelReason) -> str:
    """The OUCH Canceled reason for an engine Cancelled event; 'Z' (system) for one added to
    the engine later, since the user did not ask for it."""
    return _CANCEL.get(reason, "Z")


def expire_reason(reason: ExpireReason) -> str:
    """The OUCH Canceled reason for an engine Expired event."""
    return _EXPIRE.get(reason, "Z")


def liquidity_flag(liquidity: Liquidity) -> str:
    return "A" if liquidity is Liquidity.MAKER else "R"
