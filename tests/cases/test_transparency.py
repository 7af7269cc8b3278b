"""The public transparency pages of a body: its published decisions (searchable by provision and
year) and its complaint statistics, de-identified with small counts hidden, as charts with tables
and as CSV. Public, no sign-in; a fixed number of queries however many cases."""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ombuds.cases import transparency
from ombuds.cases.models import Allegation, Case
from ombuds.cases.transparency import HIDDEN_TEXT, Cell, suppress
from tests.cases.conftest import file_case
from tests.cases.test_decisions import _sanctioned

pytestmark = pytest.mark.django_db

SECRET = "They kept my support payment for three months."


def _clone(case: Case, n: int, **fields) -> list[Case]:
    """``n`` more complaints like ``case`` (same allegations), with ``fields`` changed."""
    made = []
    provisions = [list(a.provisions.all()) for a in case.allegations.order_by("position")]
    for _ in range(n):
        copy = Case.objects.get(pk=case.pk)
        copy.pk = None
        copy.reference = f"{case.reference}-{Case.objects.count()}"
        copy.receipt_code = None
        copy.submission_key = None
        for name, value in fields.items():
            setattr(copy, name, value)
        copy.save()
        for position, cited in enumerate(provisions, start=1):
            allegation = Allegation.objects.create(case=copy, position=position, summary="x")
            allegation.provisions.set(cited)
        made.append(copy)
    return made


def _closed(state: str, days: int) -> dict:
    now = timezone.now()
    return {"state": state, "filed_at": now - dt.timedelta(days=days), "closed_at": now}


@pytest.fixture
def thirteen(csec):
    """13 complaints: 6 dismissed (closed after 10 days), 5 referred (after 20 days), 2 open;
    one anonymous; all allege 1.1(a), three also 1.2."""
    first = file_case(csec, complainant_name="Robin Unique-Name")
    Case.objects.filter(pk=first.pk).update(**_closed("dismissed", 10))
    first.refresh_from_db()
    _clone(first, 5, **_closed("dismissed", 10))
    _clone(first, 5, **_closed("referred", 20))
    _clone(first, 1, state="received", closed_at=None)
    _clone(first, 1, state="received", closed_at=None, anonymous=True, complainant_name="")
    also = Case.objects.filter(organization=csec.org).order_by("pk")[:3]
    for case in also:
        case.allegations.first().provisions.add(csec.provision("1.2"))
    return csec


def _stats_url(org: str = "csec", **query) -> str:
    url = reverse("cases:statistics", kwargs={"org": org})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_suppression_hides_small_counts_and_one_more_where_they_add_up():
    cells = suppress([("a", 9), ("b", 2), ("c", 6), ("d", 0)], complementary=True)
    assert [c.text for c in cells] == ["9", HIDDEN_TEXT, HIDDEN_TEXT, "0"]
    # Where counts do not add up to a total (a complaint may allege several provisions), only the
    # small ones are hidden.
    cells = suppress([("a", 9), ("b", 2), ("c", 6)], complementary=False)
    assert [c.value for c in cells] == [9, None, 6]
    # Two hidden already cannot be told apart by subtraction.
    cells = suppress([("a", 9), ("b", 2), ("c", 3)], complementary=True)
    assert [c.value for c in cells] == [9, None, None]


def test_statistics_count_outcomes_provisions_time_to_close_and_anonymity(thirteen):
    stats = transparency.body_statistics(thirteen.org)
    assert stats.total == Cell("Complaints received", 13)
    assert [(c.label, c.value) for c in stats.by_outcome] == [
        ("Dismissed", 6),
        # 5 is shown on its own, but is hidden with the open ones, which are fewer than 5:
        ("Referred elsewhere", None),
        ("Still open", None),
    ]
    assert [(c.label, c.value) for c in stats.by_provision] == [("1.1(a)", 13), ("1.2", None)]
    # One anonymous: hidden, and so is the named count that would reveal it, and the share.
    assert [c.value for c in stats.anonymity] == [None, None]
    assert stats.anonymous_percent is None
    assert stats.median_days_to_close == pytest.approx(10, abs=0.01)


