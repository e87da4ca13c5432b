"""FIX UTCTimestamp text from and to integer nanoseconds since the Unix epoch, by integer math.

Protocols may not import ``datetime`` or ``time`` (the import-linter contract keeps them free of
clocks), so the civil calendar is computed here: :func:`days_from_civil` and
:func:`civil_from_days` are the proleptic Gregorian conversions in 400-year eras (146,097 days
each), which makes them exact for every year from 1 to 9999 in O(1).

Format: ``YYYYMMDD-HH:MM:SS.sss`` (UTC, milliseconds: the precision FIX 4.4 defines). Parsing
also accepts no fraction or 1 to 9 fraction digits, and second 60 (a leap second, which FIX
allows; it is counted as the first second of the next minute).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "NS_PER_SECOND",
    "civil_from_days",
    "days_from_civil",
    "format_utc_timestamp",
    "parse_utc_timestamp",
]

NS_PER_SECOND: Final = 1_000_000_000
_NS_PER_DAY: Final = 86_400 * NS_PER_SECOND
_DAYS_PER_ERA: Final = 146_097  # days in 400 Gregorian years
_DAYS_0000_03_01_TO_EPOCH: Final = 719_468  # 0000-03-01 .. 1970-01-01
_DIGITS: Final = frozenset("0123456789")


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of the proleptic Gregorian date (negative before the epoch)."""
    # Count years from March so that the leap day is the last day of the (shifted) year.
    y = year - 1 if month <= 2 else year
    era = y // 400
    year_of_era = y - era * 400  # [0, 399]
    shifted_month = month - 3 if month > 2 else month + 9  # March = 0
    day_of_year = (153 * shifted_month + 2) // 5 + day - 1  # [0, 365]
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * _DAYS_PER_ERA + day_of_era - _DAYS_0000_03_01_TO_EPOCH


def civil_from_days(days: int) -> tuple[int, int, int]:
    """The (year, month, day) of ``days`` since 1970-01-01; the inverse of days_from_civil."""
    z = days + _DAYS_0000_03_01_TO_EPOCH
    era = z // _DAYS_PER_ERA
    day_of_era = z - era * _DAYS_PER_ERA  # [0, 146096]
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096
    ) // 365  # [0, 399]
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153  # March = 0
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


def format_utc_timestamp(ns: int) -> str:
    """``YYYYMMDD-HH:MM:SS.sss`` of ``ns`` nanoseconds since the epoch (truncated to the ms)."""
    days, ns_of_day = divmod(ns, _NS_PER_DAY)  # floor: times before 1970 stay on their day
    year, month, day = civil_from_days(days)
    if not 1 <= year <= 9999:
        raise ValueError(f"{ns} ns is outside the years 1-9999 a UTCTimestamp can show")
    ms_of_day = ns_of_day // 1_000_000
    seconds, ms = divmod(ms_of_day, 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{year:04d}{month:02d}{day:02d}-{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}"


def parse_utc_timestamp(text: str) -> int | None:
    """Nanoseconds since the epoch of a UTCTimestamp; None when ``text`` is not one."""
    # YYYYMMDD-HH:MM:SS is 17 characters; a fraction adds "." and 1 to 9 digits.
    if len(text) < 17 or text[8] != "-" or text[11] != ":" or text[14] != ":":
        return None
    digits = text[0:8] + text[9:11] + text[12:14] + text[15:17]
    fraction = text[17:]
    if fraction:
        if fraction[0] != "." or not 2 <= len(fraction) <= 10:
            return None
        fraction = fraction[1:]
    if not _DIGITS.issuperset(digits) or not _DIGITS.issuperset(fraction):
        return None
    year, month, day = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
    hour, minute, second = int(digits[8:10]), int(digits[10:12]), int(digits[12:14])
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    frac_ns = int(fraction.ljust(9, "0")) if fraction else 0
    seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    return seconds * NS_PER_SECOND + frac_ns


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31
