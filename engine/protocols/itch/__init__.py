"""Nasdaq TotalView-ITCH 5.0 market data messages, sans-IO: exact 5.0 byte layouts.

ITCH messages travel in MoldUDP64 packets (:mod:`engine.protocols.moldudp64`) on the live
feed, and may travel in SoupBinTCP Sequenced Data on a snapshot (GLIMPSE-style) connection.
Both transports frame them; this package only knows one message at a time.

* :mod:`~engine.protocols.itch.fields` - header, field types, price scale, value sets, faults;
* :mod:`~engine.protocols.itch.admin` - System Event, Stock Directory, Stock Trading Action;
* :mod:`~engine.protocols.itch.orders` - Add Order (A, F), Order Executed (E, C), Order
  Cancel, Order Delete, Order Replace, Trade;
* :mod:`~engine.protocols.itch.codec` - ``decode_message``: bytes to a message or a fault.

What sequex sends, and from which engine events, is :mod:`engine.marketdata.itch_projection`.
"""

from engine.protocols.itch.admin import StockDirectory, StockTradingAction, SystemEvent
from engine.protocols.itch.codec import MESSAGE_CLASSES, ItchMessage, decode_message
from engine.protocols.itch.fields import (
    MAX_PRICE,
    MAX_TIMESTAMP,
    NS_PER_DAY,
    MessageFault,
    ns_since_midnight,
)
from engine.protocols.itch.orders import (
    AddOrder,
    AddOrderAttributed,
    OrderCancel,
    OrderDelete,
    OrderExecuted,
    OrderExecutedWithPrice,
    OrderReplace,
    Trade,
)

__all__ = [
    "MAX_PRICE",
    "MAX_TIMESTAMP",
    "MESSAGE_CLASSES",
    "NS_PER_DAY",
    "AddOrder",
    "AddOrderAttributed",
    "ItchMessage",
    "MessageFault",
    "OrderCancel",
    "OrderDelete",
    "OrderExecuted",
    "OrderExecutedWithPrice",
    "OrderReplace",
    "StockDirectory",
    "StockTradingAction",
    "SystemEvent",
    "Trade",
    "decode_message",
    "ns_since_midnight",
]
