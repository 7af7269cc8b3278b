"""Sanctions as the committee decides them: dated later (scheduled, applied by the daily work on
their date), probation with its conditions (kept and shown as the publication policy allows), fines
(amount, currency, due date, paid), and an allowed appeal lifting the sanction in the same step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.cases import services
from ombuds.cases.services import CaseRefused
from ombuds.cases.services.register_bridge import impose_on_register
from ombuds.register import public
from ombuds.register import services as register
from ombuds.register.models import Credential, Sanction
from ombuds.register.tasks import daily_work
from tests.cases.conftest import end_appeal_window, file_case, take
from tests.cases.test_case_walkthrough import choose, to_sanction


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def _appeal(case):
    services.case_step(
        case=case,
        step="lodge_appeal",
        roles={"respondent"},
        actor_label="respondent (link)",
        inputs={"grounds": "Too harsh."},
    )


def test_a_suspension_dated_later_is_scheduled_and_applied_on_its_date(csec):
    case = to_sanction(file_case(csec), csec)
    start = days(20)
    choose(case, csec, "suspension", effective_from=start, effective_until=days(80))
    take(case, "impose_sanction", csec.chair)  # refused before: "impose it then"
    end_appeal_window(case)
    sanction = Sanction.objects.get()
    csec.membership.refresh_from_db()
    assert (sanction.state, csec.membership.status) == ("scheduled", "active")
    found = public.membership_verify("CSEC-017", organization=csec.org)
    assert found.standing.upcoming == [f"Suspension from {start.day} {start:%B %Y}"]
    assert found.sanctions[0].scheduled

    assert daily_work(today=days(19))["sanctions applied"] == 0
    assert daily_work(today=start)["sanctions applied"] == 1
    assert daily_work(today=start)["sanctions applied"] == 0  # a second run changes nothing
    csec.membership.refresh_from_db()
    sanction.refresh_from_db()
    assert (csec.membership.status, csec.membership.suspended_until) == ("suspended", days(80))
    assert sanction.state == "in_effect"
    assert csec.membership.events.get(to_status="suspended").effective_date == start
    assert Event.objects.filter(action="register.sanction_applied").count() == 1
    later = public.membership_verify("CSEC-017", organization=csec.org, today=start)
    assert later.standing.upcoming == [] and later.status == "suspended"


def test_the_public_page_announces_a_scheduled_sanction_in_words(client, csec):
    case = to_sanction(file_case(csec), csec)
    choose(
        case,
        csec,
        "suspension",
        effective_from=dt.date(2099, 1, 22),
        effective_until=dt.date(2099, 6, 1),
    )
    take(case, "impose_sanction", csec.chair)
    end_appeal_window(case)
    html = client.get(reverse("register:membership", kwargs={"org": "csec", "number": "CSEC-017"}))
    text = html.content.decode()
    assert "Suspension from 22 January 2099." in text
    assert "Takes effect" in text


def test_a_date_far_in_the_past_is_refused_in_words(csec):
    case = to_sanction(file_case(csec), csec)
    with pytest.raises(CaseRefused, match="takes effect from today or a later date"):
        choose(case, csec, "reprimand", effective_from=days(-30))
    choose(case, csec, "reprimand", effective_from=days(-3))  # a meeting a few days ago


def test_probation_conditions_are_kept_and_shown_instead_of_good_standing(client, csec):
    case = to_sanction(file_case(csec), csec)
    choose(case, csec, "probation", conditions="Monthly audit of client trust accounts.")
    take(case, "impose_sanction", csec.chair)
    end_appeal_window(case)
    csec.membership.refresh_from_db()
    assert csec.membership.conditions == "Monthly audit of client trust accounts."
    assert Sanction.objects.get().conditions == "Monthly audit of client trust accounts."
    page = client.get(reverse("register:membership", kwargs={"org": "csec", "number": "CSEC-017"}))
    html = page.content.decode()
    assert page.status_code == 200
    assert "A member in good standing" not in html
    assert "Active, on probation." in html
    assert "Monthly audit of client trust accounts." in html


def test_a_private_probation_keeps_its_conditions_off_the_public_register(espcc):
    case = to_sanction(file_case(espcc), espcc)
    choose(case, espcc, "probation", conditions="Supervision.", publication="private")
    take(case, "impose_sanction", espcc.chair)
    end_appeal_window(case)
    espcc.credential.refresh_from_db()
    assert espcc.credential.conditions == "Supervision."
    found = public.credential_verify("CESP-1234", organization=espcc.org)
    assert found.conditions == "" and found.standing.probation == ""


def test_a_fine_has_its_amount_due_date_and_is_in_the_sanction_notice(csec):
    case = to_sanction(file_case(csec), csec)
    with pytest.raises(CaseRefused) as refused:
        choose(case, csec, "fine")
    assert "give the fine's amount (more than 0)" in refused.value.problems
    assert "give the date the fine is due" in refused.value.problems
    choose(case, csec, "fine", amount=Decimal("250.00"), currency="usd", due_on=days(30))
    take(case, "impose_sanction", csec.chair)
    end_appeal_window(case)
    sanction = Sanction.objects.get()
    assert (sanction.amount, sanction.currency, sanction.due_on) == (
        Decimal("250.00"),
        "USD",
        days(30),
    )
    notice = case.notices.get(template="sanction")
    assert "The fine: 250.00 USD, to be paid by" in notice.body


def test_staff_record_a_fine_paid_once(csec):
    case = to_sanction(file_case(csec), csec)
    choose(case, csec, "fine", amount=Decimal("100"), currency="USD", due_on=days(10))
    take(case, "impose_sanction", csec.chair)
    end_appeal_window(case)
    sanction = Sanction.objects.get()
    with pytest.raises(register.TransitionRefused, match="in the future"):
        register.sanction_fine_paid(
            organization=csec.org, sanction=sanction, paid_on=days(1), acting_user=csec.staff
        )
    register.sanction_fine_paid(
        organization=csec.org,
        sanction=sanction,
        paid_on=days(0),
        note="Cheque 1042",
        acting_user=csec.staff,
    )
    sanction.refresh_from_db()
    assert (sanction.paid_on, sanction.payment_note) == (days(0), "Cheque 1042")
    assert Event.objects.filter(action="register.fine_paid").count() == 1
    with pytest.raises(register.TransitionRefused, match="already recorded as paid"):
        register.sanction_fine_paid(
            organization=csec.org, sanction=sanction, paid_on=days(0), acting_user=csec.staff
        )


def test_an_allowed_appeal_lifts_the_suspension_in_the_same_step(csec):
    case = to_sanction(file_case(csec), csec)
    choose(case, csec, "suspension", effective_until=days(30))
    take(case, "impose_sanction", csec.chair)
    # As a file with its register effect on impose_sanction would (docs/procedures.md).
    impose_on_register(case, acting_user=csec.chair)
    csec.membership.refresh_from_db()
    assert csec.membership.status == "suspended"
    _appeal(case)
    take(case, "appeal_allowed", csec.committee, reasons="The hearing was unfair.")
    csec.membership.refresh_from_db()
    sanction = Sanction.objects.get()
    assert (csec.membership.status, csec.membership.suspended_until) == ("active", None)
    assert sanction.state == "lifted" and "The hearing was unfair." in sanction.lift_reason
    assert Event.objects.filter(action="register.sanction_lifted").count() == 1
    assert public.membership_verify("CSEC-017", organization=csec.org).sanctions == []


def test_an_allowed_appeal_cancels_a_scheduled_sanction(csec):
    case = to_sanction(file_case(csec), csec)
    choose(case, csec, "suspension", effective_from=days(40), effective_until=days(90))
    take(case, "impose_sanction", csec.chair)
    # As a file with its register effect on impose_sanction would (docs/procedures.md).
    impose_on_register(case, acting_user=csec.chair)
    _appeal(case)
    take(case, "appeal_allowed", csec.committee, reasons="Set aside.")
    assert Sanction.objects.get().state == "lifted"
    assert daily_work(today=days(40))["sanctions applied"] == 0
    csec.membership.refresh_from_db()
    assert csec.membership.status == "active"


def test_a_lift_the_register_refuses_leaves_the_step_untaken(espcc):
    case = to_sanction(file_case(espcc), espcc)
    choose(case, espcc, "revocation")
    take(case, "impose_sanction", espcc.chair)
    # As a file with its register effect on impose_sanction would (docs/procedures.md).
    impose_on_register(case, acting_user=espcc.chair)
    _appeal(case)
    # Meanwhile the holder was certified anew: the revoked credential cannot come back.
    Credential.objects.create(
        program=espcc.credential.program,
        holder=espcc.holder,
        number="CESP-9999",
        status="active",
    )
    with pytest.raises(CaseRefused, match="another live"):
        take(case, "appeal_allowed", espcc.committee, reasons="Set aside.")
    case.refresh_from_db()
    espcc.credential.refresh_from_db()
    assert case.state == "appeal"
    assert espcc.credential.status == "revoked"
    assert Sanction.objects.get().state == "in_effect"
