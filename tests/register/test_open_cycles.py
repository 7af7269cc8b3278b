"""Cycles open with the credential: on certification and every return to active (on the audit chain),
in bulk for credentials that came without one (`ombuds register open-cycles`, safe to run again),
and end when the credential is revoked or surrendered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.register.models import CredentialProgram, RecertificationCycle
from ombuds.register.services import credential_transition, cycles_open_bulk

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def program(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        cycle_months=36,
        required_units=Decimal("10"),
        unit_categories={"ethics": 2},
    )


def _active(make_credential, **dates):
    return make_credential(
        "active",
        **{"issued_on": dt.date(2020, 1, 1), "expires_on": dt.date(2027, 3, 1), **dates},
    )


def test_certification_opens_the_first_cycle_on_the_chain(make_credential, personas):
    candidate = make_credential("candidate")
    credential_transition(
        credential=candidate,
        to_status="active",
        effective_date=TODAY,
        reason="Passed",
        acting_user=personas["body_staff"],
    )
    cycle = RecertificationCycle.objects.get(credential=candidate)
    assert (cycle.starts_on, cycle.due_on) == (TODAY, dt.date(2029, 6, 1))
    assert cycle.required_by_category == {"ethics": 2}
    event = Event.objects.get(action="register.cycle_opened")
    assert event.actor == personas["body_staff"] and event.subject_id == str(cycle.pk)


def test_a_credential_back_from_suspension_without_a_cycle_gets_one(make_credential):
    suspended = make_credential(
        "suspended", issued_on=dt.date(2024, 1, 1), expires_on=dt.date(2027, 1, 1)
    )
    credential_transition(
        credential=suspended, to_status="active", effective_date=TODAY, reason="Served"
    )
    cycle = RecertificationCycle.objects.get(credential=suspended)
    assert (cycle.starts_on, cycle.due_on, cycle.outcome) == (
        TODAY,
        dt.date(2027, 1, 1),
        "open",
    )


@pytest.mark.parametrize("to_status", ["revoked", "surrendered"])
def test_the_open_cycle_ends_with_a_revoked_or_surrendered_credential(make_credential, to_status):
    credential = _active(make_credential)
    cycles_open_bulk(organization=credential.program.organization)
    credential_transition(
        credential=credential,
        to_status=to_status,
        effective_date=TODAY,
        reason="Decided",
        decision_ref="EC-1" if to_status == "revoked" else "",
    )
    cycle = RecertificationCycle.objects.get(credential=credential)
    assert cycle.outcome == "ended"
    assert cycle.outcome_reason == f"The credential was {to_status}."
    assert Event.objects.filter(action="register.cycle_closed").count() == 1


def test_open_cycles_opens_each_active_credentials_current_term_once(make_credential, body):
    long_held = _active(make_credential)  # issued 2020: the term is the last 36 months
    recent = _active(make_credential, issued_on=dt.date(2025, 1, 1))
    make_credential("candidate")
    make_credential("expired", issued_on=dt.date(2020, 1, 1), expires_on=dt.date(2023, 1, 1))
    _active(make_credential, expires_on=dt.date(2026, 5, 31))  # awaiting the daily task
    result = cycles_open_bulk(organization=body, batch_size=2)
    assert result.opened == 2 and result.already_open == 0
    assert dict(result.skipped) == {
        "candidate, not active": 1,
        "expired, not active": 1,
        "the expiry date has passed": 1,
    }
    assert result.summary() == (
        "2 cycles opened; 0 credentials already had one; 1 skipped: candidate, not active; "
        "1 skipped: expired, not active; 1 skipped: the expiry date has passed"
    )
    first = RecertificationCycle.objects.get(credential=long_held)
    assert (first.starts_on, first.due_on) == (dt.date(2024, 3, 1), dt.date(2027, 3, 1))
    second = RecertificationCycle.objects.get(credential=recent)
    assert second.starts_on == dt.date(2025, 1, 1)
    # One audit event per batch that opened any (of two: the second opened none), naming them.
    events = Event.objects.filter(action="register.cycles_opened").order_by("seq")
    assert [e.data["credentials"] for e in events] == [[long_held.number, recent.number]]

    again = cycles_open_bulk(organization=body)
    assert (again.opened, again.already_open) == (0, 2)
    assert RecertificationCycle.objects.count() == 2
    assert Event.objects.filter(action="register.cycles_opened").count() == 1


def test_a_programme_without_continuing_education_gets_no_cycle(make_credential, body):
    bare = CredentialProgram.objects.create(
        organization=body, code="bare", name="Bare", abbreviation="B"
    )
    _active(make_credential, program=bare)
    result = cycles_open_bulk(organization=body)
    assert result.opened == 0
    assert dict(result.skipped) == {"the programme asks for no continuing education": 1}


def test_another_bodys_credentials_are_left_alone(make_credential, other_body):
    _active(make_credential)
    assert cycles_open_bulk(organization=other_body).opened == 0
    assert not RecertificationCycle.objects.exists()


# --- the command --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["body_staff", "body_admin", "superuser"])
def test_the_bodys_staff_open_cycles_from_the_command_line(
    make_credential, personas, persona, capsys
):
    _active(make_credential)
    user = personas[persona]
    call_command("register", "open-cycles", "--org", "guild", "--as", user.username)
    assert capsys.readouterr().out.strip() == "1 cycle opened; 0 credentials already had one"
    assert Event.objects.get(action="register.cycles_opened").actor == user
    call_command("register", "open-cycles", "--org", "guild", "--as", user.username)
    assert capsys.readouterr().out.strip() == "0 cycles opened; 1 credential already had one"


@pytest.mark.parametrize(
    ("persona", "message"),
    [
        ("committee_member", "'carl' is not an administrator or staff of GOE"),
        ("other_body_admin", "'olga' is not an administrator or staff of GOE"),
        ("signed_in_no_role", "'nora' is not an administrator or staff of GOE"),
    ],
    ids=["committee-member", "other-body-admin", "no-role"],
)
def test_nobody_else_opens_cycles_from_the_command_line(
    make_credential, personas, persona, message
):
    _active(make_credential)
    with pytest.raises(CommandError) as refused:
        call_command(
            "register", "open-cycles", "--org", "guild", "--as", personas[persona].username
        )
    assert str(refused.value) == message
    assert not RecertificationCycle.objects.exists()


def test_an_unknown_body_is_a_one_line_refusal(personas):
    with pytest.raises(CommandError, match="no body with slug 'nope'"):
        call_command("register", "open-cycles", "--org", "nope", "--as", "sam")
