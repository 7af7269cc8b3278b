"""Certification's daily work (run by the worker once a day: `ombuds.operations.daily`)."""

from __future__ import annotations

import datetime as dt

from ombuds.certification.services import applications_tick


def daily_work(*, today: dt.date | None = None) -> dict[str, int]:
    """Requests for information unanswered in time lapse, suspensions of eligibility end,
    eligibility that ended closes its application; notices the mail server refused go out again."""
    return applications_tick(today=today)
