"""The inbox reads the stored next due date (`Case.next_due`) and the kept counts by state
(`CaseCount`): the same cases in the same order, and the same counts, as when it computed them
from every deadline and every case (a copy of that query is kept here to compare with), in the
same number of queries whatever the number of the body's cases."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ombuds.bodies.models import BodyRole
from ombuds.cases import selectors, services
from ombuds.cases.models import Allegation, BodyProcedure, Case, CaseCount, CaseDeadline, Notice
from ombuds.cases.selectors import (
    INBOX_SORTS,
    _to_deliver_count,
    body_procedure,
    state_label,
    visible_cases,
)
from ombuds.cases.services.deadlines import next_due_refresh
from tests.cases.test_staff_pages import _to_deliver, file_case, step


@pytest.fixture
def csec_guild(body, published):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    return body


@pytest.fixture
def people(personas, body, django_user_model):
    """The personas, with the chair."""
    chair = django_user_model.objects.create_user("cora", "cora@example.org", "pw")
    BodyRole.objects.create(user=chair, organization=body, role="ethics_chair")
    return {**personas, "chair": chair}


# --- the inbox as it was: the due date and the counts computed from every row --------------------


def old_inbox(
    *, organization, user, state="", overdue=False, mine=False, respondent="", provision="", sort=""
) -> dict[str, Any]:
    procedure = body_procedure(organization)
    states = dict(procedure.states) if procedure else {}
    visible = visible_cases(user, organization)
    # A deadline waiting for the delivery of the respondent's notice does not count yet (its due
    # date is not known): neither overdue nor the next one due, as the case page says.
    late = CaseDeadline.objects.filter(
        case=OuterRef("pk"),
        met_at__isnull=True,
        expired_at__isnull=True,
        waits_for_delivery=False,
        due_on__lt=timezone.localdate(),
    )
    cases = visible
    if state == "open":
        cases = cases.filter(closed_at__isnull=True)
    elif state in states:
        cases = cases.filter(state=state)
    else:
        state = ""
    if overdue:
        cases = cases.filter(Exists(late))
    if mine:
        cases = cases.filter(handler=user)
    if respondent:
        cases = cases.filter(respondent_name__icontains=respondent)
    if provision:
        cited = Allegation.provisions.through.objects.filter(
            allegation__case=OuterRef("pk"), provision__citation__iexact=provision
        )
        cases = cases.filter(Exists(cited))
    sort = sort if sort in INBOX_SORTS else "newest"
    matching = cases.count()
    cases = cases.annotate(
        computed_due=Min(
            "deadlines__due_on",
            filter=Q(
                deadlines__met_at__isnull=True,
                deadlines__expired_at__isnull=True,
                deadlines__waits_for_delivery=False,
            ),
        ),
        is_late=Exists(late),
        to_deliver=Coalesce(Subquery(_to_deliver_count()), 0),
    )
    if sort == "due":
        cases = cases.order_by(F("computed_due").asc(nulls_last=True), "-filed_at", "-pk")
    else:
        cases = cases.order_by(INBOX_SORTS[sort], "-pk")
    counts = {
        row["state"]: row
        for row in visible.order_by()
        .values("state")
        .annotate(
            n=Count("pk", distinct=True),
            open=Count("pk", filter=Q(closed_at__isnull=True), distinct=True),
            to_deliver=Count(
                "notices",
                filter=Q(
                    notices__recipient_role="respondent", notices__status=Notice.Status.TO_DELIVER
                ),
                distinct=True,
            ),
        )
    }
    return {
        "rows": [
            (c.reference, c.computed_due, c.is_late, c.to_deliver, state_label(c))
            for c in cases[:50]
        ],
        "matching": matching,
        "states": [(k, s.label, counts.get(k, {}).get("n", 0)) for k, s in states.items()],
        "total": sum(r["n"] for r in counts.values()),
        "open_total": sum(r["open"] for r in counts.values()),
        "overdue_total": visible.filter(Exists(late)).count(),
        "to_deliver_total": sum(r["to_deliver"] for r in counts.values()),
        "state": state,
        "sort": sort,
    }


def new_inbox(**filters: Any) -> dict[str, Any]:
    found = selectors.inbox(**filters)
    return {
        "rows": [
            (c.reference, c.next_due, c.is_overdue, c.to_deliver, c.state_label)
            for c in found.cases
        ],
        "matching": found.matching,
        "states": found.states,
        "total": found.total,
        "open_total": found.open_total,
        "overdue_total": found.overdue_total,
        "to_deliver_total": found.to_deliver_total,
        "state": found.state,
        "sort": found.sort,
    }


def _move_deadline(case: Case, name: str, days: int) -> None:
    """A deadline due ``days`` from today (moved behind the services' back, as the clock's tests
    do, and the stored date refreshed as the services do)."""
    CaseDeadline.objects.filter(case=case, name=name).update(
        due_on=timezone.localdate() + dt.timedelta(days=days)
    )
    next_due_refresh(Case.objects.get(pk=case.pk))


@pytest.fixture
def varied(csec_guild, people, published):
    """Cases in several states, open and closed, with deadlines overdue, due today, later, tied,
    met and none; the same filing time twice; handled or not; citing a provision or not;
    notices to deliver; one the committee member is recused from."""
    chair, staff = people["chair"], people["body_staff"]
    cited = published.provisions.get(citation="1.1(a)")
    made = []
    for i in range(12):
        name = ["Acme Recovery", "Beta Collections", "Gamma Agency"][i % 3]
        made.append(
            file_case(csec_guild, respondent_name=name, provisions=[cited] if i % 4 == 0 else [])
        )
    step(made[1], chair, "acknowledge")
    step(made[2], chair, "acknowledge")
    step(made[3], chair, "dismiss", ground="withdrawn", reasons="The complainant withdrew it.")
    step(made[4], chair, "acknowledge")
    step(Case.objects.get(pk=made[4].pk), chair, "notify_agency")
    for i in (5, 6, 9):
        services.case_handler_set(case=made[i], handler=staff, acting_user=chair)
    for i, days in [(0, -3), (5, -1), (6, 0), (7, 4), (8, 4), (10, 9), (11, -3)]:
        _move_deadline(made[i], "acknowledge", days)
    for i in (2, 7, 10):
        _to_deliver(made[i], 1 + i % 2)
    # A deadline waiting for a delivery, with the provisional date it was created with long past.
    CaseDeadline.objects.create(
        case=made[1],
        name="answer",
        label="Answer",
        starts_on=timezone.localdate() - dt.timedelta(days=40),
        due_on=timezone.localdate() - dt.timedelta(days=10),
        waits_for_delivery=True,
    )
    next_due_refresh(Case.objects.get(pk=made[1].pk))
    services.recusal_record(
        case=made[8],
        user=people["committee_member"],
        reason="Worked for them.",
        acting_user=chair,
    )
    now = timezone.now()
    for i, case in enumerate(made):
        filed = now - dt.timedelta(days=20 - (i if i != 6 else 5))  # 5 and 6: the same time
        Case.objects.filter(pk=case.pk).update(filed_at=filed)
    return made


def test_the_inbox_matches_the_inbox_computed_from_every_row(csec_guild, people, varied):
    states = ["", "open", "nonsense", *dict(body_procedure(csec_guild).states)]
    compared = 0
    sorts = [*INBOX_SORTS, "x"]
    combos = [(state, False, False, "", "") for state in states]  # each state, alone
    combos += itertools.product(
        ("", "open"), (False, True), (False, True), ("", "acme"), ("", "1.1(A)", "2.1", "9.9")
    )
    for user in (people["chair"], people["body_staff"], people["committee_member"]):
        for (state, overdue, mine, respondent, provision), sort in itertools.product(combos, sorts):
            filters = dict(
                organization=csec_guild,
                user=user,
                state=state,
                overdue=overdue,
                mine=mine,
                respondent=respondent,
                provision=provision,
                sort=sort,
            )
            assert new_inbox(**filters) == old_inbox(**filters), filters
            compared += 1
    assert compared > 100
    # The fixture is varied enough for the comparison to mean something.
    shown = new_inbox(organization=csec_guild, user=people["chair"], sort="due")
    assert shown["overdue_total"] == 3 and shown["to_deliver_total"] == 4
    assert len({row[1] for row in shown["rows"]}) >= 5


def test_the_kept_counts_are_the_counted_ones(csec_guild, people, varied):
    kept = {(c.state, c.cases, c.open) for c in CaseCount.objects.filter(organization=csec_guild)}
    counted = {
        (r["state"], r["n"], r["o"])
        for r in Case.objects.filter(organization=csec_guild)
        .values("state")
        .annotate(n=Count("pk"), o=Count("pk", filter=Q(closed_at__isnull=True)))
    }
    assert kept == counted


def test_the_stored_due_dates_are_the_counting_deadlines_earliest(csec_guild, varied):
    waiting = Case.objects.get(pk=varied[1].pk)
    assert waiting.deadlines.filter(waits_for_delivery=True, due_on__lt=timezone.localdate())
    assert waiting.next_due is None or waiting.next_due >= timezone.localdate()
    for case in Case.objects.filter(organization=csec_guild):
        counting = case.deadlines.filter(
            met_at__isnull=True, expired_at__isnull=True, waits_for_delivery=False
        )
        assert case.next_due == min((d.due_on for d in counting), default=None), case.reference


def _queries(organization, user, **filters) -> int:
    with CaptureQueriesContext(connection) as captured:
        selectors.inbox(organization=organization, user=user, **filters)
    return len(captured)


FILTERS = [
    {},
    {"state": "open", "sort": "due"},
    {"state": "received", "sort": "oldest"},
    {"overdue": True, "mine": True, "respondent": "acme", "provision": "1.1(a)"},
]


def test_the_inbox_takes_as_many_queries_for_200_cases_as_for_10(
    csec_guild, people, published, settings
):
    chair = people["chair"]
    cited = published.provisions.get(citation="1.1(a)")
    for i in range(10):
        case = file_case(csec_guild, respondent_name=f"Acme {i}", provisions=[cited])
        _to_deliver(case)
        services.case_handler_set(case=case, handler=chair, acting_user=chair)
    few = [_queries(csec_guild, chair, **f) for f in FILTERS]
    for i in range(190):
        case = file_case(csec_guild, respondent_name=f"Acme {i}", provisions=[cited])
        if i % 3 == 0:
            _to_deliver(case)
            services.case_handler_set(case=case, handler=chair, acting_user=chair)
    assert Case.objects.filter(organization=csec_guild).count() == 200
    assert [_queries(csec_guild, chair, **f) for f in FILTERS] == few


def test_the_overdue_count_stops_at_the_cap_and_the_page_says_so(
    csec_guild, people, varied, client, monkeypatch
):
    """Counting every overdue case would read them all (50,000 at a million cases): the count
    stops one past the cap, and the page says "more than" instead of a figure."""
    chair = people["chair"]
    assert selectors.inbox(organization=csec_guild, user=chair).overdue_total == 3
    monkeypatch.setattr(selectors, "INBOX_COUNT_CAP", 2)
    found = selectors.inbox(organization=csec_guild, user=chair)
    assert found.overdue_total == 3 and found.overdue_figure == "More than 2"
    client.force_login(chair)
    page = client.get(f"/staff/{csec_guild.slug}/cases/").content.decode()
    assert "<strong>More than 2</strong> with an overdue deadline" in page
    assert "Overdue only (more than 2)" in page
    monkeypatch.setattr(selectors, "INBOX_COUNT_CAP", 3)
    assert selectors.inbox(organization=csec_guild, user=chair).overdue_figure == "3"
    page = client.get(f"/staff/{csec_guild.slug}/cases/").content.decode()
    assert "<strong>3</strong> with an overdue deadline" in page


def test_a_filters_matches_are_counted_up_to_their_cap_and_the_page_says_more_than(
    csec_guild, people, varied, client, monkeypatch
):
    """Counting a filter's matches means finding them, case by case: the count stops one past
    FILTER_COUNT_CAP, whatever the body's size, and the page says "More than"."""
    chair = people["chair"]
    found = selectors.inbox(organization=csec_guild, user=chair, respondent="acme")
    assert (found.matching, found.matching_capped) == (4, False)
    monkeypatch.setattr(selectors, "FILTER_COUNT_CAP", 3)
    found = selectors.inbox(organization=csec_guild, user=chair, respondent="acme")
    assert (found.matching, found.matching_capped, len(found.cases)) == (4, True, 4)
    client.force_login(chair)
    page = client.get(f"/staff/{csec_guild.slug}/cases/?respondent=acme").content.decode()
    assert "More than 3 cases match." in page
    monkeypatch.setattr(selectors, "FILTER_COUNT_CAP", 4)
    page = client.get(f"/staff/{csec_guild.slug}/cases/?respondent=acme").content.decode()
    assert "4 cases match." in page


def test_the_inbox_opens_none_of_the_sealed_fields_it_does_not_show(
    csec_guild, people, varied, monkeypatch
):
    """Each page of the inbox would otherwise open six sealed fields per case (300 a page)."""
    from ombuds.core import crypto

    opened = []
    real = crypto.open_text
    monkeypatch.setattr(crypto, "open_text", lambda *a, **k: opened.append(1) or real(*a, **k))
    found = selectors.inbox(organization=csec_guild, user=people["chair"])
    assert len(found.cases) == 12 and not opened
    assert found.cases[0].what_happened  # still there when asked for, read then
    assert opened


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL index")
def test_the_respondent_filter_reads_its_index_without_a_pending_list(csec_guild, people, varied):
    """The trigram index takes each new case's words in place: a GIN "fast update" list would make
    every respondent search read up to 4 MB of unsorted entries until a vacuum merged them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'case_respondent_trgm'")
        assert cursor.fetchone()[0] == ["fastupdate=off"]
    found = selectors.inbox(organization=csec_guild, user=people["chair"], respondent="CME REC")
    assert [c.respondent_name for c in found.cases] == ["Acme Recovery"] * 4
