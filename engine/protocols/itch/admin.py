"""ITCH 5.0 administrative messages: System Event (S), Stock Directory (R), Trading Action (H).

Byte layouts, offsets from the message type byte (0..10 is the common header of
:mod:`~engine.protocols.itch.fields`: type, stock locate, tracking number, timestamp)::

    'S' System Event                                                         12 bytes
        11  1   event code                  O S Q M E C (fields.EVENT_CODES); locate 0

    'R' Stock Directory                                                      39 bytes
        11  8   stock                       Alpha
        19  1   market category             Q G S N A P Z V, space = not available
        20  1   financial status indicator  D E Q S G H J K C N, space = not available
        21  4   round lot size              u32 shares
        25  1   round lots only             Y only round lots are accepted, N odd lots too
        26  1   issue classification        e.g. C common stock, A ADR, F foreign
        27  2   issue sub-type              Alpha, e.g. Z = not applicable
        29  1   authenticity                P live/production, T test
        30  1   short sale threshold ind.   Y N, space = not available
        31  1   IPO flag                    Y N, space = not available
        32  1   LULD reference price tier   1 2, space = not available
        33  1   ETP flag                    Y N, space = not available
        34  4   ETP leverage factor         u32
        38  1   inverse indicator           Y N

    'H' Stock Trading Action                                                 25 bytes
        11  8   stock                       Alpha
        19  1   trading state               H halted, P paused, Q quotation only, T trading
        20  1   reserved                    Alpha (sent as a space)
        21  4   reason                      Alpha, e.g. "O1" operations halt, blank on release

Fields whose value sets the spec keeps growing (market category, financial status, issue
classification and sub-type, reason) are decoded as any printable ASCII; the closed sets are
checked.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Final

from engine.protocols.itch.fields import (
    AUTHENTICITY,
    ETP_FLAGS,
    EVENT_CODES,
    INVERSE_INDICATORS,
    IPO_FLAGS,
    LULD_TIERS,
    ROUND_LOTS_ONLY,
    SHORT_SALE_THRESHOLD,
    STOCK_WIDTH,
    TRADING_STATES,
    check_alpha,
    check_char,
    encode_alpha,
    encode_char,
    pack,
    timestamp_of,
    unpack_exact,
)

__all__ = ["StockDirectory", "StockTradingAction", "SystemEvent"]

_SYSTEM_EVENT: Final = struct.Struct(">cHHHIc")
_STOCK_DIRECTORY: Final = struct.Struct(">cHHHI8sccIcc2scccccIc")
_TRADING_ACTION: Final = struct.Struct(">cHHHI8scc4s")
assert (_SYSTEM_EVENT.size, _STOCK_DIRECTORY.size, _TRADING_ACTION.size) == (12, 39, 25)
_LOW: Final = 0xFFFF_FFFF


@dataclass(frozen=True, slots=True)
class SystemEvent:
    TYPE: ClassVar[bytes] = b"S"
    SIZE: ClassVar[int] = 12
    stock_locate: int
    tracking_number: int
    timestamp: int
    event_code: str

    def encode(self) -> bytes:
        return pack(
            _SYSTEM_EVENT, "System Event", self.TYPE, self.stock_locate, self.tracking_number,
            self.timestamp >> 32, self.timestamp & _LOW,
            encode_char(self.event_code, EVENT_CODES, "event code"),
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> SystemEvent:
        _, locate, tracking, hi, lo, code = unpack_exact(_SYSTEM_EVENT, payload, "System Event")
        return cls(
            locate, tracking, timestamp_of(hi, lo), check_char(code, 11, EVENT_CODES, "event code")
        )


@dataclass(frozen=True, slots=True)
class StockDirectory:
    """A stock and its trading terms, sent once per stock before any order message for it."""

    TYPE: ClassVar[bytes] = b"R"
    SIZE: ClassVar[int] = 39
    stock_locate: int
    tracking_number: int
    timestamp: int
    stock: str
    market_category: str
    financial_status_indicator: str
    round_lot_size: int
    round_lots_only: str
    issue_classification: str
    issue_sub_type: str
    authenticity: str
    short_sale_threshold_indicator: str
    ipo_flag: str
    luld_reference_price_tier: str
    etp_flag: str
    etp_leverage_factor: int
    inverse_indicator: str

    def encode(self) -> bytes:
        return pack(
            _STOCK_DIRECTORY, "Stock Directory", self.TYPE, self.stock_locate,
            self.tracking_number, self.timestamp >> 32, self.timestamp & _LOW,
            encode_alpha(self.stock, STOCK_WIDTH, "stock"),
            encode_char(self.market_category, None, "market category"),
            encode_char(self.financial_status_indicator, None, "financial status indicator"),
            self.round_lot_size,
            encode_char(self.round_lots_only, ROUND_LOTS_ONLY, "round lots only"),
            encode_char(self.issue_classification, None, "issue classification"),
            encode_alpha(self.issue_sub_type, 2, "issue sub-type"),
            encode_char(self.authenticity, AUTHENTICITY, "authenticity"),
            encode_char(self.short_sale_threshold_indicator, SHORT_SALE_THRESHOLD,
                        "short sale threshold indicator"),
            encode_char(self.ipo_flag, IPO_FLAGS, "IPO flag"),
            encode_char(self.luld_reference_price_tier, LULD_TIERS, "LULD reference price tier"),
            encode_char(self.etp_flag, ETP_FLAGS, "ETP flag"),
            self.etp_leverage_factor,
            encode_char(self.inverse_indicator, INVERSE_INDICATORS, "inverse indicator"),
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> StockDirectory:
        (
            _, locate, tracking, hi, lo, stock, category, status, round_lot, lots_only,
            classification, sub_type, authenticity, ssr, ipo, luld, etp, leverage, inverse,
        ) = unpack_exact(_STOCK_DIRECTORY, payload, "Stock Directory")  # fmt: skip
        return cls(
            locate,
            tracking,
            timestamp_of(hi, lo),
            check_alpha(stock, 11, "stock"),
            check_char(category, 19, None, "market category"),
            check_char(status, 20, None, "financial status indicator"),
            round_lot,
            check_char(lots_only, 25, ROUND_LOTS_ONLY, "round lots only"),
            check_char(classification, 26, None, "issue classification"),
            check_alpha(sub_type, 27, "issue sub-type"),
            check_char(authenticity, 29, AUTHENTICITY, "authenticity"),
            check_char(ssr, 30, SHORT_SALE_THRESHOLD, "short sale threshold indicator"),
            check_char(ipo, 31, IPO_FLAGS, "IPO flag"),
            check_char(luld, 32, LULD_TIERS, "LULD reference price tier"),
            check_char(etp, 33, ETP_FLAGS, "ETP flag"),
            leverage,
            check_char(inverse, 38, INVERSE_INDICATORS, "inverse indicator"),
        )


@dataclass(frozen=True, slots=True)
class StockTradingAction:
    """A stock's trading state changed (or is announced, after its Stock Directory)."""

    TYPE: ClassVar[bytes] = b"H"
    SIZE: ClassVar[int] = 25
    stock_locate: int
    tracking_number: int
    timestamp: int
    stock: str
    trading_state: str
    reserved: str
    reason: str

    def encode(self) -> bytes:
        return pack(
            _TRADING_ACTION, "Stock Trading Action", self.TYPE, self.stock_locate,
            self.tracking_number, self.timestamp >> 32, self.timestamp & _LOW,
            encode_alpha(self.stock, STOCK_WIDTH, "stock"),
            encode_char(self.trading_state, TRADING_STATES, "trading state"),
            encode_char(self.reserved, None, "reserved"),
            encode_alpha(self.reason, 4, "reason"),
        )  # fmt: skip

    @classmethod
    def decode(cls, payload: bytes) -> StockTradingAction:
        _, locate, tracking, hi, lo, stock, state, reserved, reason = unpack_exact(
            _TRADING_ACTION, payload, "Stock Trading Action"
        )
        return cls(
            locate,
            tracking,
            timestamp_of(hi, lo),
            check_alpha(stock, 11, "stock"),
            check_char(state, 19, TRADING_STATES, "trading state"),
            check_char(reserved, 20, None, "reserved"),
            check_alpha(reason, 21, "reason"),
        )
