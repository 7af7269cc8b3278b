"""Recertification cycles: units by category, evidence, review, outcomes, reminders sent once each."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from ombuds.register import recertification as recert
from ombuds.register.models import (
    Activity,
    Credential,
    CredentialProgram,
    Person,
    RecertificationCycle,
    ReminderSent,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(recert.timezone, "localdate", lambda: TODAY)


@pytest.fixture
def credential(body):
    program = CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        cycle_months=36,
        required_units=Decimal("10"),
        unit_categories={"ethics": 2, "practice": 6},
    )
    holder = Person.objects.create(
        organization=body, given_name="Wen", family_name="Kim", email="wen@example.org"
    )
    return Credential.objects.create(
        program=program,
        holder=holder,
        number="CGP-1",
        status="active",
        issued_on=dt.date(2024, 1, 1),
        expires_on=dt.date(2027, 1, 1),
    )


@pytest.fixture
def cycle(credential):
    return recert.cycle_open(credential=credential)


def submit(cycle, category="practice", units="4", day=dt.date(2025, 5, 1), **kw):
    return recert.activity_submit(
        cycle=cycle,
        category=category,
        title="Workshop",
        units=Decimal(units),
        completed_on=day,
        **kw,
    )


def test_a_cycle_is_due_at_the_credentials_expiry_with_the_programs_requirements(cycle):
    assert (cycle.starts_on, cycle.due_on, cycle.required_units) == (
        dt.date(2024, 1, 1),
        dt.date(2027, 1, 1),
        Decimal("10"),
    )
    assert cycle.required_by_category == {"ethics": 2, "practice": 6}
    with pytest.raises(recert.RecertificationError, match="already has an open cycle"):
        recert.cycle_open(credential=cycle.credential)


def test_only_approved_units_count_and_categories_are_tracked(cycle, personas):
    a = submit(cycle, units="4")
    submit(cycle, category="ethics", units="2")
    recert.activity_review(activity=a, approve=True, acting_user=personas["body_staff"])
    progress = recert.cycle_progress(cycle)
    assert (progress.earned, progress.pending, progress.remaining) == (
        Decimal(4),
        Decimal(2),
        Decimal(6),
    )
    assert progress.by_category == {
        "ethics": (Decimal(0), Decimal(2)),
        "practice": (Decimal(4), Decimal(6)),
    }
    assert not progress.met


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"category": "cooking"}, "category must be one of ethics, practice"),
        ({"units": "0"}, "units must be more than 0"),
        ({"day": dt.date(2023, 12, 31)}, "completed within the cycle"),
        ({"day": dt.date(2026, 7, 1)}, "not in the future"),
    ],
)
def test_a_bad_activity_is_refused_with_the_reason(cycle, kwargs, message):
    with pytest.raises(recert.RecertificationError, match=message):
        submit(cycle, **kwargs)
    assert not Activity.objects.exists()


def test_evidence_is_stored_outside_the_web_root_and_its_content_is_checked(cycle, settings):
    pdf = SimpleUploadedFile("certificate.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    activity = submit(cycle, evidence=pdf)
    assert activity.evidence.path.startswith(str(settings.MEDIA_ROOT))
    assert "/evidence/guild/" in activity.evidence.path
    with pytest.raises(recert.RecertificationError, match=r"run\.exe is not one of the formats"):
        submit(
            cycle, day=dt.date(2025, 5, 2), evidence=SimpleUploadedFile("run.exe", b"MZ\x90\x00")
        )
    # The name says PDF, the content does not: refused as the complaint's documents are.
    with pytest.raises(
        recert.RecertificationError, match=r"named as \.pdf but its content is plain"
    ):
        submit(cycle, day=dt.date(2025, 5, 3), evidence=SimpleUploadedFile("fake.pdf", b"hello"))
    assert Activity.objects.count() == 1


def test_a_rejection_needs_a_reason_and_a_review_happens_once(cycle):
    a = submit(cycle)
    with pytest.raises(recert.RecertificationError, match="needs a reason"):
        recert.activity_review(activity=a, approve=False)
    recert.activity_review(activity=a, approve=False, reason="Not accredited")
    with pytest.raises(recert.RecertificationError, match="already rejected"):
        recert.activity_review(activity=a, approve=True)


def test_compliant_needs_the_requirements_met(cycle):
    with pytest.raises(
        recert.RecertificationError,
        match=r"requirements not met: 0 of 10\.0 units approved; ethics: 0 of 2; practice: 0 of 6",
    ):
        recert.cycle_close(cycle=cycle, outcome="compliant")


def test_compliance_extends_the_credential_and_opens_the_next_cycle(cycle):
    for category, units in (("ethics", "2"), ("practice", "8")):
        recert.activity_review(activity=submit(cycle, category=category, units=units), approve=True)
    recert.cycle_close(cycle=cycle, outcome="compliant")
    credential = Credential.objects.get(pk=cycle.credential_id)
    assert credential.expires_on == dt.date(2030, 1, 1)
    assert credential.events.last().reason == "Recertified (compliant); now expires 2030-01-01"
    nxt = RecertificationCycle.objects.get(credential=credential, outcome="open")
    assert (nxt.starts_on, nxt.due_on) == (dt.date(2027, 1, 1), dt.date(2030, 1, 1))


def test_non_compliant_needs_a_reason_and_leaves_the_expiry_as_it_was(cycle):
    with pytest.raises(recert.RecertificationError, match="say why"):
        recert.cycle_close(cycle=cycle, outcome="non_compliant")
    recert.cycle_close(cycle=cycle, outcome="non_compliant", reason="No activities submitted")
    assert Credential.objects.get(pk=cycle.credential_id).expires_on == dt.date(2027, 1, 1)
    with pytest.raises(recert.RecertificationError, match="already closed"):
        recert.cycle_close(cycle=cycle, outcome="exempt", reason="x")


def _due_in(cycle, days):
    RecertificationCycle.objects.filter(pk=cycle.pk).update(due_on=TODAY + dt.timedelta(days=days))


def test_reminders_go_out_once_per_threshold_even_when_the_task_runs_twice(
    cycle, django_capture_on_commit_callbacks
):
    _due_in(cycle, 85)
    with django_capture_on_commit_callbacks(execute=True):
        assert recert.send_due_reminders() == 1
        assert recert.send_due_reminders() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "CGP recertification due in 85 days"
    assert mail.outbox[0].to == ["wen@example.org"]
    _due_in(cycle, 29)
    with django_capture_on_commit_callbacks(execute=True):
        assert recert.send_due_reminders() == 1
        assert recert.send_due_reminders() == 0
    _due_in(cycle, 7)
    with django_capture_on_commit_callbacks(execute=True):
        assert recert.send_due_reminders() == 1
    assert sorted(ReminderSent.objects.values_list("days_before", flat=True)) == [7, 30, 90]
    assert len(mail.outbox) == 3


def test_a_task_that_missed_days_sends_only_the_nearest_reminder(
    cycle, django_capture_on_commit_callbacks
):
    _due_in(cycle, 5)
    with django_capture_on_commit_callbacks(execute=True):
        assert recert.send_due_reminders() == 1
    assert list(ReminderSent.objects.values_list("days_before", flat=True)) == [7]
    assert len(mail.outbox) == 1


def test_no_reminder_far_from_the_due_date(cycle):
    _due_in(cycle, 200)
    assert recert.send_due_reminders() == 0
    assert not ReminderSent.objects.exists()
