"""The clock: when returns are due, reminders before (each once), a return not filed in time
recorded as a finding (once, corrected when it is filed), and the daily job that runs it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from ombuds.compliance import schedule, services, synthetic
from ombuds.compliance.models import Finding, Programme
from ombuds.compliance.programme import load
from ombuds.operations.daily import JOBS
from ombuds.register.models import Membership, MembershipType

# CSEC's trust ledger is due 10 business days after its month ends: March 2026 on 14 April.
MARCH_DUE = dt.date(2026, 4, 14)


@pytest.fixture
def members(council):
    """Both agencies members since 2025; the programme installed on 10 January 2026."""
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


def test_due_dates_count_business_days_and_skip_the_programmes_holidays(council):
    programme = load(Programme.objects.get().text)
    ledger = programme.returns["trust_ledger"]
    assert schedule.due_on(ledger, programme, dt.date(2026, 3, 31)) == MARCH_DUE
    assert schedule.business_days_after(dt.date(2026, 12, 24), 1, frozenset()) == dt.date(
        2026, 12, 25
    )
    assert schedule.business_days_after(
        dt.date(2026, 12, 24), 1, frozenset({dt.date(2026, 12, 25)})
    ) == dt.date(2026, 12, 28)
    yearly = programme.returns["solvency"]
    assert schedule.due_on(yearly, programme, dt.date(2026, 12, 31)) == dt.date(2027, 3, 31)
    assert schedule.period_of("quarterly", dt.date(2026, 5, 9)) == (
        dt.date(2026, 4, 1),
        dt.date(2026, 6, 30),
    )


def test_returns_are_due_from_the_first_whole_period_after_the_programme_was_installed(members):
    rows = schedule.calendar(members.body, today=dt.date(2026, 4, 20))
    periods = sorted({(due.spec.key, due.start) for due, _agency, _filed in rows})
    # January began before the install: February and March are due by 20 April; no year yet.
    assert periods == [("trust_ledger", dt.date(2026, 2, 1)), ("trust_ledger", dt.date(2026, 3, 1))]
    assert {agency for _due, agency, _filed in rows} == {members.agency, members.other_agency}


def test_a_return_not_filed_by_its_due_date_is_a_finding_once(members):
    assert schedule.overdue_record(members.body, today=MARCH_DUE) == 2  # February's, both
    assert schedule.overdue_record(members.body, today=MARCH_DUE + dt.timedelta(days=1)) == 2
    assert schedule.overdue_record(members.body, today=MARCH_DUE + dt.timedelta(days=2)) == 0
    overdue = Finding.objects.get(agency=members.agency, period_start=dt.date(2026, 3, 1))
    assert overdue.rule_key == "overdue" and overdue.provision == "1.2(b)"
    assert overdue.filed_return is None and overdue.date == MARCH_DUE
    assert "14 April 2026" in overdue.detail


def test_filing_the_overdue_return_corrects_its_finding(members, tmp_path):
    schedule.overdue_record(members.body, today=dt.date(2026, 4, 20))
    made = synthetic.Synthetic(seed=3, period=synthetic.month("2026-03"), clients=5, plant=())
    services.return_file(
        organization=members.body,
        agency=members.agency,
        return_key="trust_ledger",
        period=synthetic.month("2026-03"),
        paths=made.write(tmp_path),
        user=members.users["agency_admin"],
    )
    march = Finding.objects.get(agency=members.agency, period_start=dt.date(2026, 3, 1))
    assert march.status == Finding.Status.CORRECTED and "filed late" in march.resolution
    february = Finding.objects.get(agency=members.agency, period_start=dt.date(2026, 2, 1))
    assert february.status == Finding.Status.OPEN


def test_reminders_go_once_on_each_reminder_day_to_agencies_that_have_not_filed(members):
    # CSEC reminds 5 and 1 days before. 8 April is 6 days before March's due date.
    assert schedule.reminders_send(members.body, today=dt.date(2026, 4, 8)) == 0
    assert schedule.reminders_send(members.body, today=dt.date(2026, 4, 9)) == 2
    assert schedule.reminders_send(members.body, today=dt.date(2026, 4, 9)) == 0
    assert schedule.reminders_send(members.body, today=dt.date(2026, 4, 10)) == 0
    assert schedule.reminders_send(members.body, today=dt.date(2026, 4, 13)) == 2
    to_ada = [m for m in mail.outbox if "ada@example.org" in m.to]
    assert len(to_ada) == 2
    assert f"/me/agency/{members.agency.pk}/compliance/" in to_ada[0].body
    assert "14 April 2026" in to_ada[0].subject


def test_an_agency_that_filed_is_not_reminded(members, tmp_path):
    made = synthetic.Synthetic(seed=3, period=synthetic.month("2026-03"), clients=5, plant=())
    services.return_file(
        organization=members.body,
        agency=members.agency,
        return_key="trust_ledger",
        period=synthetic.month("2026-03"),
        paths=made.write(tmp_path),
        user=members.users["agency_admin"],
    )
    assert schedule.reminders_send(members.body, today=dt.date(2026, 4, 9)) == 1
    assert mail.outbox[0].to == ["otto@example.org"]


def test_an_agency_whose_membership_ended_files_nothing(members):
    Membership.objects.filter(agency=members.other_agency).update(status=Membership.Status.LAPSED)
    rows = schedule.calendar(members.body, today=dt.date(2026, 4, 20))
    assert {agency for _due, agency, _filed in rows} == {members.agency}


def test_the_daily_job_reminds_records_and_escalates(members):
    assert JOBS["compliance"] is schedule.compliance_tick
    totals = schedule.compliance_tick(today=dt.date(2026, 4, 20))
    assert totals["overdue returns"] == 4
    again = schedule.compliance_tick(today=dt.date(2026, 4, 20))
    assert again["overdue returns"] == 0
    later = schedule.compliance_tick(today=dt.date(2026, 6, 1))
    assert later["findings escalated"] == 4