def test_hidden_counts_are_listed_in_the_codes_order_not_by_size(thirteen):
    for case in Case.objects.filter(organization=thirteen.org).order_by("-pk")[:4]:
        case.allegations.first().provisions.add(thirteen.provision("2.1"))
    stats = transparency.body_statistics(thirteen.org)
    # 2.1 (4 complaints) would come before 1.2 (3) if sorted by the hidden counts.
    assert [c.label for c in stats.by_provision] == ["1.1(a)", "1.2", "2.1"]
    assert [c.value for c in stats.by_provision] == [13, None, None]


def test_a_body_with_fewer_than_five_complaints_shows_only_that(client, csec):
    file_case(csec)
    stats = transparency.body_statistics(csec.org)
    assert stats.too_few and stats.by_outcome == [] and stats.median_days_to_close is None
    html = client.get(_stats_url()).content.decode()
    assert "fewer than 5</strong> complaints received" in html
    assert "nothing more is shown" in html


def test_statistics_page_is_public_and_shows_charts_with_tables_and_no_one(client, thirteen):
    response = client.get(_stats_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'aria-hidden="true"' in html  # the chart is drawn on the server
    assert "<caption>Complaints by outcome</caption>" in html  # and read from a table
    assert '<th scope="row">Dismissed</th><td>6</td>' in html
    assert f'<th scope="row">Still open</th><td>{HIDDEN_TEXT}</td>' in html
    assert "How small numbers are hidden" in html
    for case in Case.objects.filter(organization=thirteen.org):
        assert case.reference not in html
    for secret in ("Robin Unique-Name", "Pat Complainant", "pat@example.org", SECRET):
        assert secret not in html
    assert "Faithful Support Recovery" not in html  # the respondent is not named either


def test_statistics_csv_has_the_same_suppressed_figures(client, thirteen):
    response = client.get(reverse("cases:statistics_csv", kwargs={"org": "csec"}))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["table", "label", "count"]
    assert ["complaints received", "all years", "13"] in rows
    assert ["by outcome", "Still open", HIDDEN_TEXT] in rows
    assert ["by provision alleged", "1.2", HIDDEN_TEXT] in rows
    assert ["time to close", "median days", "10"] in rows
    assert "Robin Unique-Name" not in text and SECRET not in text


def test_statistics_of_one_year(client, thirteen):
    # The fixture filed its complaints up to 20 days ago: in early January, last year's. Those it
    # filed before this year are moved to the year's first moment, the referred ones three years
    # back (to 1 January, a day every year has, unlike 29 February).
    new_year = timezone.localtime().replace(
        month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    year = new_year.year
    cases = Case.objects.filter(organization=thirteen.org)
    cases.filter(filed_at__lt=new_year).update(filed_at=new_year)
    cases.filter(state="referred").update(filed_at=new_year.replace(year=year - 3))
    stats = transparency.body_statistics(thirteen.org, year=year)
    assert stats.total.value == 8
    assert stats.years == [year, year - 3]
    assert client.get(_stats_url(year=year)).status_code == 200


def test_a_bad_year_is_refused_clearly(client, thirteen):
    response = client.get(_stats_url(year="twenty"))
    assert response.status_code == 400
    assert "Enter the year as four digits" in response.content.decode()
    csv_response = client.get(reverse("cases:statistics_csv", kwargs={"org": "csec"}) + "?year=x")
    assert csv_response.status_code == 400


def test_unknown_body_is_404(client, db):
    assert client.get(_stats_url("nobody")).status_code == 404
    assert client.get(reverse("cases:decisions", kwargs={"org": "nobody"})).status_code == 404


def test_statistics_take_the_same_number_of_queries_however_many_cases(client, thirteen):
    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(_stats_url()).status_code == 200
        return len(context)

    before = count()
    first = Case.objects.filter(organization=thirteen.org).first()
    _clone(first, 20, **_closed("closed", 30))
    cache.clear()  # the figures shown are kept for a while (below)
    assert count() == before


def test_the_public_sees_the_same_figures_for_a_while_and_when_they_were_counted(
    client, thirteen, monkeypatch
):
    """At a million cases the statistics take seconds: the pages count them at most once every
    STATISTICS_TTL for a body and year, and say when they were counted."""
    html = client.get(_stats_url()).content.decode()
    assert "<strong>13</strong> complaints received" in html
    assert "Figures as of " in html and "brought up to date every 10 minutes" in html
    first = Case.objects.filter(organization=thirteen.org).first()
    _clone(first, 2)
    with CaptureQueriesContext(connection) as context:
        html = client.get(_stats_url()).content.decode()
    assert "<strong>13</strong> complaints received" in html
    assert not [q for q in context.captured_queries if "cases_case" in q["sql"]]
    assert transparency.body_statistics(thirteen.org).total.value == 15  # what is stored
    monkeypatch.setattr(transparency, "STATISTICS_TTL", 0)
    cache.clear()
    assert "<strong>15</strong> complaints received" in client.get(_stats_url()).content.decode()


def test_the_median_time_to_close_is_the_middle_of_the_closed_cases(thirteen):
    stats = transparency.body_statistics(thirteen.org)
    first = Case.objects.filter(organization=thirteen.org).first()
    _clone(first, 3, **_closed("closed", 1000))  # an even number now: the two middle ones
    closed = Case.objects.filter(organization=thirteen.org, closed_at__isnull=False)
    spans = sorted((c.closed_at - c.filed_at).total_seconds() / 86400 for c in closed)
    assert len(spans) % 2 == 0
    again = transparency.body_statistics(thirteen.org)
    assert again.median_days_to_close == pytest.approx(statistics.median(spans))
    assert again.median_days_to_close != stats.median_days_to_close


# --- published decisions -------------------------------------------------------------------------


def _decisions_url(**query) -> str:
    url = reverse("cases:decisions", kwargs={"org": "csec"})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_decisions_index_lists_public_decisions_only_and_never_the_complainant(client, csec):
    public, _ = _sanctioned(csec, publication="public")
    private, _ = _sanctioned(csec, publication="private")
    response = client.get(_decisions_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert public.reference in html
    assert private.reference not in html
    assert reverse("cases:decision", kwargs={"org": "csec", "reference": public.reference}) in html
    assert "Pat Complainant" not in html and "pat@example.org" not in html and SECRET not in html


def test_decisions_are_read_a_page_at_a_time(client, csec, monkeypatch):
    """The index counts the decisions in the engine and reads only the page shown, so that its
    queries do not grow with the decisions published."""
    monkeypatch.setattr(transparency, "DECISIONS_PAGE", 1)
    older, _ = _sanctioned(csec, publication="public")
    newer, _ = _sanctioned(csec, publication="public")

    def page(number: int) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as context:
            html = client.get(_decisions_url(page=number)).content.decode()
        return html, len(context)

    first, queries = page(1)
    assert "2 decisions." in first and "Older decisions" in first
    shown = [c.reference for c in (older, newer) if c.reference in first]
    second, _ = page(2)
    assert len(shown) == 1 and shown[0] not in second
    (other,) = {older.reference, newer.reference} - set(shown)
    assert other in second
    _sanctioned(csec, publication="public")
    assert page(1)[1] == queries


def test_decisions_search_by_provision_and_year(client, csec):
    case, sanction = _sanctioned(csec, publication="public")
    cited = sanction.provisions.first().citation
    year = sanction.decided_on.year
    assert case.reference in client.get(_decisions_url(provision=cited)).content.decode()
    assert case.reference in client.get(_decisions_url(year=year)).content.decode()
    missing = client.get(_decisions_url(provision="9.9")).content.decode()
    assert case.reference not in missing and "0 decisions match" in missing
    assert case.reference not in client.get(_decisions_url(year=year - 1)).content.decode()
    assert client.get(_decisions_url(year="abc")).status_code == 400


def test_body_home_and_decision_page_link_to_the_transparency_pages(client, csec):
    case, _ = _sanctioned(csec, publication="public")
    home = client.get(reverse("profile:home", kwargs={"org": "csec"})).content.decode()
    assert reverse("cases:decisions", kwargs={"org": "csec"}) in home
    assert reverse("cases:statistics", kwargs={"org": "csec"}) in home
    page = client.get(
        reverse("cases:decision", kwargs={"org": "csec", "reference": case.reference})
    )
    assert reverse("cases:decisions", kwargs={"org": "csec"}) in page.content.decode()
