"""Recertification by the holders, at the service: activities sent as the holder, evidence added
later, the cycle submitted, a cycle drawn for audit accepted only with every activity's evidence, and
each step on the audit chain."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.register import recert_audit
from ombuds.register import recertification as recert
from ombuds.register.models import (
    Activity,
    Credential,
    CredentialProgram,
    Person,
    RecertificationCycle,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(recert.timezone, "localdate", lambda: TODAY)


@pytest.fixture
def program(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        cycle_months=36,
        required_units=Decimal("10"),
        unit_categories={"ethics": 2, "practice": 6},
        audit_fraction=Decimal("0.5"),
    )


def _holder_cycle(program, user, number: str) -> RecertificationCycle:
    holder = Person.objects.create(
        organization=program.organization, given_name="Wen", family_name=number, user=user
    )
    credential = Credential.objects.create(
        program=program,
        holder=holder,
        number=number,
        status="active",
        issued_on=dt.date(2024, 1, 1),
        expires_on=dt.date(2027, 1, 1),
    )
    return recert.cycle_open(credential=credential)


@pytest.fixture
def holder(django_user_model):
    return django_user_model.objects.create_user("wen", "wen@example.org", "pw")


@pytest.fixture
def cycle(program, holder) -> RecertificationCycle:
    return _holder_cycle(program, holder, "CGP-1")


def pdf(name: str = "certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 attended", content_type="application/pdf")


def send(cycle, user, *, category="practice", units="8", title="Workshop", **kw) -> Activity:
    return recert.activity_submit(
        cycle=cycle,
        category=category,
        title=title,
        units=Decimal(units),
        completed_on=kw.pop("day", dt.date(2025, 5, 1)),
        acting_user=user,
        as_holder=True,
        **kw,
    )


def test_a_holder_sends_an_activity_with_evidence_and_it_is_on_the_audit_chain(cycle, holder):
    activity = send(cycle, holder, evidence=pdf())
    assert activity.review == "submitted" and activity.evidence
    event = Event.objects.get(action="register.activity_submitted")
    assert event.actor == holder
    assert event.data["by_holder"] is True and event.data["evidence"] is True
    assert event.data["credential"] == "CGP-1"
    assert verify().ok


def test_someone_elses_cycle_is_refused_at_the_service(cycle, program, django_user_model):
    other = django_user_model.objects.create_user("ola", "ola@example.org", "pw")
    _holder_cycle(program, other, "CGP-2")
    with pytest.raises(recert.RecertificationError, match="not your recertification cycle"):
        send(cycle, other)
    with pytest.raises(recert.RecertificationError, match="not your recertification cycle"):
        recert.cycle_submit(cycle=cycle, acting_user=other, as_holder=True)
    assert not Activity.objects.exists()


def test_a_cycle_is_submitted_once_what_was_sent_covers_the_requirements(cycle, holder):
    send(cycle, holder, units="8")
    with pytest.raises(recert.RecertificationError) as refused:
        recert.cycle_submit(cycle=cycle, acting_user=holder, as_holder=True)
    assert str(refused.value) == (
        "the activities sent do not cover the requirements yet: 8 of 10 units; ethics: 0 of 2"
    )
    send(cycle, holder, category="ethics", units="2", title="Ethics")
    submitted = recert.cycle_submit(cycle=cycle, acting_user=holder, as_holder=True)
    assert submitted.submitted_by == holder and submitted.is_open
    assert Event.objects.filter(action="register.cycle_submitted", actor=holder).count() == 1
    # Submitted: the holder sends no more, and cannot submit twice.
    with pytest.raises(recert.RecertificationError, match="takes no more activities"):
        send(cycle, holder, title="Late")
    with pytest.raises(recert.RecertificationError, match="submitted already"):
        recert.cycle_submit(cycle=cycle, acting_user=holder, as_holder=True)


def test_a_submission_from_a_page_read_before_a_change_is_refused(cycle, holder):
    send(cycle, holder, units="8")
    send(cycle, holder, category="ethics", units="2", title="Ethics")
    seen = version_of(RecertificationCycle.objects.get(pk=cycle.pk))
    recert.activity_review(activity=Activity.objects.first(), approve=True)
    RecertificationCycle.objects.get(pk=cycle.pk).save()  # the cycle changed meanwhile
    with pytest.raises(ChangedMeanwhile):
        recert.cycle_submit(cycle=cycle, acting_user=holder, expected_version=seen, as_holder=True)
    assert RecertificationCycle.objects.get(pk=cycle.pk).submitted_at is None


def test_the_same_activity_twice_is_refused(cycle, holder):
    send(cycle, holder)
    with pytest.raises(recert.RecertificationError, match="already recorded on this cycle"):
        send(cycle, holder)
    assert Activity.objects.count() == 1


def test_evidence_is_added_once_to_an_activity_sent_without_it(cycle, holder):
    activity = send(cycle, holder)
    recert.activity_evidence_add(
        activity=activity, evidence=pdf(), acting_user=holder, as_holder=True
    )
    activity.refresh_from_db()
    assert activity.evidence.name.endswith("certificate.pdf")
    with pytest.raises(recert.RecertificationError, match="has its evidence already"):
        recert.activity_evidence_add(
            activity=activity, evidence=pdf("other.pdf"), acting_user=holder, as_holder=True
        )
    assert Event.objects.filter(action="register.activity_evidence_added").count() == 1


def test_bad_evidence_added_later_is_refused_and_nothing_is_stored(cycle, holder):
    activity = send(cycle, holder)
    with pytest.raises(recert.RecertificationError, match="not one of the formats taken"):
        recert.activity_evidence_add(
            activity=activity,
            evidence=SimpleUploadedFile("x.pdf", b"\x00\x01binary"),
            acting_user=holder,
            as_holder=True,
        )
    activity.refresh_from_db()
    assert not activity.evidence


def _submitted(program, user, number: str, *, evidence: bool) -> RecertificationCycle:
    cycle = _holder_cycle(program, user, number)
    for category, units, title in (("practice", "8", "Workshop"), ("ethics", "2", "Seminar")):
        activity = send(
            cycle,
            user,
            category=category,
            units=units,
            title=title,
            evidence=pdf() if evidence else None,
        )
        recert.activity_review(activity=activity, approve=True)
    return recert.cycle_submit(cycle=cycle, acting_user=user, as_holder=True)


def test_an_audited_cycle_is_accepted_only_once_every_activity_has_its_evidence(
    program, holder, personas
):
    cycle = _submitted(program, holder, "CGP-1", evidence=False)
    draw = recert_audit.audit_draw(
        program=program, fraction="1", acting_user=personas["body_staff"]
    )
    cycle.refresh_from_db()
    assert cycle.audit_draw == draw
    with pytest.raises(recert.RecertificationError) as refused:
        recert.cycle_close(cycle=cycle, outcome="compliant")
    assert str(refused.value) == (
        "the cycle was drawn for audit and these activities have no evidence: “Workshop”; “Seminar”"
    )
    for activity in cycle.activities.all():
        recert.activity_evidence_add(
            activity=activity, evidence=pdf(), acting_user=holder, as_holder=True
        )
    recert.cycle_close(cycle=cycle, outcome="compliant", acting_user=personas["body_staff"])
    cycle.refresh_from_db()
    assert cycle.outcome == "compliant"
    closed = Event.objects.get(action="register.cycle_closed")
    assert closed.data["audited"] is True and closed.actor == personas["body_staff"]


def test_a_cycle_not_drawn_is_accepted_without_evidence(program, holder):
    cycle = _submitted(program, holder, "CGP-1", evidence=False)
    recert.cycle_close(cycle=cycle, outcome="compliant")
    assert RecertificationCycle.objects.get(pk=cycle.pk).outcome == "compliant"
    # The next cycle opens, on the chain too.
    assert RecertificationCycle.objects.filter(credential=cycle.credential, outcome="open").exists()
    assert Event.objects.filter(action="register.cycle_opened").count() == 2


def test_a_rejected_activity_needs_no_evidence_in_an_audit(program, holder):
    cycle = _submitted(program, holder, "CGP-1", evidence=True)
    extra = Activity.objects.create(
        cycle=cycle,
        category="practice",
        title="Not accredited",
        completed_on=dt.date(2025, 6, 1),
        units=Decimal(1),
        review="rejected",
        review_reason="Not accredited",
    )
    recert_audit.audit_draw(program=program, fraction="1")
    assert extra not in recert.missing_evidence(RecertificationCycle.objects.get(pk=cycle.pk))
    recert.cycle_close(cycle=cycle, outcome="compliant")
