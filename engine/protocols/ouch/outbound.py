"""OUCH 4.2 outbound messages (exchange -> client, inside SoupBinTCP Sequenced Data).

Byte layouts (offsets from the message type byte; every one starts with a Timestamp: 8-byte
nanoseconds since midnight)::

    'S' System Event                                                        10 bytes
        0   1   type 'S'        1   8   timestamp       9   1   event code (S start, E end of day)

    'A' Accepted                                                            66 bytes
        0   1   type 'A'                    36  4   price
        1   8   timestamp                   40  4   time in force
        9   14  order token                 44  4   firm
        23  1   buy/sell indicator          48  1   display
        24  4   shares                      49  8   order reference number (our order id)
        28  8   stock                       57  1   capacity
                                            58  1   intermarket sweep eligibility
                                            59  4   minimum quantity
                                            63  1   cross type
                                            64  1   order state (L live, D dead)
                                            65  1   BBO weight indicator

    'U' Replaced                                                            80 bytes
        the Accepted layout, with the replacement order token at 9, then
        65  14  previous order token
        79  1   BBO weight indicator

    'C' Canceled                                                            28 bytes
        0   1   type 'C'        1   8   timestamp       9   14  order token
        23  4   decrement shares (this reduction, not cumulative)
        27  1   reason (see codes.CANCEL_REASONS)

    'E' Executed                                                            40 bytes
        0   1   type 'E'        1   8   timestamp       9   14  order token
        23  4   executed shares 27  4   execution price 31  1   liquidity flag (A added,
        32  8   match number (our exec id: both sides of a trade share it)       R removed)

    'I' Cancel Reject                                                       23 bytes
        0   1   type 'I'        1   8   timestamp       9   14  order token
        (a cancel of an order that had already ended: nothing was cancelled)
    'J' Rejected                                                            24 bytes
        0   1   type 'J'        1   8   timestamp       9   14  order token
        23  1   reason (see codes.REJECT_REASONS)

The spec says new reason and liquidity letters may appear, so decoding takes any ASCII letter
or digit there; the other one-character fields are checked against their value sets.
:func:`decode_outbound` (for our client library) never raises.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypeAlias

from engine.protocols.ouch.fields import (
    BBO_WEIGHTS,
    CAPACITIES,
    CROSS_TYPES,
    DISPLAYS,
    EVENT_CODES,
    FIRM_WIDTH,
    INTERMARKET_SWEEP,
    ORDER_STATES,
    SIDES,
    STOCK_WIDTH,
    MessageDecodeError,
    MessageFault,
    decode_alpha,
    decode_char,
    decode_code,
    decode_token,
    encode_alpha,
    encode_char,
    encode_code,
    encode_token,
    expect_length,
    u32,
    u64,
)

__all__ = [
    "Accepted",
    "CancelReject",
    "Canceled",
    "Executed",
    "OutboundMessage",
    "Rejected",
    "Replaced",
    "SystemEvent",
    "decode_outbound",
]

_SYSTEM_EVENT: Final = struct.Struct(">cQc")
_ACCEPTED: Final = struct.Struct(">cQ14scI8sII4scQccIccc")
_REPLACED: Final = struct.Struct(">cQ14scI8sII4scQccIcc14sc")
_CANCELED: Final = struct.Struct(">cQ14sIc")
_EXECUTED: Final = struct.Struct(">cQ14sIIcQ")
_CANCEL_REJECT: Final = struct.Struct(">cQ14s")
_REJECTED: Final = struct.Struct(">cQ14sc")


@dataclass(frozen=True, slots=True)
class SystemEvent:
    TYPE: ClassVar[bytes] = b"S"
    timestamp: int
    event_code: str

    def encode(self) -> bytes:
        return _SYSTEM_EVENT.pack(
            self.TYPE,
            u64(self.timestamp, "timestamp"),
            encode_char(self.event_code, EVENT_CODES, "event code"),
        )

    @classmethod
    def decode(cls, payload: bytes) -> SystemEvent:
        expect_length(payload, _SYSTEM_EVENT.size, "System Event")
        _, timestamp, code = _SYSTEM_EVENT.unpack(payload)
        return cls(timestamp, decode_char(code, EVENT_CODES, "event code"))


@dataclass(frozen=True, slots=True)
class Accepted:
    """An Enter Order is live (or, order_state D, already ended): its fields echoed back."""

    TYPE: ClassVar[bytes] = b"A"
    timestamp: int
    token: str
    side: str
    shares: int
    stock: str
    price: int
    time_in_force: int
    firm: str
    display: str
    order_reference_number: int
    capacity: str
    intermarket_sweep: str
    minimum_quantity: int
    cross_type: str
    order_state: str
    bbo_weight_indicator: str = " "

    def encode(self) -> bytes:
        return _ACCEPTED.pack(
            self.TYPE,
            u64(self.timestamp, "timestamp"),
            *_encode_order(self),
            encode_char(self.bbo_weight_indicator, BBO_WEIGHTS, "BBO weight indicator"),
        )

    @classmethod
    def decode(cls, payload: bytes) -> Accepted:
        expect_length(payload, _ACCEPTED.size, "Accepted")
        fields = _ACCEPTED.unpack(payload)
        return cls(
            fields[1],
            *_decode_order(fields[2:16]),
            decode_char(fields[16], BBO_WEIGHTS, "BBO weight indicator"),
        )


@dataclass(frozen=True, slots=True)
class Replaced:
    """A Replace Order took effect: ``token`` is the replacement, ``previous_token`` the old."""

    TYPE: ClassVar[bytes] = b"U"
    timestamp: int
    token: str
    side: str
    shares: int
    stock: str
    price: int
    time_in_force: int
    firm: str
    display: str
    order_reference_number: int
    capacity: str
    intermarket_sweep: str
    minimum_quantity: int
    cross_type: str
    order_state: str
    previous_token: str
    bbo_weight_indicator: str = " "

    def encode(self) -> bytes:
        return _REPLACED.pack(
            self.TYPE,
            u64(self.timestamp, "timestamp"),
            *_encode_order(self),
            encode_token(self.previous_token, "previous order token"),
            encode_char(self.bbo_weight_indicator, BBO_WEIGHTS, "BBO weight indicator"),
        )

    @classmethod
    def decode(cls, payload: bytes) -> Replaced:
        expect_length(payload, _REPLACED.size, "Replaced")
        fields = _REPLACED.unpack(payload)
        return cls(
            fields[1],
            *_decode_order(fields[2:16]),
            decode_token(fields[16], "previous order token"),
            decode_char(fields[17], BBO_WEIGHTS, "BBO weight indicator"),
        )


def _encode_order(m: Accepted | Replaced) -> tuple[Any, ...]:
    """The 14 order fields Accepted and Replaced share, from the token to the order state."""
    return (
        encode_token(m.token),
        encode_char(m.side, SIDES, "side"),
        u32(m.shares, "shares"),
        encode_alpha(m.stock, STOCK_WIDTH, "stock"),
        u32(m.price, "price"),
        u32(m.time_in_force, "time in force"),
        encode_alpha(m.firm, FIRM_WIDTH, "firm"),
        encode_char(m.display, DISPLAYS, "display"),
        u64(m.order_reference_number, "order reference number"),
        encode_char(m.capacity, CAPACITIES, "capacity"),
        encode_char(m.intermarket_sweep, INTERMARKET_SWEEP, "intermarket sweep"),
        u32(m.minimum_quantity, "minimum quantity"),
        encode_char(m.cross_type, CROSS_TYPES, "cross type"),
        encode_char(m.order_state, ORDER_STATES, "order state"),
    )


#: token, side, shares, stock, price, TIF, firm, display, reference, capacity, ISO, minimum
#: quantity, cross type, order state
_OrderFields: TypeAlias = tuple[
    str, str, int, str, int, int, str, str, int, str, str, int, str, str
]


def _decode_order(raw: tuple[Any, ...]) -> _OrderFields:
    token, side, shares, stock, price, tif, firm, display, ref, cap, iso, min_qty, cross, state = (
        raw
    )
    return (
        decode_token(token),
        decode_char(side, SIDES, "side"),
        shares,
        decode_alpha(stock, "stock"),
        price,
        tif,
        decode_alpha(firm, "firm"),
        decode_char(display, DISPLAYS, "display"),
        ref,
        decode_char(cap, CAPACITIES, "capacity"),
        decode_char(iso, INTERMARKET_SWEEP, "intermarket sweep"),
        min_qty,
        decode_char(cross, CROSS_TYPES, "cross type"),
        decode_char(state, ORDER_STATES, "order state"),
    )


@dataclass(frozen=True, slots=True)
class Canceled:
    """``decrement_shares`` left the order (incremental); what remains is still live."""

    TYPE: ClassVar[bytes] = b"C"
    timestamp: int
    token: str
    decrement_shares: int
    reason: str

    def encode(self) -> bytes:
        return _CANCELED.pack(
            self.TYPE,
            u64(self.timestamp, "timestamp"),
            encode_token(self.token),
            u32(self.decrement_shares, "decrement shares"),
            encode_code(self.reason, "cancel reason"),
        )

    @classmethod
    def decode(cls, payload: bytes) -> Canceled:
        expect_length(payload, _CANCELED.size, "Canceled")
        _, timestamp, token, shares, reason = _CANCELED.unpack(payload)
        return cls(timestamp, decode_token(token), shares, decode_code(reason, "cancel reason"))


@dataclass(frozen=True, slots=True)
class Executed:
    TYPE: ClassVar[bytes] = b"E"
    timestamp: int
    token: str
    executed_shares: int
    execution_price: int
    liquidity_flag: str
    match_number: int

    def encode(self) -> bytes:
        return _EXECUTED.pack(
            self.TYPE,
            u64(self.timestamp, "timestamp"),
            encode_token(self.token),
            u32(self.executed_shares, "executed shares"),
            u32(self.execution_price, "execution price"),
            encode_code(self.liquidity_flag, "liquidity flag"),
            u64(self.match_number, "match number"),
        )

    @classmethod
    def decode(cls, payload: bytes) -> Executed:
        expect_length(payload, _EXECUTED.size, "Executed")
        _, timestamp, token, shares, price, flag, match = _EXECUTED.unpack(payload)
        liquidity = decode_code(flag, "liquidity flag")
        return cls(timestamp, decode_token(token), shares, price, liquidity, match)


@dataclass(frozen=True, slots=True)
class Rejected:
    TYPE: ClassVar[bytes] = b"J"
    timestamp: int
    token: str
    reason: str

    def encode(self) -> bytes:
        return _REJECTED.pack(
            self.TYPE,
            u64(self.timestamp, "timestamp"),
            encode_token(self.token),
            encode_code(self.reason, "reject reason"),
        )

    @classmethod
    def decode(cls, payload: bytes) -> Rejected:
        expect_length(payload, _REJECTED.size, "Rejected")
        _, timestamp, token, reason = _REJECTED.unpack(payload)
        return cls(timestamp, decode_token(token), decode_code(reason, "reject reason"))


@dataclass(frozen=True, slots=True)
class CancelReject:
    TYPE: ClassVar[bytes] = b"I"
    timestamp: int
    token: str

    def encode(self) -> bytes:
        return _CANCEL_REJECT.pack(
            self.TYPE, u64(self.timestamp, "timestamp"), encode_token(self.token)
        )

    @classmethod
    def decode(cls, payload: bytes) -> CancelReject:
        expect_length(payload, _CANCEL_REJECT.size, "Cancel Reject")
        _, timestamp, token = _CANCEL_REJECT.unpack(payload)
        return cls(timestamp, decode_token(token))


OutboundMessage: TypeAlias = (
    SystemEvent | Accepted | Replaced | Canceled | Executed | Rejected | CancelReject
)

_OUTBOUND: Final[dict[int, Any]] = {
    ord("S"): SystemEvent,
    ord("A"): Accepted,
    ord("U"): Replaced,
    ord("C"): Canceled,
    ord("E"): Executed,
    ord("J"): Rejected,
    ord("I"): CancelReject,
}


def decode_outbound(payload: bytes) -> OutboundMessage | MessageFault:
    """The message in a Sequenced Data payload, or a MessageFault saying why not."""
    if not payload:
        return MessageFault("empty_message", "an empty payload holds no message", None)
    cls = _OUTBOUND.get(payload[0])
    if cls is None:
        return MessageFault("unknown_type", f"unknown message type {chr(payload[0])!r}", None)
    try:
        message: OutboundMessage = cls.decode(payload)
    except MessageDecodeError as exc:
        return MessageFault(exc.code, exc.text, None)
    return message
