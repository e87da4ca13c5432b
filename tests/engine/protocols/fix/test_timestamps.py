"""ns <-> UTCTimestamp by integer calendar arithmetic, against known dates and datetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.protocols.fix.timestamps import (
    NS_PER_SECOND,
    civil_from_days,
    days_from_civil,
    format_utc_timestamp,
    parse_utc_timestamp,
)

S = NS_PER_SECOND
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_NS = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1) * 1000
MAX_NS = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - EPOCH) // timedelta(seconds=1) * S


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "19700101-00:00:00.000"),
        (999_999, "19700101-00:00:00.000"),  # truncated to the millisecond, never rounded up
        (1_000_000, "19700101-00:00:00.001"),
        (-1, "19691231-23:59:59.999"),
        (951_782_400 * S, "20000229-00:00:00.000"),  # a leap day of a year divisible by 400
        (951_868_800 * S, "20000301-00:00:00.000"),
        (1_000_000_000 * S + 123_456_789, "20010909-01:46:40.123"),
        (1_709_294_400 * S, "20240301-12:00:00.000"),
        (4_102_444_800 * S, "21000101-00:00:00.000"),
        (4_107_456_000 * S, "21000228-00:00:00.000"),
        (4_107_542_400 * S, "21000301-00:00:00.000"),  # 2100 is not a leap year
        (253_402_300_799 * S, "99991231-23:59:59.000"),
        (-62_135_596_800 * S, "00010101-00:00:00.000"),
    ],
)
def test_known_instants_format_as_fix_utc_timestamps(ns: int, text: str) -> None:
    assert format_utc_timestamp(ns) == text


@pytest.mark.parametrize(
    ("date", "days"),
    [((1970, 1, 1), 0), ((2000, 3, 1), 11_017), ((1969, 12, 31), -1), ((1, 1, 1), -719_162)],
)
def test_days_from_civil_counts_from_the_epoch(date: tuple[int, int, int], days: int) -> None:
    assert days_from_civil(*date) == days
    assert civil_from_days(days) == date


@given(st.integers(min_value=MIN_NS, max_value=MAX_NS))
def test_formatting_agrees_with_datetime(ns: int) -> None:
    seconds, rest = divmod(ns, S)
    d = EPOCH + timedelta(seconds=seconds)
    expected = f"{d.year:04d}{d.month:02d}{d.day:02d}-{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
    assert format_utc_timestamp(ns) == f"{expected}.{rest // 1_000_000:03d}"


@given(st.integers(min_value=MIN_NS, max_value=MAX_NS))
def test_parse_inverts_format_to_the_millisecond(ns: int) -> None:
    assert parse_utc_timestamp(format_utc_timestamp(ns)) == ns - ns % 1_000_000


@given(st.integers(min_value=-3_000_000, max_value=3_000_000))
def test_civil_from_days_inverts_days_from_civil(days: int) -> None:
    assert days_from_civil(*civil_from_days(days)) == days


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("20240301-12:00:00", 1_709_294_400 * S),
        ("20240301-12:00:00.5", 1_709_294_400 * S + 500_000_000),
        ("20240301-12:00:00.123456789", 1_709_294_400 * S + 123_456_789),
        ("20240229-00:00:00.000", 1_709_164_800 * S),
        ("20161231-23:59:60.000", 1_483_228_800 * S),  # a leap second: the next minute's first
    ],
)
def test_parse_accepts_fix_forms(text: str, ns: int) -> None:
    assert parse_utc_timestamp(text) == ns


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024030112:00:00",
        "20240301-12:00",
        "20240301-12:00:00.",
        "20240301-12:00:00.1234567890",
        "20240301 12:00:00",
        "20241301-12:00:00",
        "20230229-12:00:00",
        "21000229-12:00:00",
        "20240431-12:00:00",
        "20240301-24:00:00",
        "20240301-12:60:00",
        "20240301-12:00:61",
        "2024O301-12:00:00",
        "20240301-12:00:00Z",
        "\u0662\u0660\u0662\u06640301-12:00:00",
        "00000101-00:00:00",
    ],
)
def test_parse_refuses_what_is_not_a_utc_timestamp(text: str) -> None:
    assert parse_utc_timestamp(text) is None


def test_formatting_outside_four_digit_years_is_refused() -> None:
    with pytest.raises(ValueError):
        format_utc_timestamp(MAX_NS + 86_400 * S)
