"""Both shipped procedures keep a sanction off the register while it is open to appeal: imposing it
tells the respondent (and how to appeal) but changes nothing; it takes effect when the appeal period
ends without an appeal or the appeal is dismissed, and an allowed appeal leaves nothing to undo."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ombuds.cases import services
from ombuds.cases.models import SanctionChoice
from ombuds.register import public
from ombuds.register.models import Sanction, StatusEvent
from tests.cases.conftest import end_appeal_window, file_case, take
from tests.cases.test_case_walkthrough import choose, to_sanction

pytestmark = pytest.mark.django_db

UNTIL = 60


def _record(body):
    record = body.credential or body.membership
    record.refresh_from_db()
    return record


def _public(body):
    if body.credential is None:
        return public.membership_verify("CSEC-017", organization=body.org)
    return public.credential_verify("CESP-1234", organization=body.org)


def _imposed(body):
    """A case whose suspension is imposed and open to appeal; the register as it was."""
    case = to_sanction(file_case(body), body)
    until = timezone.localdate() + dt.timedelta(days=UNTIL)
    choose(case, body, "suspension", effective_until=until)
    case = take(case, "impose_sanction", body.committee)
    assert case.state == "appeal_window"
    assert case.notices.filter(template="sanction", recipient_role="respondent").exists()
    assert _record(body).status == "active"
    assert not Sanction.objects.exists() and not StatusEvent.objects.exists()
    shown = _public(body)
    assert (shown.status, shown.sanctions, shown.standing.upcoming) == ("active", [], [])
    return case


def _appeal(case):
    return services.case_step(
        case=case,
        step="lodge_appeal",
        roles={"respondent"},
        actor_label="respondent (link)",
        inputs={"grounds": "Too harsh."},
    )


def _applied(body):
    until = timezone.localdate() + dt.timedelta(days=UNTIL)
    record = _record(body)
    assert (record.status, record.suspended_until) == ("suspended", until)
    assert Sanction.objects.get().state == "in_effect"
    shown = _public(body)
    assert shown.status == "suspended"
    assert [s.kind for s in shown.sanctions] == ["suspension"]


@pytest.mark.parametrize("fixture", ["csec", "espcc"])
def test_the_sanction_applies_when_the_appeal_period_ends(fixture, request):
    body = request.getfixturevalue(fixture)
    case = end_appeal_window(_imposed(body))
    assert case.state == "closed"
    _applied(body)


@pytest.mark.parametrize("fixture", ["csec", "espcc"])
def test_the_sanction_applies_when_the_appeal_is_dismissed(fixture, request):
    body = request.getfixturevalue(fixture)
    case = _appeal(_imposed(body))
    assert _record(body).status == "active" and not Sanction.objects.exists()
    case = take(case, "appeal_dismissed", body.chair, reasons="The decision stands.")
    assert case.state == "closed"
    _applied(body)


@pytest.mark.parametrize("fixture", ["csec", "espcc"])
def test_an_allowed_appeal_finds_nothing_applied_and_nothing_to_lift(fixture, request):
    body = request.getfixturevalue(fixture)
    case = _appeal(_imposed(body))
    case = take(case, "appeal_allowed", body.chair, reasons="Set aside.")
    assert case.state == "committee"
    assert _record(body).status == "active"
    assert not Sanction.objects.exists() and not StatusEvent.objects.exists()
    assert not SanctionChoice.objects.filter(case=case).exists()  # the committee chooses anew
    assert services.deadlines_tick(today=timezone.localdate() + dt.timedelta(days=UNTIL + 40))
    assert _record(body).status == "active"
    assert _public(body).sanctions == []
