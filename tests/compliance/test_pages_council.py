"""The council's compliance pages: the coverage of the latest periods (who filed, who is late, the
unresolved findings by provision as a chart and a table), the findings to review with their
filters, a finding with its two actions (close it with a reason, open a case from it) and a
return. The body's staff only; another body's staff see nothing of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases.models import BodyProcedure, Case
from ombuds.compliance import findings, services, synthetic
from ombuds.compliance.models import Finding, Programme, Return
from ombuds.core.changes import version_of
from ombuds.register.models import Membership, MembershipType

MARCH = synthetic.month("2026-03")
PLANTED = ("no_contract", "late_distribution", "fee_beyond_contract")


def _file(council, folder, agency=None, plant=PLANTED, seed=7) -> Return:
    agency = agency or council.agency
    made = synthetic.Synthetic(seed=seed, period=MARCH, clients=10, plant=set(plant))
    return services.return_file(
        organization=council.body,
        agency=agency,
        return_key="trust_ledger",
        period=MARCH,
        paths=made.write(folder),
        user=council.users["agency_admin" if agency == council.agency else "other_agency_admin"],
    )


@pytest.fixture
def filed(council, tmp_path) -> Return:
    return _file(council, tmp_path / "filed")


@pytest.fixture
def escalated(filed) -> Finding:
    """The return's no-contract finding, not answered in time: with the council."""
    finding = filed.findings.get(rule_key="no_contract")
    Finding.objects.filter(pk=finding.pk).update(status=Finding.Status.ESCALATED)
    finding.refresh_from_db()
    return finding


@pytest.fixture
def stranger(db, django_user_model):
    """Staff of another body."""
    body = Organization.objects.create(slug="elsewhere", name="Elsewhere Council")
    user = django_user_model.objects.create_user("sam", "sam@example.org", "pw-not-used")
    BodyRole.objects.create(user=user, organization=body, role="staff")
    return user


def org(council) -> dict:
    return {"org": council.body.slug}


def urls(council, filed, finding) -> dict[str, str]:
    return {
        "coverage": reverse("compliance:coverage", kwargs=org(council)),
        "findings": reverse("compliance:staff_findings", kwargs=org(council)),
        "finding": reverse("compliance:staff_finding", kwargs={**org(council), "pk": finding.pk}),
        "return": reverse("compliance:staff_return", kwargs={**org(council), "pk": filed.pk}),
    }


PAGES = ["coverage", "findings", "finding", "return"]


@pytest.mark.parametrize("page", PAGES)
def test_the_bodys_staff_open_every_page(client, council, filed, escalated, page):
    client.force_login(council.users["body_staff"])
    response = client.get(urls(council, filed, escalated)[page])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    "who", ["agency_admin", "agency_employee", "other_agency_admin", "no_role"]
)
def test_members_and_others_are_refused(client, council, filed, escalated, page, who):
    client.force_login(council.users[who])
    response = client.get(urls(council, filed, escalated)[page])
    assert response.status_code == 403
    assert escalated.detail not in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_another_bodys_staff_are_refused(client, council, filed, escalated, stranger, page):
    client.force_login(stranger)
    assert client.get(urls(council, filed, escalated)[page]).status_code == 403
    # Under their own body's address, the council's finding and return do not exist.
    mine = urls(council, filed, escalated)[page].replace("/council/", "/elsewhere/")
    assert client.get(mine).status_code == (404 if page in ("finding", "return") else 200)


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_asked_to_sign_in(client, council, filed, escalated, page):
    response = client.get(urls(council, filed, escalated)[page])
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("action", ["staff_finding_close", "staff_finding_refer"])
@pytest.mark.parametrize("who", ["agency_admin", "other_agency_admin", "no_role", "stranger"])
def test_nobody_but_the_bodys_staff_decides(client, council, escalated, stranger, action, who):
    BodyProcedure.objects.create(organization=council.body, procedure_key="csec-article-5")
    client.force_login(stranger if who == "stranger" else council.users[who])
    url = reverse(f"compliance:{action}", kwargs={**org(council), "pk": escalated.pk})
    response = client.post(url, {"reason": "Fine.", "version": version_of(escalated)})
    assert response.status_code == 403
    escalated.refresh_from_db()
    assert escalated.status == Finding.Status.ESCALATED and not Case.objects.exists()


# --- coverage ------------------------------------------------------------------------------------


