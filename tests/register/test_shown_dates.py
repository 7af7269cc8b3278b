"""A record's page writes its dates as Django's `date:"j F Y"` filter would, in each language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import dateformat, translation

from ombuds.register.views import day_month_year


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_date_reads_as_the_date_filter_writes_it(language):
    days = [dt.date(2024, m, d) for m in range(1, 13) for d in (1, 9, 10, 28)]
    days += [dt.date(1, 1, 1), dt.date(999, 12, 31), dt.date(2024, 2, 29), dt.date(9999, 12, 31)]
    with translation.override(language):
        for d in days:
            assert day_month_year(d) == dateformat.format(d, "j F Y")
    with translation.override("es"):
        assert day_month_year(dt.date(2024, 5, 2)) == "2 mayo 2024"
