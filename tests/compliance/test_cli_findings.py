"""`ombuds compliance findings|answer|close|open-case|due|tick`: the body's findings listed (as JSON
with `check --json`'s fields), answered by the agency's administrator, closed or taken to a case by
the body's staff, as the pages and the API do; a refusal is one line, a non-zero exit and no
change; what is due; the daily work."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.cases.models import BodyProcedure, Case
from ombuds.compliance import services
from ombuds.compliance.models import Finding, Return
from ombuds.core.changes import version_of
from tests.compliance import api_world
from tests.compliance.api_world import MARCH, PLANTED, write_return

members = api_world.members

pytestmark = pytest.mark.django_db


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


def run(*argv: str) -> str:
    out = io.StringIO()
    call_command("compliance", *argv, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*argv: str) -> str:
    with pytest.raises(CommandError) as failed:
        run(*argv)
    reason = str(failed.value)
    assert "\n" not in reason
    return reason


# --- findings -----------------------------------------------------------------------------------


def test_findings_as_json_have_the_checks_fields_and_their_own(council, filed):
    printed = json.loads(run("findings", "--org", "council", "--json"))
    assert {f["rule"] for f in printed} == PLANTED
    for f in printed:
        assert list(f)[:6] == ["provision", "rule", "client", "date", "amount", "detail"]
        stored = Finding.objects.get(pk=f["id"])
        assert f["provision"] == f"CSEC {stored.provision}"
        assert f["version"] == version_of(stored) and f["status"] == "open"
        assert f["agency"] == council.agency.pk and f["return"] == filed.pk


def test_findings_filter_by_agency_status_and_provision(council, filed):
    Finding.objects.filter(rule_key="shortfall").update(status=Finding.Status.ESCALATED)

    def rules(*extra: str) -> set[str]:
        return {
            f["rule"] for f in json.loads(run("findings", "--org", "council", "--json", *extra))
        }

    assert rules("--status", "escalated") == {"shortfall"}
    assert rules("--status", "open") == PLANTED - {"shortfall"}
    assert rules("--provision", "1.3(a)") == {"no_contract"}
    assert rules("--agency", str(council.agency.pk)) == PLANTED
    assert rules("--agency", str(council.other_agency.pk)) == set()


def test_findings_one_per_line(council, filed):
    lines = run("findings", "--org", "council").splitlines()
    assert len(lines) == 3
    shortfall = next(line for line in lines if "\tshortfall\t" in line)
    assert shortfall.split("\t")[1:4] == ["open", f"agency {council.agency.pk}", "CSEC 1.2(c)"]


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["findings", "--org", "nobody"], "no body 'nobody'"),
        (["findings", "--org", "council", "--agency", "99999"], "no agency 99999"),
        (["due", "--org", "council", "--today", "tomorrow"], "--today 'tomorrow' is not a date"),
        (["tick", "--today", "2026-13-01"], "is not a date"),
        (["answer", "99999", "--as", "ada", "--text", "x"], "no finding 99999"),
    ],
    ids=["body", "agency", "due-today", "tick-today", "finding"],
)
def test_bad_input_is_a_one_line_reason(council, argv, reason):
    assert reason in refused(*argv)


# --- answer, close, open-case ---------------------------------------------------------------------


def test_the_agencys_administrator_answers(council, filed):
    finding = filed.findings.get(rule_key="no_contract")
    printed = run(
        "answer",
        str(finding.pk),
        "--as",
        "ada",
        "--text",
        "Signed on paper.",
        "--expected-version",
        version_of(finding),
    )
    assert printed.strip() == f"finding {finding.pk}: {Finding.Status.ANSWERED.label}"
    finding.refresh_from_db()
    assert (finding.status, finding.answer) == (Finding.Status.ANSWERED, "Signed on paper.")
    assert Event.objects.filter(action="compliance.finding_answered").count() == 1


ROLES = [
    # (who, may answer, may close and open a case)
    ("ada", True, False),  # the agency's administrator
    ("eve", False, False),  # its employee
    ("otto", False, False),  # another agency's administrator
    ("stella", False, True),  # the body's staff
    ("nora", False, False),  # nobody in particular
]


@pytest.mark.parametrize(("who", "answers", "decides"), ROLES, ids=[r[0] for r in ROLES])
def test_each_role_does_only_its_part(council, filed, who, answers, decides):
    BodyProcedure.objects.create(organization=council.body, procedure_key="csec-article-5")
    open_finding = filed.findings.get(rule_key="no_contract")
    escalated = filed.findings.get(rule_key="shortfall")
    Finding.objects.filter(pk=escalated.pk).update(status=Finding.Status.ESCALATED)
    events = Event.objects.count()
    answer = ["answer", str(open_finding.pk), "--as", who, "--text", "Explained."]
    close = ["close", str(escalated.pk), "--as", who, "--reason", "Satisfied."]
    case = ["open-case", str(escalated.pk), "--as", who]
    if answers:
        run(*answer)
    else:
        assert "administrators" in refused(*answer)
    if decides:
        reference = run(*case).strip()
        assert Case.objects.get().reference == reference
        assert "already" in refused(*close)  # taken to a case
    else:
        assert "staff" in refused(*close) and "staff" in refused(*case)
        assert not Case.objects.exists()
        escalated.refresh_from_db()
        assert escalated.status == Finding.Status.ESCALATED
        assert Event.objects.count() == events + (1 if answers else 0)


def test_the_body_staff_close_with_a_reason(council, filed):
    finding = filed.findings.get(rule_key="fee_beyond_contract")
    printed = run("close", str(finding.pk), "--as", "stella", "--reason", "Refunded.")
    assert printed.strip() == f"finding {finding.pk}: {Finding.Status.ACCEPTED.label}"
    assert "already" in refused("close", str(finding.pk), "--as", "stella", "--reason", "Again.")


def test_a_stale_change_is_refused_and_changes_nothing(council, filed):
    finding = filed.findings.get(rule_key="no_contract")
    read = version_of(finding)
    Finding.objects.filter(pk=finding.pk).update(updated_at=timezone.now())
    reason = refused(
        "answer", str(finding.pk), "--as", "ada", "--text", "x", "--expected-version", read
    )
    assert "changed since you read it" in reason
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN and not finding.answer


def test_a_case_is_opened_only_from_a_finding_with_the_council(council, filed):
    BodyProcedure.objects.create(organization=council.body, procedure_key="csec-article-5")
    finding = filed.findings.get(rule_key="shortfall")
    assert "did not answer in time" in refused("open-case", str(finding.pk), "--as", "stella")
    assert not Case.objects.exists()


def test_an_unknown_user_is_refused(council, filed):
    finding = filed.findings.first()
    assert "no user 'ghost'" in refused("close", str(finding.pk), "--as", "ghost", "--reason", "x")


# --- due and tick -------------------------------------------------------------------------------


def test_due_lists_an_agencys_returns_and_the_bodys_still_to_file(council, members, filed):
    lines = run(
        "due", "--org", "council", "--agency", str(council.agency.pk), "--today", "2026-06-20"
    )
    ledgers = [line for line in lines.splitlines() if "\ttrust_ledger\t" in line]
    by_period = {line.split("\t")[-1]: line.split("\t")[1] for line in ledgers}
    assert by_period["2026-03-01..2026-03-31"] == "filed"
    assert by_period["2026-04-01..2026-04-30"] == "overdue"
    assert by_period["2026-06-01..2026-06-30"] == "due"
    body = run("due", "--org", "council", "--today", "2026-04-20").splitlines()
    march = [line for line in body if line.endswith("2026-03-01..2026-03-31")]
    assert len(march) == 1 and f"agency {council.other_agency.pk} " in march[0]
    assert "overdue" in march[0]


def test_tick_does_the_daily_work_once(council, members, filed):
    first = run("tick", "--today", "2026-05-20")
    # March from the other agency, April from both: the ledgers due before 20 May, not filed.
    assert "overdue returns: 3" in first
    overdue = Finding.objects.filter(rule_key=Finding.OVERDUE_RULE)
    assert set(overdue.values_list("agency", "period_start")) == {
        (council.other_agency.pk, dt.date(2026, 3, 1)),
        (council.agency.pk, dt.date(2026, 4, 1)),
        (council.other_agency.pk, dt.date(2026, 4, 1)),
    }
    again = run("tick", "--today", "2026-05-20")
    assert "overdue returns: 0" in again and overdue.count() == 3
