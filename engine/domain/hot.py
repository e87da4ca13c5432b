"""The enum members and helpers the hot paths bind as module globals, in one place.

The matcher (`engine.domain.matcher`) and the two fused fast paths (`engine.domain.serial`
for W = 1, `engine.domain.windowed` for W > 1) test enum fields by identity (an IntEnum ``==``
takes CPython's generic compare) and build events with ``tuple.__new__`` (a NamedTuple's own
constructor is a Python function). Each imports these names, so a member is one global lookup,
not a global plus an attribute lookup; keeping them here keeps the three tables from drifting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from engine.domain.types import (
    CancelReason,
    Event,
    ExpireReason,
    Liquidity,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

BUY: Final = Side.BUY
SELL: Final = Side.SELL
LIMIT: Final = OrderType.LIMIT
MARKET: Final = OrderType.MARKET
DAY: Final = TimeInForce.DAY
GTC: Final = TimeInForce.GTC
IOC: Final = TimeInForce.IOC
FOK: Final = TimeInForce.FOK
MAKER: Final = Liquidity.MAKER
TAKER: Final = Liquidity.TAKER
CANCEL_RESTING: Final = SelfTradePrevention.CANCEL_RESTING
CANCEL_INCOMING: Final = SelfTradePrevention.CANCEL_INCOMING
SELF_TRADE: Final = CancelReason.SELF_TRADE
USER_CANCEL: Final = CancelReason.USER
REPLACED_AWAY: Final = CancelReason.REPLACED_AWAY
EXPIRED_IOC: Final = ExpireReason.IOC
EXPIRED_FOK: Final = ExpireReason.FOK
EXPIRED_MARKET: Final = ExpireReason.MARKET
EXPIRED_EOD: Final = ExpireReason.END_OF_DAY

#: ``new_tuple(EventClass, (fields...))`` builds a NamedTuple without its Python constructor.
new_tuple: Final = tuple.__new__

#: A command handler: command -> its events.
Handler = Callable[[Any], list[Event]]
