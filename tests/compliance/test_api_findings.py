"""An agency's findings through the members' API: its administrator reads what is due, the returns
filed and their findings, and answers a finding within its cure period; nobody else reads or
answers them (404 for another agency's people, 401 for a token that is not a member's), a stale
answer is 409 and changes nothing, and the lists take the same queries however many findings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.compliance import services
from ombuds.compliance.models import Finding, Return
from ombuds.core.changes import version_of
from tests.compliance import api_world
from tests.compliance.api_world import MARCH, PLANTED, auth, write_return

tokens = api_world.tokens
members = api_world.members

pytestmark = pytest.mark.django_db


def _file(council, folder, agency=None, who="agency_admin") -> Return:
    return services.return_file(
        organization=council.body,
        agency=agency or council.agency,
        return_key="trust_ledger",
        period=MARCH,
        paths=write_return(folder),
        user=council.users[who],
    )


@pytest.fixture
def filed(council, tmp_path) -> Return:
    return _file(council, tmp_path / "first")


@pytest.fixture
def other_filed(council, tmp_path) -> Return:
    return _file(council, tmp_path / "other", council.other_agency, "other_agency_admin")


def base(agency) -> str:
    return f"/api/v1/me/agencies/{agency.pk}/compliance"


# --- who reads --------------------------------------------------------------------------------------

WHO = [
    ("agency_admin", 200),
    ("agency_employee", 404),
    ("other_agency_admin", 404),
    ("body_staff", 401),
    ("other_body_staff", 401),
    ("wrong_scope", 401),
    ("anonymous", 401),
]


@pytest.mark.parametrize(("who", "status"), WHO, ids=[w[0] for w in WHO])
@pytest.mark.parametrize("what", ["findings", "returns", "return", "due"])
def test_only_the_agencys_administrator_reads_its_compliance(
    client, council, tokens, filed, who, status, what
):
    path = {
        "findings": "/findings",
        "returns": "/returns",
        "return": f"/returns/{filed.pk}",
        "due": "/due",
    }[what]
    answer = client.get(base(council.agency) + path, headers=auth(tokens[who]))
    assert answer.status_code == status, answer.content
    if status != 200:
        # An RFC 9457 problem and nothing else (no record leaks into a refusal).
        assert set(answer.json()) == {"type", "title", "status", "detail", "instance"}
        assert "First Recovery" not in answer.content.decode()


def test_another_agencys_return_is_not_found_through_ones_own(
    client, council, tokens, filed, other_filed
):
    mine = base(council.other_agency)
    answer = client.get(f"{mine}/returns/{filed.pk}", headers=auth(tokens["other_agency_admin"]))
    assert answer.status_code == 404
    listed = client.get(f"{mine}/findings", headers=auth(tokens["other_agency_admin"])).json()
    assert {f["agency"] for f in listed["items"]} == {council.other_agency.pk}
    assert listed["count"] == other_filed.findings.count()


# --- what they read ---------------------------------------------------------------------------------


def test_the_findings_cite_their_provision_and_page(client, council, tokens, filed):
    headers = auth(tokens["agency_admin"])
    page = client.get(f"{base(council.agency)}/findings?per_page=2", headers=headers).json()
    assert (page["count"], page["pages"], len(page["items"])) == (3, 2, 2)
    rest = client.get(f"{base(council.agency)}/findings?per_page=2&page=2", headers=headers)
    every = page["items"] + rest.json()["items"]
    assert {f["rule"] for f in every} == PLANTED
    shortfall = next(f for f in every if f["rule"] == "shortfall")
    stored = filed.findings.get(rule_key="shortfall")
    assert shortfall["provision"] == "CSEC 1.2(c)" and shortfall["status"] == "open"
    assert shortfall["version"] == version_of(stored)
    assert shortfall["amount"] == str(stored.amount) and shortfall["date"] == str(stored.date)
    assert shortfall["cure_by"] == str(stored.cure_by) and shortfall["case"] is None
    past = client.get(f"{base(council.agency)}/findings?page=9", headers=headers).json()
    assert past["items"] == [] and past["count"] == 3


def test_the_findings_filter_by_status(client, council, tokens, filed):
    Finding.objects.filter(rule_key="shortfall").update(status=Finding.Status.ACCEPTED)
    headers = auth(tokens["agency_admin"])
    url = f"{base(council.agency)}/findings"
    assert client.get(f"{url}?status=accepted", headers=headers).json()["count"] == 1
    assert client.get(f"{url}?status=unresolved", headers=headers).json()["count"] == 2
    assert client.get(f"{url}?status=superseded", headers=headers).json()["count"] == 0
    wrong = client.get(f"{url}?status=lost", headers=headers)
    assert wrong.status_code == 422


def test_the_returns_and_one_return_with_its_findings(client, council, tokens, filed):
    headers = auth(tokens["agency_admin"])
    listed = client.get(f"{base(council.agency)}/returns", headers=headers).json()
    assert [(r["id"], r["finding_count"], r["status"]) for r in listed] == [(filed.pk, 3, "filed")]
    one = client.get(f"{base(council.agency)}/returns/{filed.pk}", headers=headers).json()
    assert {f["key"] for f in one["files"]} == {"ledger", "bank", "contracts"}
    assert {f["rule"] for f in one["findings"]} == PLANTED
    missing = client.get(f"{base(council.agency)}/returns/999999", headers=headers)
    assert missing.status_code == 404


def test_what_is_due_says_what_was_filed_and_what_is_late(client, council, members, tokens, filed):
    # The programme applies from March: March was filed, the other months were not.
    due = client.get(f"{base(council.agency)}/due", headers=auth(tokens["agency_admin"])).json()
    ledgers = {d["period_start"]: d for d in due if d["return_key"] == "trust_ledger"}
    assert ledgers["2026-03-01"]["filed"] is True and ledgers["2026-03-01"]["overdue"] is False
    assert ledgers["2026-04-01"]["filed"] is False and ledgers["2026-04-01"]["overdue"] is True
    assert "2026-02-01" not in ledgers  # before the programme applied
    dates = [d["due_on"] for d in due]
    assert dates == sorted(dates, reverse=True)


def test_the_lists_take_the_same_queries_however_many_findings(
    client, council, tokens, filed, django_assert_max_num_queries
):
    headers = auth(tokens["agency_admin"])
    urls = [f"{base(council.agency)}/findings", f"{base(council.agency)}/returns"]
    urls.append(f"{base(council.agency)}/returns/{filed.pk}")

    def counts() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, headers=headers).status_code == 200
            found.append(len(queries))
        return found

    few = counts()
    template = filed.findings.first()
    Finding.objects.bulk_create(
        Finding(
            **{
                f.attname: getattr(template, f.attname)
                for f in Finding._meta.concrete_fields
                if f.attname not in ("id", "carried_from_id")
            }
        )
        for _ in range(40)
    )
    assert counts() == few
    with django_assert_max_num_queries(12):
        client.get(urls[0], headers=headers)


# --- answering ----------------------------------------------------------------------------------


def answer_url(council, finding) -> str:
    return f"{base(council.agency)}/findings/{finding.pk}/answer"


def test_the_administrator_answers_within_the_cure_period(client, council, tokens, filed):
    finding = filed.findings.get(rule_key="no_contract")
    answer = client.post(
        answer_url(council, finding),
        {"text": "The contract was signed on paper.", "version": version_of(finding)},
        content_type="application/json",
        headers=auth(tokens["agency_admin"]),
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "answered" and body["answer"] == "The contract was signed on paper."
    assert body["answered_by"] and body["version"] != version_of(finding)
    finding.refresh_from_db()
    assert finding.status == Finding.Status.ANSWERED
    assert Event.objects.filter(action="compliance.finding_answered").count() == 1


ANSWERING = [
    ("agency_employee", 404),
    ("other_agency_admin", 404),
    ("body_staff", 401),
    ("wrong_scope", 401),
    ("anonymous", 401),
]


@pytest.mark.parametrize(("who", "status"), ANSWERING, ids=[w[0] for w in ANSWERING])
def test_nobody_else_answers(client, council, tokens, filed, who, status):
    finding = filed.findings.first()
    events = Event.objects.count()
    answer = client.post(
        answer_url(council, finding),
        {"text": "We fixed it.", "version": version_of(finding)},
        content_type="application/json",
        headers=auth(tokens[who]),
    )
    assert answer.status_code == status
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN and not finding.answer
    assert Event.objects.count() == events


def test_a_stale_answer_is_409_and_changes_nothing(client, council, tokens, filed):
    finding = filed.findings.first()
    read = version_of(finding)
    Finding.objects.filter(pk=finding.pk).update(updated_at=timezone.now())
    answer = client.post(
        answer_url(council, finding),
        {"text": "We fixed it.", "version": read},
        content_type="application/json",
        headers=auth(tokens["agency_admin"]),
    )
    assert answer.status_code == 409
    assert "changed since you read it" in answer.json()["detail"]
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN and not finding.answer


@pytest.mark.parametrize(
    ("change", "text", "reason"),
    [
        (None, "   ", "Write the answer"),
        ({"status": Finding.Status.ACCEPTED}, "Done.", "takes no answer now"),
        ({"cure_by": dt.date(2026, 4, 1)}, "Late.", "The time to answer ended"),
    ],
    ids=["empty", "closed", "past-cure"],
)
def test_an_answer_the_finding_does_not_take_is_400(
    client, council, tokens, filed, change, text, reason
):
    finding = filed.findings.first()
    if change:
        Finding.objects.filter(pk=finding.pk).update(**change)
        finding.refresh_from_db()
    answer = client.post(
        answer_url(council, finding),
        {"text": text, "version": version_of(finding)},
        content_type="application/json",
        headers=auth(tokens["agency_admin"]),
    )
    assert answer.status_code == 400
    assert reason in answer.json()["detail"]
    assert not Finding.objects.filter(pk=finding.pk, answer__gt="").exists()


def test_another_agencys_finding_is_not_found_through_ones_own(
    client, council, tokens, filed, other_filed
):
    theirs = other_filed.findings.first()
    answer = client.post(
        answer_url(council, theirs),
        {"text": "Not ours.", "version": version_of(theirs)},
        content_type="application/json",
        headers=auth(tokens["agency_admin"]),
    )
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Finding.Status.OPEN


def test_a_number_past_any_row_is_not_found(client, council, tokens):
    huge = 10**20
    headers = auth(tokens["agency_admin"])
    assert (
        client.get(f"/api/v1/me/agencies/{huge}/compliance/due", headers=headers).status_code == 404
    )
    url = f"{base(council.agency)}/returns/{huge}"
    assert client.get(url, headers=headers).status_code == 404
