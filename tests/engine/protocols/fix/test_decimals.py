"""FIX decimal strings <-> price units and shares: exact, or refused with the right kind."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.protocols.fix.decimals import (
    BadFormat,
    NotRepresentable,
    format_avg_px,
    format_price,
    parse_price,
    parse_qty,
)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("123.45", 1_234_500),
        ("1", 10_000),
        ("0.0001", 1),
        ("1.23450", 12_345),  # trailing zeros past the 4th decimal are exact
        ("7.", 70_000),
        (".25", 2_500),
        ("007.5", 75_000),
        ("-0.5", -5_000),
        ("0", 0),
        ("922337203685477.5807", 2**63 - 1),
    ],
)
def test_fix_prices_convert_exactly_to_price_units(text: str, units: int) -> None:
    assert parse_price(text) == units


@pytest.mark.parametrize(
    "text", ["1.23456", "0.00001", "922337203685477.5808", "99999999999999999999"]
)
def test_prices_the_exchange_cannot_hold_are_not_representable(text: str) -> None:
    with pytest.raises(NotRepresentable):
        parse_price(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".",
        "-",
        "+1",
        "1,5",
        "1e3",
        "1.2.3",
        " 1",
        "1 ",
        "NaN",
        "inf",
        "\u0661",
        "1" * 41,
        "--1",
    ],
)
def test_non_numbers_are_a_format_error(text: str) -> None:
    with pytest.raises(BadFormat):
        parse_price(text)
    with pytest.raises(BadFormat):
        parse_qty(text)


@pytest.mark.parametrize(("text", "qty"), [("100", 100), ("100.00", 100), ("0", 0), ("-5", -5)])
def test_quantities_are_whole_shares(text: str, qty: int) -> None:
    assert parse_qty(text) == qty


def test_a_fractional_quantity_is_not_representable() -> None:
    with pytest.raises(NotRepresentable):
        parse_qty("100.5")


@pytest.mark.parametrize(
    ("units", "text"),
    [(1_234_500, "123.45"), (10_000, "1"), (1, "0.0001"), (0, "0"), (-5_000, "-0.5")],
)
def test_price_units_format_as_short_exact_decimals(units: int, text: str) -> None:
    assert format_price(units) == text


@given(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_price_format_and_parse_round_trip(units: int) -> None:
    assert parse_price(format_price(units)) == units
    assert Decimal(format_price(units)) == Decimal(units) / 10_000


@pytest.mark.parametrize(
    ("cost", "qty", "text"),
    [
        (0, 0, "0"),
        (100 * 1_234_400, 100, "123.44"),
        (10_001 + 10_002, 2, "1.00015"),
        (1, 3, "0.00003333"),  # 1/30000 rounded to 8 decimals
        (2, 3, "0.00006667"),  # rounded half up
    ],
)
def test_avg_px_is_cost_over_qty_rounded_to_8_decimals(cost: int, qty: int, text: str) -> None:
    assert format_avg_px(cost, qty) == text
