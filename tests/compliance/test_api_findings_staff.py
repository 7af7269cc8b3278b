"""The council's compliance API: the body's staff, with a token of the body and the compliance
scopes, list the findings (filtered, a page at a time), read the coverage, close a finding with a
reason and open a case from one; another body's staff, a token without the scope, a member's token
and nobody at all are refused, a stale change is 409, and nothing changes on a refusal."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.cases.models import BodyProcedure, Case
from ombuds.compliance import services
from ombuds.compliance.models import Finding, Return
from ombuds.core.changes import version_of
from tests.compliance import api_world
from tests.compliance.api_world import MARCH, auth, write_return

tokens = api_world.tokens
members = api_world.members

pytestmark = pytest.mark.django_db

API = "/api/v1/bodies/council/compliance"


@pytest.fixture
def filed(council, tmp_path) -> Return:
    return services.return_file(
        organization=council.body,
        agency=council.agency,
        return_key="trust_ledger",
        period=MARCH,
        paths=write_return(tmp_path / "first"),
        user=council.users["agency_admin"],
    )


@pytest.fixture
def escalated(filed) -> Finding:
    """The shortfall, not answered in time: the council's to decide."""
    finding = filed.findings.get(rule_key="shortfall")
    Finding.objects.filter(pk=finding.pk).update(status=Finding.Status.ESCALATED)
    finding.refresh_from_db()
    return finding


def post(client, url: str, data: dict, token: str):
    return client.post(url, data, content_type="application/json", headers=auth(token))


# --- who --------------------------------------------------------------------------------------------

READERS = [
    ("body_staff", 200),
    ("compliance_reader", 200),
    ("wrong_scope", 403),  # register and cases scopes: no compliance
    ("other_body_staff", 403),  # a token for another body
    ("agency_admin", 401),  # a member token
    ("anonymous", 401),
]


@pytest.mark.parametrize(("who", "status"), READERS, ids=[w[0] for w in READERS])
@pytest.mark.parametrize("what", ["findings", "finding", "coverage"])
def test_the_bodys_staff_with_the_scope_read_the_findings(
    client, council, tokens, filed, who, status, what
):
    path = {
        "findings": "/findings",
        "finding": f"/findings/{filed.findings.first().pk}",
        "coverage": "/coverage",
    }[what]
    answer = client.get(API + path, headers=auth(tokens[who]))
    assert answer.status_code == status, answer.content
    if status != 200:
        # An RFC 9457 problem and nothing else (no record leaks into a refusal).
        assert set(answer.json()) == {"type", "title", "status", "detail", "instance"}


WRITERS = [
    ("body_staff", None),
    ("compliance_reader", 403),
    ("wrong_scope", 403),
    ("other_body_staff", 403),
    ("agency_admin", 401),
    ("anonymous", 401),
]


@pytest.mark.parametrize(("who", "status"), WRITERS, ids=[w[0] for w in WRITERS])
@pytest.mark.parametrize("action", ["close", "case"])
def test_only_the_bodys_staff_with_the_write_scope_close_or_open_a_case(
    client, council, tokens, escalated, who, status, action
):
    BodyProcedure.objects.create(organization=council.body, procedure_key="csec-article-5")
    events = Event.objects.count()
    answer = post(
        client,
        f"{API}/findings/{escalated.pk}/{action}",
        {"reason": "The bank's error.", "version": version_of(escalated)},
        tokens[who],
    )
    if status is None:
        assert answer.status_code == (200 if action == "close" else 201), answer.content
        return
    assert answer.status_code == status
    escalated.refresh_from_db()
    assert escalated.status == Finding.Status.ESCALATED and not Case.objects.exists()
    assert Event.objects.count() == events


def test_another_bodys_staff_do_not_find_this_bodys_findings_under_their_own(
    client, council, tokens, escalated
):
    other = f"/api/v1/bodies/elsewhere/compliance/findings/{escalated.pk}"
    token = tokens["other_body_staff"]
    assert client.get(other, headers=auth(token)).status_code == 404
    closing = post(client, f"{other}/close", {"reason": "x", "version": "y"}, token)
    assert closing.status_code == 404
    listed = client.get("/api/v1/bodies/elsewhere/compliance/findings", headers=auth(token))
    assert listed.json()["count"] == 0


# --- the list ---------------------------------------------------------------------------------------


def test_the_findings_filter_by_status_provision_and_agency(
    client, council, tokens, filed, escalated
):
    headers = auth(tokens["compliance_reader"])

    def count(query: str) -> int:
        answer = client.get(f"{API}/findings?{query}", headers=headers)
        assert answer.status_code == 200, answer.content
        return answer.json()["count"]

    assert count("") == 3
    assert count("status=escalated") == 1 and count("status=open") == 2
    assert count("status=unresolved") == 3 and count("status=accepted") == 0
    assert count("provision=1.2(c)") == 1 and count("provision=CSEC%201.3(a)") == 1
    assert count(f"agency={council.agency.pk}") == 3
    assert count(f"agency={council.other_agency.pk}") == 0
    assert count("per_page=1&page=3") == 3
    page = client.get(f"{API}/findings?per_page=1&page=3", headers=headers).json()
    assert page["pages"] == 3 and len(page["items"]) == 1
    assert client.get(f"{API}/findings?status=gone", headers=headers).status_code == 422


