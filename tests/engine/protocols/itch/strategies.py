"""Hypothesis strategies for every ITCH 5.0 message sequex encodes (any valid field value)."""

from __future__ import annotations

from hypothesis import strategies as st

from engine.protocols.itch import (
    MAX_TIMESTAMP,
    AddOrder,
    AddOrderAttributed,
    ItchMessage,
    OrderCancel,
    OrderDelete,
    OrderExecuted,
    OrderExecutedWithPrice,
    OrderReplace,
    StockDirectory,
    StockTradingAction,
    SystemEvent,
    Trade,
)
from engine.protocols.itch.fields import (
    AUTHENTICITY,
    ETP_FLAGS,
    EVENT_CODES,
    INVERSE_INDICATORS,
    IPO_FLAGS,
    LULD_TIERS,
    PRINTABLE,
    ROUND_LOTS_ONLY,
    SHORT_SALE_THRESHOLD,
    SIDES,
    TRADING_STATES,
)

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
u64 = st.integers(0, 0xFFFF_FFFF_FFFF_FFFF)
ts = st.integers(0, MAX_TIMESTAMP)
char = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


def alpha(width: int) -> st.SearchStrategy[str]:
    """Printable ASCII of at most ``width`` chars with no trailing space (the padding)."""
    return st.text(char, max_size=width).map(lambda s: s.rstrip(" "))


def one(values: frozenset[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(values))


header = (u16, u16, ts)
stock = alpha(8)

messages: dict[type, st.SearchStrategy[ItchMessage]] = {
    SystemEvent: st.builds(SystemEvent, *header, one(EVENT_CODES)),
    StockDirectory: st.builds(
        StockDirectory, *header, stock, char, char, u32, one(ROUND_LOTS_ONLY), char, alpha(2),
        one(AUTHENTICITY), one(SHORT_SALE_THRESHOLD), one(IPO_FLAGS), one(LULD_TIERS),
        one(ETP_FLAGS), u32, one(INVERSE_INDICATORS),
    ),
    StockTradingAction: st.builds(
        StockTradingAction, *header, stock, one(TRADING_STATES), char, alpha(4)
    ),
    AddOrder: st.builds(AddOrder, *header, u64, one(SIDES), u32, stock, u32),
    AddOrderAttributed: st.builds(
        AddOrderAttributed, *header, u64, one(SIDES), u32, stock, u32, alpha(4)
    ),
    OrderExecuted: st.builds(OrderExecuted, *header, u64, u32, u64),
    OrderExecutedWithPrice: st.builds(
        OrderExecutedWithPrice, *header, u64, u32, u64, one(PRINTABLE), u32
    ),
    OrderCancel: st.builds(OrderCancel, *header, u64, u32),
    OrderDelete: st.builds(OrderDelete, *header, u64),
    OrderReplace: st.builds(OrderReplace, *header, u64, u64, u32, u32),
    Trade: st.builds(Trade, *header, u64, one(SIDES), u32, stock, u32, u64),
}  # fmt: skip

any_message = st.one_of(*messages.values())
