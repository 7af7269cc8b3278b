"""The third shipped procedure, in a different shape: a volunteer community's code-of-conduct
committee working the enforcement ladder (community-ladder.toml). A report is acknowledged, a
committee without conflicts reviews it, records its findings on every allegation at once (the
`determinations` input kind), and chooses a correction, a warning, a ban for a time (with its end
date) or a permanent ban; the reporter is told the outcome and asked later about retaliation.
Walked through the services, the staff pages, the API and the CLI."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.bodies.models import BodyRole
from ombuds.cases import services
from ombuds.cases.models import Allegation, Case
from ombuds.cases.services import CaseRefused
from ombuds.register.tokens import token_create
from tests.cases.conftest import Body, _body, file_case, take
from tests.conftest import small_code

TODAY = timezone.localdate


@pytest.fixture
def community(db, django_user_model) -> Body:
    return _body(
        "tides",
        "Tidewater Open Source Community",
        "TOSC",
        "community-ladder",
        small_code(),
        django_user_model,
        "1.1(a)",
    )


def report(body: Body, n: int = 2) -> Case:
    """A report about a contributor who is in no register, citing ``n`` provisions (one allegation
    each), acknowledged and before the committee."""
    case = file_case(
        body,
        respondent_name="Sam Reported",
        respondent_email="sam@example.net",
        recuse=True,
    )
    for i in range(1, n):
        services.allegation_add(
            case=case,
            summary=f"Further behaviour {i}.",
            provisions=[body.provision("1.2")],
            acting_user=body.chair,
        )
    case.refresh_from_db()
    assert case.state == "reported"
    return take(case, "acknowledge", body.staff)


def findings(case: Case, *determinations: str) -> list[dict]:
    return [
        {"allegation": a.position, "determination": d, "reasons": f"Finding {a.position}."}
        for a, d in zip(case.allegations.order_by("position"), determinations, strict=True)
    ]


def recipients(case: Case, template: str) -> set[str]:
    return set(case.notices.filter(template=template).values_list("recipient_role", flat=True))


# --- the services ---------------------------------------------------------------------------------


def test_a_report_runs_to_a_temporary_ban_with_its_end_date(community):
    case = report(community)
    assert case.state == "review"
    assert recipients(case, "acknowledgement") == {"complainant"}
    assert case.deadlines.filter(name="outcome", met_at__isnull=True).exists()

    # The reported person is asked for their account and answers through their link.
    case = take(case, "ask_account", community.committee)
    assert recipients(case, "allegations") == {"respondent"}
    case = services.respondent_answer(case=case, body="It was a misunderstanding.", files=[])
    case = take(case, "account_received", community.committee)
    assert case.state == "review"

    # A ban needs every allegation decided first; the recused member cannot decide.
    with pytest.raises(CaseRefused, match="every allegation has a determination"):
        take(case, "ban_for_a_time", community.committee, until="2030-01-01", reasons="x")
    with pytest.raises(CaseRefused):
        take(
            case, "record_findings", community.recused, findings=findings(case, "upheld", "upheld")
        )
    case = take(
        case,
        "record_findings",
        community.committee,
        findings=findings(case, "upheld", "not_upheld"),
    )
    assert list(case.allegations.order_by("position").values_list("determination", "reasons")) == [
        ("upheld", "Finding 1."),
        ("not_upheld", "Finding 2."),
    ]
    assert "record_findings" not in {
        t.name for t in services.available_steps(case, community.chair)
    }

    with pytest.raises(CaseRefused, match="Banned until"):
        take(case, "ban_for_a_time", community.committee, reasons="Three months out.")
    until = TODAY() + dt.timedelta(days=90)
    case = take(
        case,
        "ban_for_a_time",
        community.committee,
        until=until.isoformat(),
        reasons="Banned from every community space for three months.",
    )
    assert case.state == "banned_for_a_time" and case.closed_at is not None
    assert recipients(case, "decision") == {"complainant", "respondent"}
    decision = case.notices.get(template="decision", recipient_role="complainant")
    assert "Banned from every community space for three months." in decision.body
    assert "Upheld" in decision.body and "Not upheld" in decision.body
    assert case.checkin_on == TODAY() + dt.timedelta(days=60)  # the reporter is asked later
    assert not case.deadlines.filter(met_at__isnull=True, expired_at__isnull=True).exists()
    step = Event.objects.filter(action="case.step").latest("seq")
    assert step.data["inputs"]["until"] == until.isoformat()
    found = next(
        e
        for e in Event.objects.filter(action="case.step")
        if e.data.get("step") == "record_findings"
    )
    assert found.data["inputs"]["findings"] == "1: upheld; 2: not_upheld"


def test_findings_are_refused_whole_listing_every_problem(community):
    case = report(community, n=3)
    version = case.version
    bad = [
        {"allegation": 1, "determination": "upheld", "reasons": ""},
        {"allegation": 2, "determination": "maybe", "reasons": "Because."},
        {"allegation": 9, "determination": "upheld", "reasons": "Because."},
    ]
    with pytest.raises(CaseRefused) as refused:
        take(case, "record_findings", community.committee, findings=bad)
    assert refused.value.problems == [
        "allegation 1: give the reasons for the determination",
        "allegation 2: the determination is upheld or not_upheld",
        "allegation 9 is not waiting for a determination",
        "allegation 3 needs a determination",
    ]
    case.refresh_from_db()
    assert case.version == version
    assert not case.allegations.exclude(determination=Allegation.Determination.PENDING).exists()


def test_no_breach_closes_and_only_the_reporter_hears_when_the_person_was_never_told(community):
    case = report(community)
    case = take(
        case,
        "record_findings",
        community.chair,
        findings=findings(case, "not_upheld", "not_upheld"),
    )
    assert {t.name for t in services.available_steps(case, community.chair)} >= {"no_breach"}
    assert "warn" not in {t.name for t in services.available_steps(case, community.chair)}
    case = take(case, "no_breach", community.chair, reasons="Nothing in the logs supports it.")
    assert case.state == "no_breach"
    assert recipients(case, "decision") == {"complainant"}


# --- the staff pages ------------------------------------------------------------------------------


def page(case: Case) -> str:
    return f"/staff/{case.organization.slug}/cases/{case.reference}/"


def test_the_committee_records_findings_and_warns_through_the_case_page(client, community):
    case = report(community)
    client.force_login(community.committee)
    html = client.get(page(case)).content.decode()
    assert 'name="step-record_findings-findings-1"' in html
    assert 'name="step-record_findings-findings-2-reasons"' in html
    assert "Findings: allegation 2, Further behaviour 1." in html

    # Every problem at once, nothing recorded.
    response = client.post(
        page(case),
        {
            "action": "step:record_findings",
            "step-record_findings-version": case.version,
            "step-record_findings-findings-1": "upheld",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the reasons for allegation 1." in html
    assert "Choose upheld or not upheld for allegation 2." in html
    assert not Allegation.objects.filter(case=case, determination="upheld").exists()

    response = client.post(
        page(case),
        {
            "action": "step:record_findings",
            "step-record_findings-version": case.version,
            "step-record_findings-findings-1": "upheld",
            "step-record_findings-findings-1-reasons": "Seen in the chat logs.",
            "step-record_findings-findings-2": "upheld",
            "step-record_findings-findings-2-reasons": "Admitted.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert set(case.allegations.values_list("determination", flat=True)) == {"upheld"}

    response = client.post(
        page(case),
        {
            "action": "step:warn",
            "step-warn-version": case.version,
            "step-warn-reasons": "A warning: a further breach leads to a ban.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "warned"
    assert recipients(case, "decision") == {"complainant", "respondent"}


def test_the_recused_member_is_offered_no_findings(client, community):
    case = report(community)
    client.force_login(community.recused)
    response = client.get(page(case))
    assert response.status_code == 404


# --- the API --------------------------------------------------------------------------------------


def test_the_api_takes_findings_and_a_permanent_ban(client, community):
    case = report(community)
    # In a small community the committee's chair also administers Ombuds (tokens are for staff).
    BodyRole.objects.create(user=community.chair, organization=community.org, role="administrator")
    token = token_create(user=community.chair, organization=community.org, name="committee")[1]
    path = f"/api/v1/bodies/tides/cases/{case.reference}/steps"
    headers = {"Authorization": f"Bearer {token}"}

    bad = client.post(
        path,
        {
            "step": "record_findings",
            "expected_version": case.version,
            "inputs": {"findings": [{"allegation": 1, "determination": "upheld", "reasons": "x"}]},
        },
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.json()["detail"] == "allegation 2 needs a determination"

    shape = client.post(
        path,
        {
            "step": "record_findings",
            "expected_version": case.version,
            "inputs": {"findings": [{"allegation": 1, "determination": "perhaps", "reasons": "x"}]},
        },
        content_type="application/json",
        headers=headers,
    )
    assert shape.status_code == 422

    ok = client.post(
        path,
        {
            "step": "record_findings",
            "expected_version": case.version,
            "inputs": {"findings": findings(case, "upheld", "upheld")},
        },
        content_type="application/json",
        headers=headers,
    )
    assert ok.status_code == 200, ok.json()
    assert [a["determination"] for a in ok.json()["allegations"]] == ["upheld", "upheld"]
    assert "ban" in [s["name"] for s in ok.json()["steps"]]

    done = client.post(
        path,
        {
            "step": "ban",
            "expected_version": ok.json()["version"],
            "inputs": {"reasons": "Repeated harassment after a warning."},
        },
        content_type="application/json",
        headers=headers,
    )
    assert done.status_code == 200
    assert done.json()["state"] == "banned"


# --- the CLI --------------------------------------------------------------------------------------


def cli(*args: str) -> str:
    out = StringIO()
    call_command("cases", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_cli_takes_findings_and_a_correction(community):
    case = report(community)
    who = community.committee.username
    with pytest.raises(CommandError, match="write findings=POSITION:upheld:REASONS"):
        cli("step", case.reference, "record_findings", "--as", who, "--input", "findings=one")
    with pytest.raises(CommandError, match="allegation 2 needs a determination"):
        cli(
            "step", case.reference, "record_findings", "--as", who, "--input", "findings=1:upheld:x"
        )
    out = cli(
        "step",
        case.reference,
        "record_findings",
        "--as",
        who,
        "--input",
        "findings=1:upheld:Seen in the logs: twice.",
        "--input",
        "findings=2:not_upheld:No evidence.",
    )
    assert "now Under review by the committee" in out
    assert list(case.allegations.order_by("position").values_list("reasons", flat=True)) == [
        "Seen in the logs: twice.",
        "No evidence.",
    ]
    out = cli("step", case.reference, "correct", "--as", who, "--input", "reasons=Please stop.")
    assert "now Correction" in out
