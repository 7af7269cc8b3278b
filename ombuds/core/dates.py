"""Calendar arithmetic the apps share."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier, when negative), kept inside a shorter month:
    31 January plus one month is the last day of February."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_business_day(day: dt.date, holidays: frozenset[dt.date] = frozenset()) -> bool:
    """Monday to Friday, and not one of the holidays."""
    return day.weekday() < 5 and day not in holidays


def add_business_days(
    day: dt.date, days: int, holidays: frozenset[dt.date] = frozenset()
) -> dt.date:
    """The business day ``days`` business days after ``day`` (``day`` itself when ``days`` is 0)."""
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day, holidays):
            left -= 1
    return day


def next_business_day(day: dt.date, holidays: frozenset[dt.date] = frozenset()) -> dt.date:
    """``day`` if it is a business day, else the first business day after it."""
    while not is_business_day(day, holidays):
        day += dt.timedelta(days=1)
    return day