@pytest.fixture
def members(council):
    """Both agencies members since 2025, the programme installed in January 2026."""
    kind = MembershipType.objects.create(
        organization=council.body, code="agency", name="Member agency", kind="organization"
    )
    for n, agency in enumerate((council.agency, council.other_agency)):
        Membership.objects.create(
            organization=council.body,
            membership_type=kind,
            agency=agency,
            number=f"A-{n}",
            status=Membership.Status.ACTIVE,
            start_date=dt.date(2025, 6, 1),
        )
    Programme.objects.filter(organization=council.body).update(
        installed_at=dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
    )
    return council


def test_coverage_says_who_filed_who_is_late_and_charts_findings_by_provision(
    client, members, filed, escalated, django_assert_max_num_queries
):
    council = members
    client.force_login(council.users["body_staff"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("compliance:coverage", kwargs=org(council)))
    text = response.content.decode()
    rows = response.context["periods"]
    assert rows, "the latest periods are listed"
    march = next((r for r in rows if r.start == MARCH[0]), None)
    if march is not None:  # still among the three latest months when the tests run
        assert march.filed == [council.agency] and march.late == [council.other_agency]
    # Every month since February but March is late for both, on any day the tests run.
    assert all(council.other_agency in r.late for r in rows if r.due_on < dt.date.today())
    # The chart: an image with a title and a description, the same figures in a table.
    assert 'role="img"' in text and "<title" in text and "<desc" in text
    counts = {c.provision: c for c in response.context["counts"]}
    assert set(counts) == {"1.2(d)", "1.3(a)", "1.3(d)"}
    assert (counts["1.3(a)"].with_agency, counts["1.3(a)"].with_council) == (0, 1)
    assert text.count('class="chart-bar"') == 3
    assert "CSEC 1.3(a)</th>" in text


def test_coverage_without_a_programme_says_how_to_install_one(client, council):
    Programme.objects.all().delete()
    client.force_login(council.users["body_staff"])
    text = client.get(reverse("compliance:coverage", kwargs=org(council))).content.decode()
    assert "no compliance programme installed" in text


def test_the_staff_navigation_links_to_coverage(client, council):
    client.force_login(council.users["body_staff"])
    text = client.get(reverse("compliance:coverage", kwargs=org(council))).content.decode()
    assert 'aria-label="Staff"' in text and "CSEC compliance</a>" in text


# --- the findings list ---------------------------------------------------------------------------


def test_the_list_shows_what_is_for_the_council_first(client, council, filed, escalated):
    answered = filed.findings.get(rule_key="late_distribution")
    findings.finding_answer(finding=answered, user=council.users["agency_admin"], text="Late.")
    client.force_login(council.users["body_staff"])
    url = reverse("compliance:staff_findings", kwargs=org(council))
    shown = {f.pk for f in client.get(url).context["findings"]}
    assert shown == {escalated.pk, answered.pk}
    shown = {f.pk for f in client.get(url, {"status": "open"}).context["findings"]}
    assert shown == set(filed.findings.filter(status="open").values_list("pk", flat=True))
    shown = {
        f.pk for f in client.get(url, {"status": "all", "provision": "1.3(a)"}).context["findings"]
    }
    assert shown == {escalated.pk}


def test_the_list_filters_by_agency_and_return(client, council, filed, escalated, tmp_path):
    theirs = _file(council, tmp_path / "theirs", agency=council.other_agency, seed=3)
    client.force_login(council.users["body_staff"])
    url = reverse("compliance:staff_findings", kwargs=org(council))
    for params, expected in [
        ({"status": "all", "agency": council.other_agency.pk}, set(theirs.findings.all())),
        ({"status": "all", "return": filed.pk}, set(filed.findings.all())),
        ({"status": "all", "return": theirs.pk, "agency": council.agency.pk}, set()),
    ]:
        assert set(client.get(url, params).context["findings"]) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nonsense"},
        {"provision": "x" * 100_000},
        {"agency": "-1"},
        {"agency": "9" * 40},
        {"return": "abc"},
        {"page": "9999"},
        {"page": "x"},
        {"status": "\x00"},
    ],
)
def test_bad_filters_are_ignored_not_a_server_error(client, council, escalated, params):
    client.force_login(council.users["body_staff"])
    response = client.get(reverse("compliance:staff_findings", kwargs=org(council)), params)
    assert response.status_code in (200, 400)


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_takes_as_many_queries_for_many_findings_as_for_one(
    client, council, filed, escalated, tmp_path
):
    client.force_login(council.users["body_staff"])
    url = reverse("compliance:staff_findings", kwargs=org(council)) + "?status=all"
    few = _count_queries(client, url)
    for n in range(3):
        _file(council, tmp_path / f"more{n}", agency=council.other_agency, seed=20 + n)
        Return.objects.filter(agency=council.other_agency).update(status="superseded")
    assert Finding.objects.count() > 10
    assert _count_queries(client, url) == few
    assert few <= 10


