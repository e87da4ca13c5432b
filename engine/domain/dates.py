"""Calendar dates as the domain sees them: integers, derived from the sequenced ``ts``.

A trade's date is the UTC calendar date of its command's ``ts`` (nanoseconds since the Unix
epoch, stamped by the gateway and journaled): the domain never reads a clock. Internally a date
is an *epoch day* (days since 1970-01-01, so ``ts // NS_PER_DAY``); on the wire, in events and
in commands it is the integer ``YYYYMMDD`` (20261207), readable and still an integer.

The conversions are Howard Hinnant's ``days_from_civil`` / ``civil_from_days`` in integer
arithmetic, valid for every year 1..9999; nothing here imports ``datetime`` (the domain's
import contract forbids it, so that no clock is ever one attribute away).

Which dates are business days, and which trade date settles on which date, is the business
calendar's (``engine.settlement.calendar``), outside the domain.
"""

from __future__ import annotations

from typing import Final

NS_PER_DAY: Final = 86_400 * 1_000_000_000
#: The epoch days of 0001-01-01 and 9999-12-31: the dates a YYYYMMDD integer can name.
FIRST_DAY: Final = -719_162
LAST_DAY: Final = 2_932_896


def epoch_day(ts: int) -> int:
    """The UTC epoch day of ``ts`` (ns since the epoch; floor division, so before 1970 too)."""
    return ts // NS_PER_DAY


def civil(day: int) -> tuple[int, int, int]:
    """(year, month, day of month) of epoch day ``day``."""
    z = day + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def days_from_civil(year: int, month: int, day: int) -> int:
    """The epoch day of a (proleptic Gregorian) date; the arguments are not checked."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = month - 3 if month > 2 else month + 9
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def to_yyyymmdd(day: int) -> int:
    """Epoch day -> ``YYYYMMDD``."""
    y, m, d = civil(day)
    return y * 10_000 + m * 100 + d


def from_yyyymmdd(value: int) -> int | None:
    """``YYYYMMDD`` -> epoch day, or None if ``value`` names no date in years 1..9999."""
    if not 10_101 <= value <= 99_991_231:
        return None
    year, rest = divmod(value, 10_000)
    month, day = divmod(rest, 100)
    if not 1 <= month <= 12 or day < 1:
        return None
    epoch = days_from_civil(year, month, day)
    return epoch if civil(epoch) == (year, month, day) else None
