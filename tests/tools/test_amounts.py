"""Amounts typed by operators: exact conversion to price units, and clear refusals."""

from __future__ import annotations

import pytest

from engine.domain.types import PRICE_UNITS_PER_CURRENCY_UNIT
from tools.amounts import CASH_DECIMALS, MAX_UNITS, AmountError, cash_units, whole_number


def test_the_scale_is_four_decimals() -> None:
    assert (PRICE_UNITS_PER_CURRENCY_UNIT, CASH_DECIMALS) == (10_000, 4)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("0.50", 5_000),
        ("0.5", 5_000),
        ("1", 10_000),
        ("0.0001", 1),
        ("0.10", 1_000),
        ("0.1000000", 1_000),  # trailing zeros are not extra precision
        ("1250000", 12_500_000_000),
        ("922337203685477.5807", MAX_UNITS),  # the most a 64-bit field holds, to the unit
        ("123456789012345.6789", 1_234_567_890_123_456_789),  # beyond float precision
        ("0.29", 2_900),  # 0.29 * 10000 is 2899.9999999999995 in floats
    ],
)
def test_cash_converts_exactly(text: str, units: int) -> None:
    assert cash_units(text) == units


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.00001", "'0.00001' has more than 4 decimals"),
        ("1.00005", "more than 4 decimals"),
        ("abc", "'abc' is not an amount in currency units"),
        ("-1", "'-1' is negative"),
        (" -0.5", "is negative"),
        ("1e3", "is not an amount"),
        ("NaN", "is not an amount"),
        ("Infinity", "is not an amount"),
        ("1,000", "is not an amount"),
        ("", "is not an amount"),
        (".5", "is not an amount"),
        ("0", "'0' is zero"),
        ("922337203685477.5808", "more than the exchange can hold"),
        ("9" * 41, "is not an amount"),
    ],
)
def test_bad_cash_is_refused_quoting_the_input(text: str, message: str) -> None:
    with pytest.raises(AmountError, match=message.replace(".", r"\.")):
        cash_units(text)


def test_zero_only_where_it_means_something() -> None:
    assert cash_units("0", allow_zero=True) == 0 == whole_number("0", allow_zero=True)
    with pytest.raises(AmountError, match="is zero"):
        whole_number("0")


@pytest.mark.parametrize("text", ["1.5", "1.0", "-3", "+3", "1e2", "x", str(2**63)])
def test_shares_are_whole_numbers(text: str) -> None:
    with pytest.raises(AmountError):
        whole_number(text)
    assert whole_number("42") == 42
