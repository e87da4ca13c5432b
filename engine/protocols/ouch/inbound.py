"""OUCH 4.2 inbound messages (client -> exchange, inside SoupBinTCP Unsequenced Data).

Byte layouts (offsets from the message type byte; Alpha fields right-padded with spaces)::

    'O' Enter Order                                                         49 bytes
        0   1   message type 'O'
        1   14  order token                 Token
        15  1   buy/sell indicator          B buy, S sell, T sell short, E short exempt
        16  4   shares                      Integer
        20  8   stock                       Alpha
        28  4   price                       Price (4 implied decimals; 0x7FFFFFFF = market)
        32  4   time in force               Integer seconds; 0 IOC, 99998 market hours,
                                            99999 system hours
        36  4   firm                        Alpha; blank = the account's default firm
        40  1   display                     see fields.DISPLAYS
        41  1   capacity                    A, P, R, O
        42  1   intermarket sweep eligibility   Y, N, y
        43  4   minimum quantity            Integer; 0 = none
        47  1   cross type                  see fields.CROSS_TYPES
        48  1   customer type               R, N, space

    'U' Replace Order                                                       47 bytes
        0   1   message type 'U'
        1   14  existing order token        Token
        15  14  replacement order token     Token
        29  4   shares                      Integer: the replacement's size (see terms)
        33  4   price                       Price
        37  4   time in force               Integer
        41  1   display
        42  1   intermarket sweep eligibility
        43  4   minimum quantity            Integer

    'X' Cancel Order                                                        19 bytes
        0   1   message type 'X'
        1   14  order token                 Token
        15  4   shares                      Integer: the new intended order size;
                                            0 = cancel everything still open

Each message is a frozen dataclass with ``encode()`` (ValueError on values that do not fit:
our misuse) and ``decode(payload)`` (MessageDecodeError: the peer's fault).
:func:`decode_inbound` never raises: it returns a message or a :class:`MessageFault`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Final, TypeAlias

from engine.protocols.ouch.fields import (
    CAPACITIES,
    CROSS_TYPES,
    CUSTOMER_TYPES,
    DISPLAYS,
    FIRM_WIDTH,
    INTERMARKET_SWEEP,
    SIDES,
    STOCK_WIDTH,
    MessageDecodeError,
    MessageFault,
    decode_alpha,
    decode_char,
    decode_token,
    encode_alpha,
    encode_char,
    encode_token,
    expect_length,
    u32,
)

__all__ = ["CancelOrder", "EnterOrder", "InboundMessage", "ReplaceOrder", "decode_inbound"]

_ENTER: Final = struct.Struct(">c14scI8sII4scccIcc")
_REPLACE: Final = struct.Struct(">c14s14sIIIccI")
_CANCEL: Final = struct.Struct(">c14sI")


# Not frozen: a frozen dataclass's __init__ costs ~10x on CPython 3.11, and this
# one is made for every order on the gateway's hot path. Treat it as immutable.
@dataclass(slots=True)
class EnterOrder:
    TYPE: ClassVar[bytes] = b"O"
    SIZE: ClassVar[int] = _ENTER.size
    #: where a Rejected message finds the token to name, even in a payload that did not decode
    TOKEN_AT: ClassVar[slice] = slice(1, 15)

    token: str
    side: str
    shares: int
    stock: str
    price: int
    time_in_force: int
    firm: str = ""
    display: str = "Y"
    capacity: str = "A"
    intermarket_sweep: str = "N"
    minimum_quantity: int = 0
    cross_type: str = "N"
    customer_type: str = " "

    def encode(self) -> bytes:
        return _ENTER.pack(
            self.TYPE,
            encode_token(self.token),
            encode_char(self.side, SIDES, "side"),
            u32(self.shares, "shares"),
            encode_alpha(self.stock, STOCK_WIDTH, "stock"),
            u32(self.price, "price"),
            u32(self.time_in_force, "time in force"),
            encode_alpha(self.firm, FIRM_WIDTH, "firm"),
            encode_char(self.display, DISPLAYS, "display"),
            encode_char(self.capacity, CAPACITIES, "capacity"),
            encode_char(self.intermarket_sweep, INTERMARKET_SWEEP, "intermarket sweep"),
            u32(self.minimum_quantity, "minimum quantity"),
            encode_char(self.cross_type, CROSS_TYPES, "cross type"),
            encode_char(self.customer_type, CUSTOMER_TYPES, "customer type"),
        )

    @classmethod
    def decode(cls, payload: bytes) -> EnterOrder:
        expect_length(payload, cls.SIZE, "Enter Order")
        (_, token, side, shares, stock, price, tif, firm, display, capacity, iso, min_qty, cross,
         customer) = _ENTER.unpack(payload)  # fmt: skip
        return cls(
            decode_token(token),
            decode_char(side, SIDES, "side"),
            shares,
            decode_alpha(stock, "stock"),
            price,
            tif,
            decode_alpha(firm, "firm"),
            decode_char(display, DISPLAYS, "display", reject="D"),
            decode_char(capacity, CAPACITIES, "capacity"),
            decode_char(iso, INTERMARKET_SWEEP, "intermarket sweep"),
            min_qty,
            decode_char(cross, CROSS_TYPES, "cross type", reject="R"),
            decode_char(customer, CUSTOMER_TYPES, "customer type"),
        )


# Not frozen: a frozen dataclass's __init__ costs ~10x on CPython 3.11, and this
# one is made for every order on the gateway's hot path. Treat it as immutable.
@dataclass(slots=True)
class ReplaceOrder:
    TYPE: ClassVar[bytes] = b"U"
    SIZE: ClassVar[int] = _REPLACE.size
    #: a rejected replace is answered in the name of the replacement token
    TOKEN_AT: ClassVar[slice] = slice(15, 29)

    existing_token: str
    replacement_token: str
    shares: int
    price: int
    time_in_force: int
    display: str = "Y"
    intermarket_sweep: str = "N"
    minimum_quantity: int = 0

    def encode(self) -> bytes:
        return _REPLACE.pack(
            self.TYPE,
            encode_token(self.existing_token, "existing order token"),
            encode_token(self.replacement_token, "replacement order token"),
            u32(self.shares, "shares"),
            u32(self.price, "price"),
            u32(self.time_in_force, "time in force"),
            encode_char(self.display, DISPLAYS, "display"),
            encode_char(self.intermarket_sweep, INTERMARKET_SWEEP, "intermarket sweep"),
            u32(self.minimum_quantity, "minimum quantity"),
        )

    @classmethod
    def decode(cls, payload: bytes) -> ReplaceOrder:
        expect_length(payload, cls.SIZE, "Replace Order")
        _, existing, replacement, shares, price, tif, display, iso, min_qty = _REPLACE.unpack(
            payload
        )
        return cls(
            decode_token(existing, "existing order token"),
            decode_token(replacement, "replacement order token"),
            shares,
            price,
            tif,
            decode_char(display, DISPLAYS, "display", reject="D"),
            decode_char(iso, INTERMARKET_SWEEP, "intermarket sweep"),
            min_qty,
        )


# Not frozen: a frozen dataclass's __init__ costs ~10x on CPython 3.11, and this
# one is made for every order on the gateway's hot path. Treat it as immutable.
@dataclass(slots=True)
class CancelOrder:
    TYPE: ClassVar[bytes] = b"X"
    SIZE: ClassVar[int] = _CANCEL.size
    TOKEN_AT: ClassVar[slice] = slice(1, 15)

    token: str
    #: the new intended order size: 0 cancels all that is open, N > 0 reduces to N
    shares: int = 0

    def encode(self) -> bytes:
        return _CANCEL.pack(self.TYPE, encode_token(self.token), u32(self.shares, "shares"))

    @classmethod
    def decode(cls, payload: bytes) -> CancelOrder:
        expect_length(payload, cls.SIZE, "Cancel Order")
        _, token, shares = _CANCEL.unpack(payload)
        return cls(decode_token(token), shares)


InboundMessage: TypeAlias = EnterOrder | ReplaceOrder | CancelOrder

_INBOUND: Final[dict[int, type[EnterOrder] | type[ReplaceOrder] | type[CancelOrder]]] = {
    ord("O"): EnterOrder,
    ord("U"): ReplaceOrder,
    ord("X"): CancelOrder,
}
#: OUCH 4.2 inbound messages this exchange does not offer: Modify Order (change the side).
_UNSUPPORTED: Final = {ord("M"): "Modify Order"}


def decode_inbound(payload: bytes) -> InboundMessage | MessageFault:
    """The message in an Unsequenced Data payload, or a MessageFault saying why not."""
    if not payload:
        return MessageFault("empty_message", "an empty payload holds no message", None)
    kind = payload[0]
    cls = _INBOUND.get(kind)
    if cls is None:
        if kind in _UNSUPPORTED:
            text = f"{_UNSUPPORTED[kind]} is not supported"
            return MessageFault("unsupported_type", text, None)
        return MessageFault("unknown_type", f"unknown message type {chr(kind)!r}", None)
    try:
        return cls.decode(payload)
    except MessageDecodeError as exc:
        token = _readable_token(payload, cls.TOKEN_AT)
        return MessageFault(exc.code, exc.text, token, exc.reject_reason)


def _readable_token(payload: bytes, where: slice) -> str | None:
    raw = payload[where]
    if len(raw) != where.stop - where.start:
        return None
    try:
        return decode_token(raw)
    except MessageDecodeError:
        return None
