"""The period a return covers: a whole month, quarter or year, or, for a return filed on every
change (``on_change``), the one day the change takes effect. Written as people say them: YYYY-MM,
YYYY-Qn, YYYY, YYYY-MM-DD, or FROM..TO (two dates, for a year that does not start in January)."""

from __future__ import annotations

import datetime as dt
import re

from ombuds.core.dates import add_months

MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
FORMS = "YYYY-MM, YYYY-Qn, YYYY, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"
_DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")


def _months(start: dt.date, months: int) -> tuple[dt.date, dt.date]:
    return start, add_months(start, months) - dt.timedelta(days=1)


def parse(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day of the period ``text`` names (ValueError when it names none)."""
    text = text.strip()
    if re.fullmatch(r"[0-9]{4}", text):
        return _months(dt.date(int(text), 1, 1), 12)
    if quarter := _QUARTER.fullmatch(text):
        return _months(dt.date(int(quarter[1]), 3 * int(quarter[2]) - 2, 1), 3)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
        return _months(dt.datetime.strptime(text, "%Y-%m").date(), 1)
    if re.fullmatch(_DAY, text):
        day = dt.date.fromisoformat(text)
        return day, day
    if re.fullmatch(f"{_DAY}\\.\\.{_DAY}", text):
        start, end = (dt.date.fromisoformat(part) for part in text.split(".."))
        return start, end
    raise ValueError(f"{text!r} is not a period ({FORMS})")


def problem(kind: str, period: tuple[dt.date, dt.date]) -> str:
    """Why a period does not suit a return of this kind ("" when it does): whole calendar months or
    quarters, twelve months from the first of a month, or one day for a return filed on change."""
    start, end = period
    if end < start:
        return "the period ends before it starts"
    if kind == "on_change":
        if start != end:
            return (
                "an on_change return's period is the one day the change takes effect (YYYY-MM-DD)"
            )
        return ""
    months = MONTHS.get(kind)
    if months is None:
        return ""
    if start.day != 1 or (kind == "quarterly" and start.month % 3 != 1):
        return f"a {kind} return's period starts on the first day of a {kind[:-2]}"
    if end != _months(start, months)[1]:
        return f"a {kind} return's period is one whole {kind[:-2]}"
    return ""


def last(kind: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The last whole month, calendar quarter or calendar year before ``today``; None for a return
    filed on change, whose day only the filer knows."""
    if kind == "on_change":
        return None
    months = MONTHS.get(kind, 1)
    if months == 12:
        return _months(dt.date(today.year - 1, 1, 1), 12)
    current = today.replace(day=1, month=today.month - (today.month - 1) % months)
    return _months(add_months(current, -months), months)
