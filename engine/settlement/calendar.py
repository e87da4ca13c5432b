"""The business-day calendar of settlement: weekends, holidays, and T + N business days.

The domain settles what a ``Settle`` command names and knows no calendar (``engine.domain``
reads no clock and keeps no holidays); this module is where dates become business days, for
``sequex settle`` and whoever else sends the command.

* A business day is a Monday..Friday that is not a configured holiday (``[settlement]
  holidays``).
* The settlement date of a trade date T is ``cycle_days`` business days after T; a trade on a
  day that is not a business day (the exchange may trade on a Saturday) counts as a trade of
  the next business day, as exchanges treat it, so it settles with that day's trades.
* :meth:`BusinessCalendar.trade_date_through` answers the settle run's question: on
  settlement date D, which trades settle? Those of every date T with settlement date <= D, so
  the latest such T (the ``Settle`` command settles everything up to its trade date that is
  not settled yet, which also picks up a run that was missed). D must be a business day.

Pure: dates in, dates out (``datetime.date``; the command carries them as ``YYYYMMDD``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Final

#: The longest run of non-business days the calendar accepts while searching (a year).
MAX_CLOSED_RUN: Final = 366


class CalendarError(ValueError):
    """A date question the calendar cannot answer (e.g. settling on a holiday)."""


class BusinessCalendar:
    def __init__(self, holidays: Iterable[date] = (), cycle_days: int = 2) -> None:
        if cycle_days < 1:
            raise ValueError(f"cycle_days must be >= 1, got {cycle_days}")
        self.holidays = frozenset(holidays)
        self.cycle_days = cycle_days

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_business_day(self, day: date) -> date:
        """``day`` if it is a business day, else the first one after it."""
        for _ in range(MAX_CLOSED_RUN):
            if self.is_business_day(day):
                return day
            day += timedelta(days=1)
        raise CalendarError(f"no business day within {MAX_CLOSED_RUN} days of {day}")

    def add_business_days(self, day: date, count: int) -> date:
        """The business day ``count`` business days after ``day`` (a business day)."""
        for _ in range(count):
            day = self.next_business_day(day + timedelta(days=1))
        return day

    def settlement_date(self, trade_date: date) -> date:
        """When the trades of ``trade_date`` settle (T + cycle_days business days)."""
        return self.add_business_days(self.next_business_day(trade_date), self.cycle_days)

    def trade_date_through(self, settle_date: date) -> date:
        """The latest trade date whose trades settle on or before ``settle_date`` (a business
        day; CalendarError otherwise)."""
        if not self.is_business_day(settle_date):
            raise CalendarError(f"{settle_date} is not a business day: nothing settles on it")
        day = settle_date - timedelta(days=1)
        for _ in range(MAX_CLOSED_RUN * (self.cycle_days + 1)):
            if self.settlement_date(day) <= settle_date:
                return day
            day -= timedelta(days=1)
        raise CalendarError(f"no trade date settles on {settle_date}")
