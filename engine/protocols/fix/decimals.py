"""FIX decimal strings to and from the exchange's integers, exactly (no float anywhere).

Prices: the exchange counts integer *price units* of 1/10,000 of the currency unit
(:data:`engine.domain.types.PRICE_UNITS_PER_CURRENCY_UNIT`). A FIX Price is a decimal string
(``"123.45"``, ``"-0.5"``, ``"7."``, ``".25"``); it converts only if it is a whole number of
units: ``"1.23450"`` is 12,345 units, ``"1.23456"`` is not representable. Quantities are
whole shares: ``"100"`` or ``"100.00"``, never ``"100.5"``.

Two kinds of failure, because they get different answers: :class:`BadFormat` (not a FIX
number at all: a session-level Reject, SessionRejectReason 6) and :class:`NotRepresentable`
(a valid FIX number the exchange cannot take: a business reject).
"""

from __future__ import annotations

from typing import Final

from engine.domain.types import PRICE_UNITS_PER_CURRENCY_UNIT

__all__ = [
    "BadFormat",
    "NotRepresentable",
    "format_avg_px",
    "format_price",
    "parse_price",
    "parse_qty",
]

_DECIMALS: Final = 4  # 10 ** _DECIMALS == PRICE_UNITS_PER_CURRENCY_UNIT
_INT64_MAX: Final = 2**63 - 1
_AVG_PX_DECIMALS: Final = 8  # an average price is rarely a whole number of units
_MAX_DIGITS: Final = 40  # longer is not a price, whatever its digits say

assert 10**_DECIMALS == PRICE_UNITS_PER_CURRENCY_UNIT


class BadFormat(ValueError):
    """Not a FIX decimal number."""


class NotRepresentable(ValueError):
    """A FIX number the exchange cannot hold (too many decimals, fractional, too large)."""


def _split(text: str) -> tuple[bool, str, str]:
    """(negative, integer digits, fraction digits) of a FIX decimal string."""
    if not text or len(text) > _MAX_DIGITS or not text.isascii():
        raise BadFormat(f"{text[:_MAX_DIGITS]!r} is not a decimal number")
    negative = text[0] == "-"
    body = text[1:] if negative else text
    whole, _, fraction = body.partition(".")
    if (
        not (whole or fraction)
        or (whole and not whole.isdigit())
        or (fraction and not fraction.isdigit())
    ):
        raise BadFormat(f"{text!r} is not a decimal number")
    return negative, whole, fraction


def parse_price(text: str) -> int:
    """Price units (1/10,000) of a FIX Price string; raises BadFormat or NotRepresentable."""
    negative, whole, fraction = _split(text)
    significant = fraction.rstrip("0")
    if len(significant) > _DECIMALS:
        raise NotRepresentable(f"price {text} has more than {_DECIMALS} decimals")
    units = int(whole or "0") * PRICE_UNITS_PER_CURRENCY_UNIT + int(
        significant.ljust(_DECIMALS, "0")
    )
    if units > _INT64_MAX:
        raise NotRepresentable(f"price {text} is too large")
    return -units if negative else units


def parse_qty(text: str) -> int:
    """Whole shares of a FIX Qty string (sign kept: the caller checks it is positive)."""
    negative, whole, fraction = _split(text)
    if fraction.rstrip("0"):
        raise NotRepresentable(f"quantity {text} is not a whole number of shares")
    qty = int(whole or "0")
    if qty > _INT64_MAX:
        raise NotRepresentable(f"quantity {text} is too large")
    return -qty if negative else qty


def format_price(units: int) -> str:
    """The FIX Price string of ``units``: ``12345`` -> ``"1.2345"``, ``10000`` -> ``"1"``."""
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), PRICE_UNITS_PER_CURRENCY_UNIT)
    digits = f"{fraction:0{_DECIMALS}d}".rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def format_avg_px(cost: int, qty: int) -> str:
    """AvgPx of ``qty`` shares that cost ``cost`` price units in all (sum of qty x price),
    rounded half up to 8 decimals; "0" when nothing traded."""
    if qty <= 0:
        return "0"
    scale = 10**_AVG_PX_DECIMALS
    denominator = qty * PRICE_UNITS_PER_CURRENCY_UNIT
    # round half up on the magnitude: (2n + d) // 2d
    scaled = (2 * abs(cost) * scale + denominator) // (2 * denominator)
    whole, fraction = divmod(scaled, scale)
    sign = "-" if cost < 0 and scaled else ""
    digits = f"{fraction:0{_AVG_PX_DECIMALS}d}".rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"