def test_the_list_is_paginated(client, council, filed, tmp_path):
    from ombuds.compliance import staff_views

    client.force_login(council.users["body_staff"])
    url = reverse("compliance:staff_findings", kwargs=org(council))
    total = filed.findings.count()
    staff_views.FINDINGS_PAGE, before = 2, staff_views.FINDINGS_PAGE
    try:
        page = client.get(url, {"status": "all", "page": 2}).context["page"]
    finally:
        staff_views.FINDINGS_PAGE = before
    assert page.number == 2 and page.paginator.count == total


# --- deciding ------------------------------------------------------------------------------------


def test_staff_close_a_finding_with_their_reason(client, council, escalated):
    client.force_login(council.users["body_staff"])
    url = reverse("compliance:staff_finding_close", kwargs={**org(council), "pk": escalated.pk})
    response = client.post(url, {"reason": "", "version": version_of(escalated)})
    assert response.status_code == 400
    assert "Say why the finding is closed." in response.content.decode()
    response = client.post(
        url, {"reason": "The contract was found.", "version": version_of(escalated)}, follow=True
    )
    escalated.refresh_from_db()
    assert escalated.status == Finding.Status.ACCEPTED
    assert escalated.resolution == "The contract was found."
    assert "Closed by the council" in response.content.decode()


def test_a_stale_close_is_refused_saying_why(client, council, escalated):
    client.force_login(council.users["body_staff"])
    stale = version_of(escalated)
    findings.finding_accept(finding=escalated, user=council.users["body_staff"], reason="First.")
    url = reverse("compliance:staff_finding_close", kwargs={**org(council), "pk": escalated.pk})
    response = client.post(url, {"reason": "Second.", "version": stale})
    assert response.status_code == 400
    assert "changed since you read it" in response.content.decode()


def test_staff_open_a_case_from_a_finding_and_land_on_its_page(client, council, escalated):
    BodyProcedure.objects.create(organization=council.body, procedure_key="csec-article-5")
    client.force_login(council.users["body_staff"])
    page = client.get(
        reverse("compliance:staff_finding", kwargs={**org(council), "pk": escalated.pk})
    )
    assert "Open a case from this finding" in page.content.decode()
    url = reverse("compliance:staff_finding_refer", kwargs={**org(council), "pk": escalated.pk})
    response = client.post(url, {"version": version_of(escalated)})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "cases_staff:case", kwargs={**org(council), "reference": case.reference}
    )
    escalated.refresh_from_db()
    assert escalated.status == Finding.Status.REFERRED and escalated.case == case
    text = client.get(
        reverse("compliance:staff_finding", kwargs={**org(council), "pk": escalated.pk})
    ).content.decode()
    assert response["Location"] in text  # the finding links to its case


def test_no_case_is_opened_from_a_finding_the_agency_may_still_answer(client, council, filed):
    BodyProcedure.objects.create(organization=council.body, procedure_key="csec-article-5")
    finding = filed.findings.first()
    client.force_login(council.users["body_staff"])
    page = client.get(
        reverse("compliance:staff_finding", kwargs={**org(council), "pk": finding.pk})
    )
    assert "Open a case from this finding" not in page.content.decode()
    url = reverse("compliance:staff_finding_refer", kwargs={**org(council), "pk": finding.pk})
    response = client.post(url, {"version": version_of(finding)})
    assert response.status_code == 400
    assert "did not answer in time" in response.content.decode()
    assert not Case.objects.exists()


def test_a_case_is_not_opened_without_a_procedure_saying_why(client, council, escalated):
    client.force_login(council.users["body_staff"])
    url = reverse("compliance:staff_finding_refer", kwargs={**org(council), "pk": escalated.pk})
    response = client.post(url, {"version": version_of(escalated)})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize("name", ["staff_finding_close", "staff_finding_refer"])
def test_the_actions_answer_a_get_with_the_finding(client, council, escalated, name):
    client.force_login(council.users["body_staff"])
    url = reverse(f"compliance:{name}", kwargs={**org(council), "pk": escalated.pk})
    assert client.get(url).status_code == 302


def test_the_staff_return_page_says_who_filed_it(client, council, filed):
    client.force_login(council.users["body_staff"])
    url = reverse("compliance:staff_return", kwargs={**org(council), "pk": filed.pk})
    text = client.get(url).content.decode()
    assert f"by {filed.filed_by_label}" in text
    for f in filed.findings.all():
        assert reverse("compliance:staff_finding", kwargs={**org(council), "pk": f.pk}) in text
