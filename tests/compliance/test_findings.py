"""A finding's life: the agency answers it within its cure period, or corrects it by an amended
return (which cannot buy time); what is left goes to the council, which closes it or opens a case
citing the provision with the evidence attached."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.cases.models import BodyProcedure, Case, Document
from ombuds.compliance import findings, services, synthetic
from ombuds.compliance.models import Finding, Return
from ombuds.core.changes import ChangedMeanwhile, version_of

MARCH = synthetic.month("2026-03")
PLANTED = {"shortfall", "no_contract", "fee_beyond_contract"}


def _paths(folder, plant, seed=7):
    made = synthetic.Synthetic(seed=seed, period=MARCH, clients=10, plant=plant)
    return made.write(folder)


def _file(council, folder, plant=PLANTED, amends=None, who="agency_admin") -> Return:
    folder.mkdir(exist_ok=True)
    return services.return_file(
        organization=council.body,
        agency=council.agency,
        return_key="trust_ledger",
        period=MARCH,
        paths=_paths(folder, plant),
        user=council.users[who],
        amends=amends,
    )


@pytest.fixture
def filed(council, tmp_path) -> Return:
    return _file(council, tmp_path / "first")


def test_findings_name_their_agency_period_and_the_day_the_cure_period_ends(council, filed):
    found = list(filed.findings.all())
    assert {f.rule_key for f in found} == PLANTED
    for f in found:
        assert (f.organization, f.agency, f.return_key) == (
            council.body,
            council.agency,
            "trust_ledger",
        )
        assert (f.period_start, f.period_end) == MARCH
        assert f.cure_by == timezone.localdate() + dt.timedelta(days=30)  # CSEC's cure_days
        assert f.status == Finding.Status.OPEN and len(f.fingerprint) == 64


def test_the_agencys_administrator_answers_and_the_finding_goes_to_the_council(council, filed):
    finding = filed.findings.get(rule_key="no_contract")
    answered = findings.finding_answer(
        finding=finding,
        user=council.users["agency_admin"],
        text="The contract was signed on paper; the scan is attached to the amended return.",
        version=version_of(finding),
    )
    assert answered.status == Finding.Status.ANSWERED
    assert answered.answered_by_label and answered.answered_at
    event = Event.objects.filter(action="compliance.finding_answered").get()
    assert event.subject_id == str(finding.pk) or int(event.subject_id) == finding.pk


@pytest.mark.parametrize("who", ["agency_employee", "other_agency_admin", "body_staff", "no_role"])
def test_nobody_but_the_agencys_administrators_answers(council, filed, who):
    finding = filed.findings.first()
    with pytest.raises(findings.FindingRefused, match="administrators"):
        findings.finding_answer(finding=finding, user=council.users[who], text="We fixed it.")
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN and not finding.answer


def test_an_answer_is_refused_empty_stale_twice_or_after_the_cure_period(council, filed):
    admin = council.users["agency_admin"]
    finding = filed.findings.first()
    with pytest.raises(findings.FindingRefused, match="Write the answer"):
        findings.finding_answer(finding=finding, user=admin, text="   ")
    read = version_of(finding)
    findings.finding_answer(finding=finding, user=admin, text="First answer.", version=read)
    with pytest.raises(ChangedMeanwhile):
        findings.finding_answer(finding=finding, user=admin, text="Second.", version=read)
    with pytest.raises(findings.FindingRefused, match="takes no answer"):
        findings.finding_answer(finding=finding, user=admin, text="Second.")
    late = filed.findings.filter(status=Finding.Status.OPEN).first()
    Finding.objects.filter(pk=late.pk).update(cure_by=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(findings.FindingRefused, match="time to answer ended"):
        findings.finding_answer(finding=late, user=admin, text="Too late.")


def test_an_amended_return_finding_the_same_carries_the_answer_and_the_cure_date(
    council, filed, tmp_path
):
    finding = filed.findings.get(rule_key="shortfall")
    findings.finding_answer(finding=finding, user=council.users["agency_admin"], text="A delay.")
    Finding.objects.filter(filed_return=filed).update(cure_by=dt.date(2026, 5, 1))
    again = _file(council, tmp_path / "same", amends=filed.pk)
    carried = again.findings.get(rule_key="shortfall")
    assert carried.carried_from_id == finding.pk
    assert (carried.status, carried.answer) == (Finding.Status.ANSWERED, "A delay.")
    assert all(f.cure_by == dt.date(2026, 5, 1) for f in again.findings.all())
    assert set(filed.findings.values_list("status", flat=True)) == {Finding.Status.SUPERSEDED}


def test_an_amended_return_without_the_problem_corrects_the_finding(council, filed, tmp_path):
    fixed = _file(council, tmp_path / "honest", plant=(), amends=filed.pk)
    assert not fixed.findings.exists()
    assert set(filed.findings.values_list("status", flat=True)) == {Finding.Status.CORRECTED}
    event = Event.objects.filter(action="compliance.return_filed").order_by("-pk").first()
    assert event.data["corrected"] == len(PLANTED)


def test_findings_still_open_after_the_cure_period_go_to_the_council_once(council, filed):
    answered = filed.findings.get(rule_key="shortfall")
    findings.finding_answer(finding=answered, user=council.users["agency_admin"], text="Explained.")
    Finding.objects.filter(filed_return=filed).update(cure_by=dt.date(2026, 4, 30))
    assert findings.findings_escalate(today=dt.date(2026, 4, 30)) == 0  # the last day is theirs
    assert findings.findings_escalate(today=dt.date(2026, 5, 1)) == len(PLANTED) - 1
    assert findings.findings_escalate(today=dt.date(2026, 5, 2)) == 0
    statuses = dict(filed.findings.values_list("rule_key", "status"))
    assert statuses.pop("shortfall") == Finding.Status.ANSWERED
    assert set(statuses.values()) == {Finding.Status.ESCALATED}
    assert Event.objects.filter(action="compliance.findings_escalated").count() == 1


@pytest.mark.parametrize(
    "who", ["agency_admin", "agency_employee", "other_agency_admin", "no_role"]
)
def test_only_the_bodys_staff_close_a_finding_or_open_a_case_from_it(council, filed, who):
    finding = filed.findings.first()
    Finding.objects.filter(pk=finding.pk).update(status=Finding.Status.ESCALATED)
    finding.refresh_from_db()
    with pytest.raises(findings.FindingRefused, match="staff"):
        findings.finding_accept(finding=finding, user=council.users[who], reason="Fine.")
    with pytest.raises(findings.FindingRefused, match="staff"):
        findings.finding_refer(finding=finding, user=council.users[who])
    finding.refresh_from_db()
    assert finding.status == Finding.Status.ESCALATED and not Case.objects.exists()


def test_staff_close_a_finding_with_their_reason(council, filed):
    finding = filed.findings.first()
    with pytest.raises(findings.FindingRefused, match="Say why"):
        findings.finding_accept(finding=finding, user=council.users["body_staff"], reason="")
    closed = findings.finding_accept(
        finding=finding, user=council.users["body_staff"], reason="The bank's error, corrected."
    )
    assert closed.status == Finding.Status.ACCEPTED and closed.resolved_by_label
    with pytest.raises(findings.FindingRefused, match="already"):
        findings.finding_accept(finding=closed, user=council.users["body_staff"], reason="Again.")


def test_a_case_opened_from_a_finding_cites_its_provision_and_attaches_its_evidence(council, filed):
    BodyProcedure.objects.create(organization=council.body, procedure_key="csec-article-5")
    finding = filed.findings.get(rule_key="shortfall")
    staff = council.users["body_staff"]
    with pytest.raises(findings.FindingRefused, match="did not answer in time"):
        findings.finding_refer(finding=finding, user=staff)  # still the agency's to answer
    findings.finding_answer(finding=finding, user=council.users["agency_admin"], text="Timing.")
    finding.refresh_from_db()
    case = findings.finding_refer(finding=finding, user=staff, version=version_of(finding))
    assert case.respondent_agency == council.agency
    assert case.channel == Case.Channel.STAFF
    allegation = case.allegations.get()
    assert [p.citation for p in allegation.provisions.all()] == ["1.2(c)"]
    assert "CSEC 1.2(c)" in allegation.summary and finding.detail in allegation.summary
    document = case.documents.get()
    assert document.visibility == Document.Visibility.INTERNAL
    finding.refresh_from_db()
    assert (finding.status, finding.case) == (Finding.Status.REFERRED, case)
    assert case.reference in finding.resolution
    with pytest.raises(findings.FindingRefused):
        findings.finding_refer(finding=finding, user=staff)
    assert Case.objects.count() == 1


def test_the_evidence_names_the_return_its_files_and_the_rows(council, filed):
    finding = filed.findings.get(rule_key="fee_beyond_contract")
    text = findings.evidence_text(finding)
    assert f"return {filed.pk}" in text and "SHA-256" in text
    assert finding.detail in text and "1.3(d)" in text