def test_the_list_takes_the_same_queries_however_many_findings(
    client, council, tokens, filed, django_assert_max_num_queries
):
    headers = auth(tokens["body_staff"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get(f"{API}/findings", headers=headers).status_code == 200
        return len(seen)

    few = queries()
    template = filed.findings.first()
    Finding.objects.bulk_create(
        Finding(
            **{
                f.attname: getattr(template, f.attname)
                for f in Finding._meta.concrete_fields
                if f.attname not in ("id", "carried_from_id")
            },
        )
        for _ in range(40)
    )
    assert queries() == few
    with django_assert_max_num_queries(12):
        client.get(f"{API}/coverage", headers=headers)


# --- coverage ---------------------------------------------------------------------------------------


def test_coverage_says_who_filed_who_is_late_and_what_is_unresolved(
    client, council, members, tokens, filed, escalated
):
    headers = auth(tokens["body_staff"])
    answer = client.get(f"{API}/coverage?return_key=trust_ledger&periods=120", headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    by_start = {p["period_start"]: p for p in body["periods"]}
    march = by_start["2026-03-01"]
    assert (march["agencies"], march["filed"]) == (2, 1)
    assert march["late"] == [{"id": council.other_agency.pk, "legal_name": "Second Recovery Ltd"}]
    april = by_start["2026-04-01"]
    assert april["filed"] == 0 and len(april["late"]) == 2
    assert "2026-02-01" not in by_start  # before the programme applied
    starts = [p["period_start"] for p in body["periods"]]
    assert starts == sorted(starts, reverse=True)
    latest = client.get(f"{API}/coverage", headers=headers).json()["periods"]
    assert len(latest) == min(12, len(body["periods"]))  # the latest twelve by default
    assert (
        client.get(f"{API}/coverage?periods=2", headers=headers).json()["periods"]
        == (client.get(f"{API}/coverage", headers=headers).json()["periods"][:2])
    )
    provisions = {p["provision"]: p for p in body["unresolved_by_provision"]}
    assert provisions["CSEC 1.2(c)"] == {
        "provision": "CSEC 1.2(c)",
        "open": 0,
        "answered": 0,
        "escalated": 1,
        "total": 1,
    }
    assert provisions["CSEC 1.3(a)"]["open"] == 1


# --- closing ----------------------------------------------------------------------------------------


def test_staff_close_a_finding_with_their_reason(client, council, tokens, escalated):
    answer = post(
        client,
        f"{API}/findings/{escalated.pk}/close",
        {"reason": "The bank's error, corrected.", "version": version_of(escalated)},
        tokens["body_staff"],
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "accepted" and body["resolution"] == "The bank's error, corrected."
    assert Event.objects.filter(action="compliance.finding_closed").count() == 1
    again = post(
        client,
        f"{API}/findings/{escalated.pk}/close",
        {"reason": "Again.", "version": body["version"]},
        tokens["body_staff"],
    )
    assert again.status_code == 400 and "already" in again.json()["detail"]


def test_a_close_without_a_reason_or_stale_is_refused_and_changes_nothing(
    client, council, tokens, escalated
):
    url = f"{API}/findings/{escalated.pk}/close"
    empty = post(
        client, url, {"reason": " ", "version": version_of(escalated)}, tokens["body_staff"]
    )
    assert empty.status_code == 400 and "Say why" in empty.json()["detail"]
    read = version_of(escalated)
    Finding.objects.filter(pk=escalated.pk).update(updated_at=timezone.now())
    stale = post(client, url, {"reason": "Fine.", "version": read}, tokens["body_staff"])
    assert stale.status_code == 409
    escalated.refresh_from_db()
    assert escalated.status == Finding.Status.ESCALATED and not escalated.resolution
    missing = post(
        client,
        f"{API}/findings/999999/close",
        {"reason": "x", "version": "y"},
        tokens["body_staff"],
    )
    assert missing.status_code == 404


# --- a case -----------------------------------------------------------------------------------------


def test_staff_open_a_case_from_a_finding_citing_its_provision(client, council, tokens, escalated):
    BodyProcedure.objects.create(organization=council.body, procedure_key="csec-article-5")
    answer = post(
        client,
        f"{API}/findings/{escalated.pk}/case",
        {"version": version_of(escalated)},
        tokens["body_staff"],
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    case = Case.objects.get()
    assert body["reference"] == case.reference
    assert body["finding"]["status"] == "referred" and body["finding"]["case"] == case.reference
    assert case.respondent_agency == council.agency
    allegation = case.allegations.get()
    assert [p.citation for p in allegation.provisions.all()] == ["1.2(c)"]
    assert "CSEC 1.2(c)" in allegation.summary
    again = post(
        client,
        f"{API}/findings/{escalated.pk}/case",
        {"version": body["finding"]["version"]},
        tokens["body_staff"],
    )
    assert again.status_code == 400 and Case.objects.count() == 1


def test_a_case_from_a_finding_still_with_the_agency_or_stale_is_refused(
    client, council, tokens, filed, escalated
):
    BodyProcedure.objects.create(organization=council.body, procedure_key="csec-article-5")
    still_open = filed.findings.get(rule_key="no_contract")
    refused = post(
        client,
        f"{API}/findings/{still_open.pk}/case",
        {"version": version_of(still_open)},
        tokens["body_staff"],
    )
    assert refused.status_code == 400
    assert "did not answer in time" in refused.json()["detail"]
    read = version_of(escalated)
    Finding.objects.filter(pk=escalated.pk).update(updated_at=timezone.now())
    stale = post(
        client, f"{API}/findings/{escalated.pk}/case", {"version": read}, tokens["body_staff"]
    )
    assert stale.status_code == 409
    assert not Case.objects.exists()
    escalated.refresh_from_db()
    assert escalated.status == Finding.Status.ESCALATED


def test_a_finding_number_past_any_row_is_not_found(client, council, tokens):
    answer = client.get(f"{API}/findings/{10**20}", headers=auth(tokens["body_staff"]))
    assert answer.status_code == 404
    listed = client.get(f"{API}/findings?agency={10**20}", headers=auth(tokens["body_staff"]))
    assert listed.status_code == 422
