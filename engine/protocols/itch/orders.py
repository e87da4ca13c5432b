"""ITCH 5.0 order messages: the life of a displayed order on the book, and trades.

Byte layouts, offsets from the message type byte (0..10 is the common header: type, stock
locate, tracking number, timestamp; see :mod:`~engine.protocols.itch.fields`)::

    'A' Add Order (no MPID attribution)                                     36 bytes
        11  8   order reference number      u64, unique for the day
        19  1   buy/sell indicator          B buy, S sell
        20  4   shares                      u32
        24  8   stock                       Alpha
        32  4   price                       Price(4)
    'F' Add Order with MPID attribution                                     40 bytes
        the Add Order layout, then  36  4   attribution   Alpha: the market participant

    'E' Order Executed                                                      31 bytes
        11  8   order reference number      the resting order that traded
        19  4   executed shares             this execution only; the order keeps the rest
        27  8   match number                u64, the trade's id (sequex: the engine exec id)
    'C' Order Executed With Price                                           36 bytes
        the Order Executed layout, then
        31  1   printable                   Y printable, N not for the tape
        32  4   execution price             Price(4), when it differs from the order's price

    'X' Order Cancel                                                        23 bytes
        11  8   order reference number      19  4   cancelled shares (the order keeps the rest)
    'D' Order Delete                                                        19 bytes
        11  8   order reference number      (the order leaves the book)
    'U' Order Replace                                                       35 bytes
        11  8   original order reference number   the order leaves the book ...
        19  8   new order reference number        ... and this one takes its side and stock,
        27  4   shares                            at the back of its new price level
        31  4   price                       Price(4)

    'P' Trade (non-cross): an execution against a non-displayed order       44 bytes
        11  8   order reference number      0 for a non-displayed order
        19  1   buy/sell indicator          the side of the non-displayed order
        20  4   shares      24  8   stock       32  4   price       36  8   match number

All integers are unsigned big-endian; a field that does not fit is a ValueError on encode.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Final

from engine.protocols.itch.fields import (
    PRINTABLE,
    SIDES,
    STOCK_WIDTH,
    check_alpha,
    check_char,
    encode_alpha,
    encode_char,
    pack,
    timestamp_of,
    unpack_exact,
)

__all__ = [
    "AddOrder",
    "AddOrderAttributed",
    "OrderCancel",
    "OrderDelete",
    "OrderExecuted",
    "OrderExecutedWithPrice",
    "OrderReplace",
    "Trade",
]

_ADD: Final = struct.Struct(">cHHHIQcI8sI")
_ADD_MPID: Final = struct.Struct(">cHHHIQcI8sI4s")
_EXECUTED: Final = struct.Struct(">cHHHIQIQ")
_EXECUTED_PRICE: Final = struct.Struct(">cHHHIQIQcI")
_CANCEL: Final = struct.Struct(">cHHHIQI")
_DELETE: Final = struct.Struct(">cHHHIQ")
_REPLACE: Final = struct.Struct(">cHHHIQQII")
_TRADE: Final = struct.Struct(">cHHHIQcI8sIQ")
assert [s.size for s in (_ADD, _ADD_MPID, _EXECUTED, _EXECUTED_PRICE)] == [36, 40, 31, 36]
assert [s.size for s in (_CANCEL, _DELETE, _REPLACE, _TRADE)] == [23, 19, 35, 44]
_LOW: Final = 0xFFFF_FFFF


@dataclass(frozen=True, slots=True)
class AddOrder:
    """A displayed order rests on the book."""

    TYPE: ClassVar[bytes] = b"A"
    SIZE: ClassVar[int] = 36
    stock_locate: int
    tracking_number: int
    timestamp: int
    order_reference_number: int
    side: str
    shares: int
    stock: str
    price: int

    def encode(self) -> bytes:
        return pack(
            _ADD, "Add Order", self.TYPE, self.stock_locate, self.tracking_number,
            self.timestamp >> 32, self.timestamp & _LOW, self.order_reference_number,
            encode_char(self.side, SIDES, "side"), self.shares,
            encode_alpha(self.stock, STOCK_WIDTH, "stock"), self.price,
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> AddOrder:
        _, locate, tracking, hi, lo, ref, side, shares, stock, price = unpack_exact(
            _ADD, payload, "Add Order"
        )
        return cls(
            locate, tracking, timestamp_of(hi, lo), ref, check_char(side, 19, SIDES, "side"),
            shares, check_alpha(stock, 24, "stock"), price,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class AddOrderAttributed:
    """Add Order with MPID attribution ('F'): the same order, its participant named."""

    TYPE: ClassVar[bytes] = b"F"
    SIZE: ClassVar[int] = 40
    stock_locate: int
    tracking_number: int
    timestamp: int
    order_reference_number: int
    side: str
    shares: int
    stock: str
    price: int
    attribution: str

    def encode(self) -> bytes:
        return pack(
            _ADD_MPID, "Add Order with MPID", self.TYPE, self.stock_locate,
            self.tracking_number, self.timestamp >> 32, self.timestamp & _LOW,
            self.order_reference_number, encode_char(self.side, SIDES, "side"), self.shares,
            encode_alpha(self.stock, STOCK_WIDTH, "stock"), self.price,
            encode_alpha(self.attribution, 4, "attribution"),
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> AddOrderAttributed:
        _, locate, tracking, hi, lo, ref, side, shares, stock, price, mpid = unpack_exact(
            _ADD_MPID, payload, "Add Order with MPID"
        )
        return cls(
            locate, tracking, timestamp_of(hi, lo), ref, check_char(side, 19, SIDES, "side"),
            shares, check_alpha(stock, 24, "stock"), price,
            check_alpha(mpid, 36, "attribution"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class OrderExecuted:
    """Part or all of a resting order traded at its own price."""

    TYPE: ClassVar[bytes] = b"E"
    SIZE: ClassVar[int] = 31
    stock_locate: int
    tracking_number: int
    timestamp: int
    order_reference_number: int
    executed_shares: int
    match_number: int

    def encode(self) -> bytes:
        return pack(
            _EXECUTED, "Order Executed", self.TYPE, self.stock_locate, self.tracking_number,
            self.timestamp >> 32, self.timestamp & _LOW, self.order_reference_number,
            self.executed_shares, self.match_number,
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> OrderExecuted:
        _, locate, tracking, hi, lo, ref, shares, match = unpack_exact(
            _EXECUTED, payload, "Order Executed"
        )
        return cls(locate, tracking, timestamp_of(hi, lo), ref, shares, match)


@dataclass(frozen=True, slots=True)
class OrderExecutedWithPrice:
    """Part or all of a resting order traded at a price other than its own."""

    TYPE: ClassVar[bytes] = b"C"
    SIZE: ClassVar[int] = 36
    stock_locate: int
    tracking_number: int
    timestamp: int
    order_reference_number: int
    executed_shares: int
    match_number: int
    printable: str
    execution_price: int

    def encode(self) -> bytes:
        return pack(
            _EXECUTED_PRICE, "Order Executed With Price", self.TYPE, self.stock_locate,
            self.tracking_number, self.timestamp >> 32, self.timestamp & _LOW,
            self.order_reference_number, self.executed_shares, self.match_number,
            encode_char(self.printable, PRINTABLE, "printable"), self.execution_price,
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> OrderExecutedWithPrice:
        _, locate, tracking, hi, lo, ref, shares, match, printable, price = unpack_exact(
            _EXECUTED_PRICE, payload, "Order Executed With Price"
        )
        return cls(
            locate, tracking, timestamp_of(hi, lo), ref, shares, match,
            check_char(printable, 31, PRINTABLE, "printable"), price,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class OrderCancel:
    """A resting order lost ``cancelled_shares`` without trading and kept its place."""

    TYPE: ClassVar[bytes] = b"X"
    SIZE: ClassVar[int] = 23
    stock_locate: int
    tracking_number: int
    timestamp: int
    order_reference_number: int
    cancelled_shares: int

    def encode(self) -> bytes:
        return pack(
            _CANCEL, "Order Cancel", self.TYPE, self.stock_locate, self.tracking_number,
            self.timestamp >> 32, self.timestamp & _LOW, self.order_reference_number,
            self.cancelled_shares,
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> OrderCancel:
        _, locate, tracking, hi, lo, ref, shares = unpack_exact(_CANCEL, payload, "Order Cancel")
        return cls(locate, tracking, timestamp_of(hi, lo), ref, shares)


@dataclass(frozen=True, slots=True)
class OrderDelete:
    """A resting order left the book without trading."""

    TYPE: ClassVar[bytes] = b"D"
    SIZE: ClassVar[int] = 19
    stock_locate: int
    tracking_number: int
    timestamp: int
    order_reference_number: int

    def encode(self) -> bytes:
        return pack(
            _DELETE, "Order Delete", self.TYPE, self.stock_locate, self.tracking_number,
            self.timestamp >> 32, self.timestamp & _LOW, self.order_reference_number,
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> OrderDelete:
        _, locate, tracking, hi, lo, ref = unpack_exact(_DELETE, payload, "Order Delete")
        return cls(locate, tracking, timestamp_of(hi, lo), ref)


@dataclass(frozen=True, slots=True)
class OrderReplace:
    """The original order left the book; the new reference rests in its stead (same side and
    stock) with ``shares`` at ``price``, at the back of that level: priority is lost."""

    TYPE: ClassVar[bytes] = b"U"
    SIZE: ClassVar[int] = 35
    stock_locate: int
    tracking_number: int
    timestamp: int
    original_order_reference_number: int
    new_order_reference_number: int
    shares: int
    price: int

    def encode(self) -> bytes:
        return pack(
            _REPLACE, "Order Replace", self.TYPE, self.stock_locate, self.tracking_number,
            self.timestamp >> 32, self.timestamp & _LOW, self.original_order_reference_number,
            self.new_order_reference_number, self.shares, self.price,
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> OrderReplace:
        _, locate, tracking, hi, lo, old, new, shares, price = unpack_exact(
            _REPLACE, payload, "Order Replace"
        )
        return cls(locate, tracking, timestamp_of(hi, lo), old, new, shares, price)


@dataclass(frozen=True, slots=True)
class Trade:
    """An execution against a non-displayed order: a print that changes no displayed book."""

    TYPE: ClassVar[bytes] = b"P"
    SIZE: ClassVar[int] = 44
    stock_locate: int
    tracking_number: int
    timestamp: int
    order_reference_number: int
    side: str
    shares: int
    stock: str
    price: int
    match_number: int

    def encode(self) -> bytes:
        return pack(
            _TRADE, "Trade", self.TYPE, self.stock_locate, self.tracking_number,
            self.timestamp >> 32, self.timestamp & _LOW, self.order_reference_number,
            encode_char(self.side, SIDES, "side"), self.shares,
            encode_alpha(self.stock, STOCK_WIDTH, "stock"), self.price, self.match_number,
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> Trade:
        _, locate, tracking, hi, lo, ref, side, shares, stock, price, match = unpack_exact(
            _TRADE, payload, "Trade"
        )
        return cls(
            locate, tracking, timestamp_of(hi, lo), ref, check_char(side, 19, SIDES, "side"),
            shares, check_alpha(stock, 24, "stock"), price, match,
        )  # fmt: skip
