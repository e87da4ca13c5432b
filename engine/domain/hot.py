"""The enum members the compiled domain puts into events, as module constants in one place.

The domain computes with plain integers (C integers when compiled) and converts back to the
enum members of `engine.domain.types` only where a value goes into an event: ``SIDES[side]``
and the other tuples index a member by its value, which is cheaper than calling the enum.
"""

from __future__ import annotations

from typing import Final

from engine.domain.types import (
    CancelReason,
    ExpireReason,
    Liquidity,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

BUY: Final = 1
SELL: Final = 2
LIMIT: Final = 1
MARKET: Final = 2
DAY: Final = 1
GTC: Final = 2
IOC: Final = 3
FOK: Final = 4
CANCEL_RESTING: Final = 1
CANCEL_INCOMING: Final = 2
CANCEL_BOTH: Final = 3

assert (Side.BUY, Side.SELL) == (BUY, SELL)
assert (OrderType.LIMIT, OrderType.MARKET) == (LIMIT, MARKET)
assert (TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK) == (DAY, GTC, IOC, FOK)
assert tuple(SelfTradePrevention) == (CANCEL_RESTING, CANCEL_INCOMING, CANCEL_BOTH)

#: Side member by value (index 0 unused).
SIDES: Final = (None, Side.BUY, Side.SELL)
MAKER: Final = Liquidity.MAKER
TAKER: Final = Liquidity.TAKER
SELF_TRADE: Final = CancelReason.SELF_TRADE
USER_CANCEL: Final = CancelReason.USER
REPLACED_AWAY: Final = CancelReason.REPLACED_AWAY
EXPIRED_IOC: Final = ExpireReason.IOC
EXPIRED_FOK: Final = ExpireReason.FOK
EXPIRED_MARKET: Final = ExpireReason.MARKET
EXPIRED_EOD: Final = ExpireReason.END_OF_DAY
