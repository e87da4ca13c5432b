"""Any ITCH 5.0 message this package knows, from bytes: one table, one function, no raising.

:func:`decode_message` reads one whole message (a MoldUDP64 message block's payload, a
SoupBinTCP Sequenced Data payload) and answers the message or a :class:`MessageFault` with its
offset. A message type the spec has and sequex does not send (the NOII, Reg SHO, MWCB,
cross trade, broken trade, RPII... messages) is an ``unknown_type`` fault: the bytes are not
misread, the caller decides to skip them. Every message object's ``encode()`` is its inverse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, TypeAlias

from engine.protocols.itch.admin import StockDirectory, StockTradingAction, SystemEvent
from engine.protocols.itch.fields import MessageDecodeError, MessageFault
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

__all__ = ["DECODERS", "MESSAGE_CLASSES", "ItchMessage", "decode_message"]

ItchMessage: TypeAlias = (
    SystemEvent
    | StockDirectory
    | StockTradingAction
    | AddOrder
    | AddOrderAttributed
    | OrderExecuted
    | OrderExecutedWithPrice
    | OrderCancel
    | OrderDelete
    | OrderReplace
    | Trade
)

MESSAGE_CLASSES: Final = (
    SystemEvent,
    StockDirectory,
    StockTradingAction,
    AddOrder,
    AddOrderAttributed,
    OrderExecuted,
    OrderExecutedWithPrice,
    OrderCancel,
    OrderDelete,
    OrderReplace,
    Trade,
)

#: message type byte -> decoder
DECODERS: Final[Mapping[int, Callable[[bytes], ItchMessage]]] = {
    cls.TYPE[0]: cls.decode for cls in MESSAGE_CLASSES
}


def decode_message(payload: bytes) -> ItchMessage | MessageFault:
    """The message ``payload`` holds, or a MessageFault saying where and why not."""
    if not payload:
        return MessageFault("empty_message", 0, "an empty payload holds no message")
    decoder = DECODERS.get(payload[0])
    if decoder is None:
        return MessageFault("unknown_type", 0, f"unknown message type {chr(payload[0])!r}")
    try:
        return decoder(bytes(payload))
    except MessageDecodeError as exc:
        return MessageFault(exc.code, exc.offset, exc.text)
