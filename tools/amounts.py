"""Amounts as operators type them, converted exactly to the exchange's integers.

Cash (and notional) is typed in currency units with at most as many decimals as the exchange
keeps (``engine.domain.types.PRICE_UNITS_PER_CURRENCY_UNIT`` = 10,000 price units per unit: 4
decimals), e.g. ``0.50`` or ``1250000``, and becomes integer price units (``0.50`` -> 5000)
through :class:`decimal.Decimal`, never a float. Shares and counts are whole numbers. Anything
else (a sign, an exponent, a thousands separator, a fifth decimal, more than fits the exchange's
signed 64-bit fields) raises :class:`AmountError` with a sentence that quotes the input; the
argparse ``type=`` wrappers turn it into a usage error (exit code 2).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from decimal import Context, Decimal, Inexact, localcontext
from typing import Final

from engine.domain.types import PRICE_UNITS_PER_CURRENCY_UNIT

__all__ = [
    "CASH_DECIMALS",
    "AmountError",
    "argument",
    "cash_units",
    "whole_number",
]

#: Decimals of the currency that the exchange keeps (4 for 10,000 units per currency unit).
CASH_DECIMALS: Final = len(str(PRICE_UNITS_PER_CURRENCY_UNIT)) - 1
#: The most any amount field holds (a signed 64-bit integer).
MAX_UNITS: Final = 2**63 - 1
# Plain decimal notation only: "1e3", "+1", "1,000" and " 1" are more likely typos than intent.
_DECIMAL: Final = re.compile(r"[0-9]+(\.[0-9]+)?")
_WHOLE: Final = re.compile(r"[0-9]+")
#: Longer inputs are refused before any arithmetic (a 19-digit integer part is already too big).
_MAX_CHARS: Final = 40


class AmountError(ValueError):
    """An amount an operator typed that the exchange cannot take as it is."""


def cash_units(text: str, *, allow_zero: bool = False) -> int:
    """The integer price units of ``text``, a cash amount in currency units (``"0.50"`` ->
    5000). Refuses a negative, non-numeric or over-precise amount, zero unless ``allow_zero``,
    and more than ``MAX_UNITS`` units."""
    _check_sign(text)
    if len(text) > _MAX_CHARS or not _DECIMAL.fullmatch(text):
        raise AmountError(f"{text!r} is not an amount in currency units (e.g. 1250.50)")
    _, _, fraction = text.partition(".")
    if len(fraction.rstrip("0")) > CASH_DECIMALS:
        raise AmountError(
            f"{text!r} has more than {CASH_DECIMALS} decimals (the exchange counts cash in "
            f"1/{PRICE_UNITS_PER_CURRENCY_UNIT:,} of the currency unit)"
        )
    # exact: the context holds every digit of the input, and Inexact would trap any rounding
    with localcontext(Context(prec=_MAX_CHARS + CASH_DECIMALS, traps=[Inexact])):
        units = int(Decimal(text).scaleb(CASH_DECIMALS).to_integral_exact())
    return _bounded(text, units, allow_zero)


def whole_number(text: str, *, allow_zero: bool = False) -> int:
    """``text`` as a whole number of shares (or orders): digits only."""
    _check_sign(text)
    if len(text) > _MAX_CHARS or not _WHOLE.fullmatch(text):
        raise AmountError(f"{text!r} is not a whole number")
    return _bounded(text, int(text), allow_zero)


def argument(parse: Callable[..., int], *, allow_zero: bool) -> Callable[[str], int]:
    """An argparse ``type=`` of ``parse`` (a function of this module): AmountError becomes the
    usage error argparse prints (exit code 2)."""

    def convert(text: str) -> int:
        try:
            return parse(text, allow_zero=allow_zero)
        except AmountError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _check_sign(text: str) -> None:
    if text.strip().startswith("-"):
        raise AmountError(f"{text!r} is negative; amounts are never negative")


def _bounded(text: str, value: int, allow_zero: bool) -> int:
    if value == 0 and not allow_zero:
        raise AmountError(f"{text!r} is zero; give a positive amount")
    if value > MAX_UNITS:
        raise AmountError(f"{text!r} is more than the exchange can hold")
    return value
