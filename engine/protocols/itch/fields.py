"""Nasdaq TotalView-ITCH 5.0 field types, the common message header and decode faults.

Every ITCH 5.0 message starts with the same 11 bytes (big-endian, no alignment)::

    offset  size  field
    0       1     message type     one ASCII letter
    1       2     stock locate     u16: the stock's locate code for the day; 0 = not stock-specific
    3       2     tracking number  u16: Nasdaq-internal; sequex always sends 0
    5       6     timestamp        u48: nanoseconds since midnight

Field types::

    Integer    unsigned binary, 2, 4 or 8 bytes (the timestamp alone is 6)
    Price(4)   u32 with 4 implied decimals: 1 = $0.0001, so 0xFFFFFFFF = $429,496.7295
    Alpha      printable ASCII, left-justified, padded on the right with spaces

Prices. The engine's price unit is 1/10,000 of the currency unit
(``engine.domain.types.PRICE_UNITS_PER_CURRENCY_UNIT``), exactly Price(4)'s scale, so an
engine price *is* its ITCH price: no conversion, no rounding, never a float. A symbol's tick
size is a multiple of that unit and every price on the feed is a multiple of the tick; the
tick itself is not an ITCH field. A price of 2**32 units or more cannot be sent.

Decoding never raises for the peer's bytes: :func:`decode_message` (in ``codec``) answers a
:class:`MessageFault` with a stable ``code``, the ``offset`` of the offending byte within the
message and a text for people. Encoding a value that does not fit its field is the caller's
misuse: ``ValueError``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

__all__ = [
    "AUTHENTICITY",
    "ETP_FLAGS",
    "EVENT_CODES",
    "HEADER",
    "HEADER_SIZE",
    "INVERSE_INDICATORS",
    "IPO_FLAGS",
    "LULD_TIERS",
    "MAX_PRICE",
    "MAX_TIMESTAMP",
    "NS_PER_DAY",
    "PRINTABLE",
    "ROUND_LOTS_ONLY",
    "SHORT_SALE_THRESHOLD",
    "SIDES",
    "STOCK_WIDTH",
    "TRADING_STATES",
    "MessageDecodeError",
    "MessageFault",
    "check_alpha",
    "check_char",
    "check_printable",
    "encode_alpha",
    "encode_char",
    "ns_since_midnight",
    "pack",
    "timestamp_of",
    "unpack_exact",
]

#: type, stock locate, tracking number, timestamp as high 16 and low 32 bits
HEADER: Final = struct.Struct(">cHHHI")
HEADER_SIZE: Final = 11
assert HEADER.size == HEADER_SIZE

STOCK_WIDTH: Final = 8
MAX_PRICE: Final = 0xFFFF_FFFF
MAX_TIMESTAMP: Final = (1 << 48) - 1
NS_PER_DAY: Final = 86_400 * 1_000_000_000

#: System Event codes: O start of messages, S start of system hours, Q start of market hours,
#: M end of market hours, E end of system hours, C end of messages (the last message).
EVENT_CODES: Final = frozenset("OSQMEC")
#: Buy/Sell Indicator.
SIDES: Final = frozenset("BS")
#: Stock Trading Action states: H halted, P paused, Q quotation only, T trading.
TRADING_STATES: Final = frozenset("HPQT")
#: Printable (Order Executed With Price): N non-printable (do not print to the tape), Y printable.
PRINTABLE: Final = frozenset("NY")
#: Stock Directory one-letter fields whose value sets are closed (the rest are any printable
#: ASCII: the spec adds market categories, classifications and sub-types over time).
ROUND_LOTS_ONLY: Final = frozenset("YN")
AUTHENTICITY: Final = frozenset("PT")  # P live/production, T test
SHORT_SALE_THRESHOLD: Final = frozenset("YN ")
IPO_FLAGS: Final = frozenset("YN ")
LULD_TIERS: Final = frozenset("12 ")
ETP_FLAGS: Final = frozenset("YN ")
INVERSE_INDICATORS: Final = frozenset("YN")


class MessageDecodeError(ValueError):
    """Raised inside a message's ``decode`` and turned into a :class:`MessageFault` by
    :func:`~engine.protocols.itch.codec.decode_message`; never escapes it."""

    def __init__(self, code: str, offset: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.offset = offset
        self.text = text


@dataclass(frozen=True, slots=True)
class MessageFault:
    """Bytes that are not an ITCH 5.0 message we read.

    ``offset`` is the byte where the problem is, counted from the first byte of the message
    (from the start of the buffer for a stream of messages). Codes: ``empty_message``,
    ``unknown_type``, ``bad_length``, ``bad_field``, ``truncated`` (a length-prefixed stream
    that ends inside a message).
    """

    code: str
    offset: int
    text: str


def pack(layout: struct.Struct, name: str, *fields: object) -> bytes:
    """``layout.pack`` with a number out of its field's range (a timestamp of 2**48 or more
    leaves a high part that does not fit its u16) as ValueError: our misuse."""
    try:
        return layout.pack(*fields)
    except struct.error as exc:
        raise ValueError(f"{name}: a number does not fit its field ({exc})") from None


def unpack_exact(layout: struct.Struct, payload: bytes, name: str) -> tuple[Any, ...]:
    """The fields of a message that must be exactly ``layout.size`` bytes."""
    if len(payload) != layout.size:
        raise MessageDecodeError(
            "bad_length",
            min(len(payload), layout.size),
            f"{name} is {len(payload)} bytes, the spec says {layout.size}",
        )
    return layout.unpack(payload)


def timestamp_of(high: int, low: int) -> int:
    """The 6-byte timestamp from its high 16 and low 32 bits (as the layouts split it)."""
    return high << 32 | low


def _printable(raw: bytes) -> bool:
    return all(0x20 <= b <= 0x7E for b in raw)


# Cached: a feed spells the same few stock names and one-letter codes millions of times.
@lru_cache(maxsize=16_384)
def encode_alpha(value: str, width: int, name: str) -> bytes:
    """``value`` left-justified in ``width`` bytes of printable ASCII."""
    raw = value.encode("ascii", "replace")
    if len(raw) > width or not value.isascii() or not _printable(raw):
        raise ValueError(f"{name} {value!r} is not printable ASCII of at most {width} chars")
    return raw.ljust(width)


@lru_cache(maxsize=1_024)
def encode_char(value: str, allowed: frozenset[str] | None, name: str) -> bytes:
    """One character from ``allowed`` (None: any printable ASCII character)."""
    if len(value) != 1 or not (0x20 <= ord(value) <= 0x7E):
        raise ValueError(f"{name} {value!r} is not one printable ASCII character")
    if allowed is not None and value not in allowed:
        raise ValueError(f"{name} {value!r} is not one of {''.join(sorted(allowed))!r}")
    return value.encode("ascii")


def check_printable(raw: bytes, offset: int, name: str) -> None:
    for i, b in enumerate(raw):
        if not 0x20 <= b <= 0x7E:
            raise MessageDecodeError(
                "bad_field", offset + i, f"{name} holds byte 0x{b:02x}, not printable ASCII"
            )


def check_alpha(raw: bytes, offset: int, name: str) -> str:
    """An Alpha field's value: its padding on the right dropped."""
    check_printable(raw, offset, name)
    return raw.decode("ascii").rstrip(" ")


def check_char(raw: bytes, offset: int, allowed: frozenset[str] | None, name: str) -> str:
    check_printable(raw, offset, name)
    value = raw.decode("ascii")
    if allowed is not None and value not in allowed:
        raise MessageDecodeError("bad_field", offset, f"{name} {value!r} is not a valid value")
    return value


def ns_since_midnight(ts_ns: int, utc_offset_s: int = 0) -> int:
    """ITCH's timestamp for an engine ``ts`` (ns since the Unix epoch, UTC): nanoseconds since
    the last midnight of the exchange's clock, ``utc_offset_s`` east of UTC."""
    return (ts_ns + utc_offset_s * 1_000_000_000) % NS_PER_DAY
