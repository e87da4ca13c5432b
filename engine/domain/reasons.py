"""Building Rejected events: one fixed, human-readable text per reason (the text is output, so
it must be a pure function of the reason)."""

from __future__ import annotations

from engine.domain.types import Rejected, RejectReason

R = RejectReason

TEXT: dict[int, str] = {
    R.UNKNOWN_SYMBOL: "unknown symbol",
    R.SYMBOL_HALTED: "symbol halted",
    R.INVALID_QTY: "qty is not a positive multiple of the lot size",
    R.QTY_ABOVE_LIMIT: "qty above the account's max order qty",
    R.PRICE_OFF_TICK: "price is not a multiple of the tick size",
    R.PRICE_OUTSIDE_BAND: "price outside the protection band",
    R.NOTIONAL_ABOVE_LIMIT: "notional above the account's max notional",
    R.TOO_MANY_OPEN_ORDERS: "too many open orders",
    R.INSUFFICIENT_CASH: "insufficient free cash",
    R.INSUFFICIENT_SHARES: "insufficient free shares",
    R.UNKNOWN_ORDER: "no live order with that id",
    R.NOT_ORDER_OWNER: "the order belongs to another account",
    R.POST_ONLY_WOULD_TAKE: "post-only order would take liquidity",
    R.INVALID_PRICE: "invalid price for the order type",
    R.INVALID_ORDER: "order type, time in force and flags do not combine",
    R.DUPLICATE_SYMBOL: "symbol already exists",
    R.INVALID_SYMBOL_SPEC: "tick, lot, reference price and band must be positive",
    R.INVALID_AMOUNT: "amount must be positive",
    R.INVALID_LIMITS: "risk limits must not be negative",
    R.UNKNOWN_ASSET: "asset is neither cash nor a symbol",
    R.AMOUNT_TOO_LARGE: "the asset's total supply would exceed 2**63 - 1",
    R.NOT_FIRMS_ACCOUNT: "the account is not one of the firm's accounts",
    R.UNKNOWN_ACCOUNT: "no account with that name has been opened",
    R.DUPLICATE_ACCOUNT: "an account with that name exists",
    R.UNSUPPORTED_COMMAND: "the journal's rules version does not have this command",
    R.INVALID_SETTLEMENT: "invalid trade or settlement date",
    R.ALREADY_SETTLED: "the symbol's trades of that date are settled already",
    R.UNSETTLED: "the amount includes cash or shares not settled yet",
}


def reject(seq_no: int, account: str, client_order_id: str, order_id: int, reason: R) -> Rejected:
    return Rejected(seq_no, account, client_order_id, order_id, reason, TEXT[reason])
