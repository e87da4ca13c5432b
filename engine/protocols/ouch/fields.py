"""OUCH 4.2 field types, the value sets of its one-character fields, and decode errors.

Field types (all big-endian, no alignment)::

    Integer   unsigned binary, 4 bytes (shares, TIF) or 8 bytes (timestamp, reference and
              match numbers)
    Price     4-byte unsigned integer with 4 implied decimals: 1 = $0.0001. The same scale as
              the engine's price units (1/10,000 of the currency unit), so prices pass through
              unconverted. 0x7FFFFFFF ($214,748.3647) is the market-order price.
    Alpha     printable ASCII, left-justified, padded on the right with spaces
    Token     Alpha of 14: the client's day-unique name for an order
    Timestamp Integer of 8: nanoseconds since midnight (see ``ns_since_midnight``)

One-character fields are validated against the value sets below when decoded; a value outside
its set is a :class:`MessageDecodeError`. Which of the valid values the exchange *supports* is
a separate question, answered by :mod:`engine.protocols.ouch.terms` with reject codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "BBO_WEIGHTS",
    "CAPACITIES",
    "CROSS_TYPES",
    "CUSTOMER_TYPES",
    "DISPLAYS",
    "EVENT_CODES",
    "FIRM_WIDTH",
    "INTERMARKET_SWEEP",
    "MARKET_PRICE",
    "NS_PER_DAY",
    "ORDER_STATES",
    "SIDES",
    "STOCK_WIDTH",
    "TIF_IOC",
    "TIF_MARKET_HOURS",
    "TIF_SYSTEM_HOURS",
    "TOKEN_WIDTH",
    "MessageDecodeError",
    "MessageFault",
    "decode_alpha",
    "decode_char",
    "decode_code",
    "decode_token",
    "encode_alpha",
    "encode_char",
    "encode_code",
    "encode_token",
    "expect_length",
    "ns_since_midnight",
    "u32",
    "u64",
]

TOKEN_WIDTH: Final = 14
STOCK_WIDTH: Final = 8
FIRM_WIDTH: Final = 4

#: The price of a market order (the largest 4-byte signed value, as the spec reserves it).
MARKET_PRICE: Final = 0x7FFFFFFF

#: Time in Force is a number of seconds, with three reserved values:
TIF_IOC: Final = 0  # immediate or cancel
TIF_MARKET_HOURS: Final = 99_998  # until the end of regular market hours
TIF_SYSTEM_HOURS: Final = 99_999  # until the end of system hours (the longest life)

#: Buy/Sell Indicator: Buy, Sell, sell short (T), sell short exempt (E).
SIDES: Final = frozenset("BSTE")
#: Display: A attributable, Y anonymous (price to comply), N non-display, P post-only,
#: I imbalance-only, M mid-point peg, W mid-point peg post-only, L post-only and attributable,
#: O retail order type 1, T retail order type 2, Q retail price improvement,
#: Z entered as displayed but changed to non-displayed (outbound only).
DISPLAYS: Final = frozenset("AYNPIMWLOTQZ")
#: Capacity: Agency, Principal, Riskless principal, Other.
CAPACITIES: Final = frozenset("APRO")
#: Intermarket Sweep Eligibility: Y eligible, N not eligible, y trade-at ISO.
INTERMARKET_SWEEP: Final = frozenset("YNy")
#: Cross Type: N no cross (continuous market), O opening, C closing, H halt/IPO,
#: S supplemental, R retail.
CROSS_TYPES: Final = frozenset("NOCHSR")
#: Customer Type: R retail designated, N not retail designated, space = the port's default.
CUSTOMER_TYPES: Final = frozenset("RN ")
#: Order State on Accepted/Replaced: L live, D dead (e.g. an IOC that ended on entry).
ORDER_STATES: Final = frozenset("LD")
#: System Event codes: S start of day, E end of day.
EVENT_CODES: Final = frozenset("SE")
#: BBO Weight Indicator: 0 (0-0.2%), 1 (0.2-1%), 2 (1-2%), 3 (>2%), space unspecified,
#: S sets the QBBO while joining the NBBO, N improves the NBBO upon entry.
BBO_WEIGHTS: Final = frozenset("0123 SN")

NS_PER_DAY: Final = 86_400 * 1_000_000_000


class MessageDecodeError(ValueError):
    """A payload is not a valid OUCH message; ``code`` is stable, ``text`` is for people,
    ``reject_reason`` the OUCH Rejected reason that answers it."""

    def __init__(self, code: str, text: str, reject_reason: str = "O") -> None:
        super().__init__(text)
        self.code = code
        self.text = text
        self.reject_reason = reject_reason


@dataclass(frozen=True, slots=True)
class MessageFault:
    """The peer's payload is not a message we can read. Confined to that one message.

    ``token`` is the order token a Rejected message should name, when it could be read (for a
    Replace Order, the replacement token); ``reject_reason`` the OUCH reason code to give.
    Codes: ``empty_message``, ``unknown_type``, ``unsupported_type``, ``bad_length``,
    ``bad_field``.
    """

    code: str
    text: str
    token: str | None
    reject_reason: str = "O"


_PRINTABLE: Final = bytes(range(0x20, 0x7F))


def _printable(raw: bytes) -> bool:
    # deleting every printable byte leaves nothing: one C-level pass (hot: every field)
    return not raw.translate(None, _PRINTABLE)


def encode_alpha(value: str, width: int, name: str) -> bytes:
    """``value`` left-justified in ``width`` bytes; ValueError if it is not printable ASCII
    or does not fit (the caller's misuse)."""
    if not value.isascii() or len(value) > width or not _printable(value.encode("ascii")):
        raise ValueError(f"{name} {value!r} is not printable ASCII of at most {width} chars")
    return value.encode("ascii").ljust(width)


def decode_alpha(raw: bytes, name: str) -> str:
    if not _printable(raw):
        raise MessageDecodeError("bad_field", f"{name} holds bytes that are not printable ASCII")
    return raw.decode("ascii").rstrip(" ")


def expect_length(payload: bytes, size: int, name: str) -> None:
    if len(payload) != size:
        raise MessageDecodeError(
            "bad_length", f"{name} is {len(payload)} bytes, the spec says {size}"
        )


def encode_token(token: str, name: str = "order token") -> bytes:
    if not token.strip(" "):
        raise ValueError(f"{name} must not be blank")
    return encode_alpha(token, TOKEN_WIDTH, name)


def decode_token(raw: bytes, name: str = "order token") -> str:
    token = decode_alpha(raw, name)
    if not token:
        raise MessageDecodeError("bad_field", f"{name} is blank")
    return token


def encode_char(value: str, allowed: frozenset[str], name: str) -> bytes:
    if value not in allowed:
        raise ValueError(f"{name} {value!r} is not one of {''.join(sorted(allowed))!r}")
    return value.encode("ascii")


def decode_char(raw: bytes, allowed: frozenset[str], name: str, reject: str = "O") -> str:
    value = chr(raw[0])
    if value not in allowed:
        raise MessageDecodeError("bad_field", f"{name} {value!r} is not a valid value", reject)
    return value


def decode_code(raw: bytes, name: str) -> str:
    """A reason or flag code: the spec says to expect new letters, so any ASCII letter or
    digit is taken (decoding is not the place to refuse a reason we have not heard of)."""
    value = chr(raw[0])
    if not (value.isascii() and value.isalnum()):
        raise MessageDecodeError("bad_field", f"{name} {value!r} is not a letter or digit")
    return value


def encode_code(value: str, name: str) -> bytes:
    if len(value) != 1 or not (value.isascii() and value.isalnum()):
        raise ValueError(f"{name} {value!r} is not one ASCII letter or digit")
    return value.encode("ascii")


def u32(value: int, name: str) -> int:
    if not 0 <= value <= 0xFFFF_FFFF:
        raise ValueError(f"{name} {value} does not fit 4 unsigned bytes")
    return value


def u64(value: int, name: str) -> int:
    if not 0 <= value <= 0xFFFF_FFFF_FFFF_FFFF:
        raise ValueError(f"{name} {value} does not fit 8 unsigned bytes")
    return value


def ns_since_midnight(ts_ns: int, utc_offset_s: int = 0) -> int:
    """OUCH's timestamp for an engine ``ts`` (ns since the Unix epoch, UTC): nanoseconds since
    the last midnight of the exchange's clock, ``utc_offset_s`` east of UTC."""
    return (ts_ns + utc_offset_s * 1_000_000_000) % NS_PER_DAY
