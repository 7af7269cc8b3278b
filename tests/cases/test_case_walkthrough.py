"""Both shipped procedures walked end to end through the services only: CSEC's Article 5 for a
member agency (proof of efforts, a suspension in the register, an appeal, reinstatement on its
date), with the Chair's waiver, and for an agency that is not a member; ESPCC for a credential
holder who does not cooperate; a dismissal; an appeal allowed; and what the register can and cannot
take from a sanction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.audit.models import Event
from ombuds.cases import services
from ombuds.cases.models import SanctionChoice
from ombuds.cases.services import CaseRefused
from ombuds.register import public
from ombuds.register import services as register
from ombuds.register.models import Sanction, StatusEvent
from tests.cases.conftest import PDF, case_events, end_appeal_window, file_case, take

TODAY = timezone.localdate


def days(n: int) -> dt.date:
    return TODAY() + dt.timedelta(days=n)


def step_names(case, user) -> set[str]:
    return {t.name for t in services.available_steps(case, user)}


def notices(case, template: str) -> dict[str, list[str]]:
    """Who got a notice made from this template: recipient role → addresses."""
    found: dict[str, list[str]] = {}
    for n in case.notices.filter(template=template).order_by("pk"):
        found.setdefault(n.recipient_role, []).append(n.recipient_email)
    return found


def decide_all(case, user, determination: str = "upheld") -> None:
    for allegation in case.allegations.all():
        services.determination_record(
            allegation=allegation,
            determination=determination,
            reasons=f"Allegation {allegation.position}: the evidence is clear.",
            acting_user=user,
        )


def to_sanction(case, body):
    """Any case brought to the sanction step with every allegation upheld."""
    take(case, "acknowledge", body.staff)
    if case.procedure_key == "csec-article-5":
        take(case, "waive_efforts", body.chair, waiver_reason="The agency would not talk.")
        take(case, "notify_member", body.chair)
    else:
        take(case, "request_cooperation", body.staff)
    services.respondent_answer(case=case, body="We deny it.", files=[])
    take(case, "investigate", body.investigator)
    take(case, "to_committee", body.investigator, summary="Late payments, records missing.")
    decide_all(case, body.committee)
    return take(case, "uphold", body.committee)


def choose(case, body, kind: str, **fields):
    values = {
        "summary": f"{kind.title()} for breach of the code.",
        "effective_from": TODAY(),
        "publication": Sanction.Publication.PUBLIC,
        "acting_user": body.chair,
    }
    values.update(fields)
    return services.sanction_choose(case=case, kind=kind, **values)


def _appeal(case):
    return services.case_step(
        case=case,
        step="lodge_appeal",
        roles={"respondent"},
        actor_label="respondent (link)",
        inputs={"grounds": "Too harsh."},
    )


# --- CSEC, a member agency ------------------------------------------------------------------------


def test_csec_member_agency_suspended_appeal_dismissed_then_reinstated_on_its_date(csec):
    case = file_case(csec, citations=["1.1(a)", "1.1(b)"], recuse=True)
    case = take(case, "acknowledge", csec.staff)
    assert case.state == "chair_review"
    assert notices(case, "acknowledgement") == {"complainant": ["pat@example.org"]}

    # Article 5: a member is notified only once reasonable efforts to resolve are shown.
    assert "notify_member" not in step_names(case, csec.chair)
    assert "notify_agency" not in step_names(case, csec.chair)
    case = take(case, "request_efforts", csec.chair, message="Copies of your letters to them.")
    assert case.state == "awaiting_efforts"
    efforts_due = case.deadlines.get(name="efforts").due_on
    (request,) = case.notices.filter(template="efforts_request")
    assert "Copies of your letters to them." in request.body
    assert f"{efforts_due.day} {efforts_due:%B %Y}" in request.body
    assert not case.notices.filter(recipient_role="respondent").exists()

    case = take(case, "efforts_received", csec.staff, files={"efforts_proof": ("letters.pdf", PDF)})
    assert case.state == "chair_review"
    assert case.efforts_proven_at is not None
    assert case.deadlines.get(name="efforts").met_at is not None
    assert case.documents.get(kind="efforts_proof").original_name == "letters.pdf"

    case = take(case, "notify_member", csec.chair)
    assert case.state == "respondent_notified"
    assert notices(case, "allegations") == {"respondent": ["office@faithful.example"]}
    assert notices(case, "progress") == {"complainant": ["pat@example.org"]}
    token = case.notices.get(template="allegations").link_token
    assert services.respondent_link_case(token) == case

    case = services.respondent_answer(
        case=case, body="We paid within the month.", files=[("bank.pdf", PDF)]
    )
    case = take(case, "investigate", csec.investigator)
    assert case.state == "investigation"
    services.allegation_add(
        case=case,
        summary="No record of the client's payments was kept.",
        provisions=[csec.provision("1.2")],
        acting_user=csec.investigator,
    )
    case = take(
        case,
        "to_committee",
        csec.investigator,
        summary="Payments were held; no records kept.",
        files={"report": ("report.pdf", PDF)},
    )
    assert case.state == "committee"
    assert set(notices(case, "committee_referral")["committee"]) == {
        csec.chair.email,
        csec.committee.email,
    }

    # The recused member cannot decide; the committee decides each allegation.
    first, second = case.allegations.all()
    with pytest.raises(CaseRefused, match="only the"):
        services.determination_record(
            allegation=first, determination="upheld", reasons="x", acting_user=csec.recused
        )
    with pytest.raises(CaseRefused, match="needs: every allegation has a determination"):
        take(case, "uphold", csec.committee)
    services.determination_record(
        allegation=first, determination="upheld", reasons="Held 3 months.", acting_user=csec.chair
    )
    services.determination_record(
        allegation=second,
        determination="not_upheld",
        reasons="Records were produced late but exist.",
        acting_user=csec.committee,
    )
    assert "not_upheld" not in step_names(case, csec.committee)
    case = take(case, "uphold", csec.committee)
    assert case.state == "sanction"

    until = days(90)
    choose(
        case,
        csec,
        "suspension",
        effective_until=until,
        provisions=[csec.provision("1.1(a)"), csec.provision("1.1(b)")],
    )
    membership = csec.membership
    membership.refresh_from_db()
    assert membership.status == "active"  # chosen, not yet imposed
    case = take(case, "impose_sanction", csec.committee)
    assert case.state == "appeal_window"

    # The parties are told; the register waits for the appeal window.
    assert notices(case, "sanction") == {"respondent": ["office@faithful.example"]}
    assert notices(case, "decision") == {"complainant": ["pat@example.org"]}
    membership.refresh_from_db()
    assert membership.status == "active"
    assert not Sanction.objects.exists()
    verified = public.membership_verify("CSEC-017", organization=csec.org)
    assert (verified.status, verified.sanctions) == ("active", [])

    # The respondent appeals through their link; the committee dismisses the appeal.
    appeal = case.deadlines.get(name="appeal")
    case = services.case_step(
        case=case,
        step="lodge_appeal",
        roles={"respondent"},
        actor_label="respondent (link)",
        inputs={"grounds": "The payment was made."},
    )
    assert case.state == "appeal"
    appeal.refresh_from_db()
    assert appeal.met_at is not None
    assert set(notices(case, "appeal_lodged")["committee"]) == {
        csec.chair.email,
        csec.committee.email,
    }
    assert Event.objects.filter(action="case.step").latest("seq").actor_label == (
        "respondent (link)"
    )
    with pytest.raises(CaseRefused, match="you are recused from this case"):
        take(case, "appeal_dismissed", csec.recused, reasons="x")
    case = take(case, "appeal_dismissed", csec.chair, reasons="The bank records show no payment.")
    assert case.state == "closed"

    # The decision stands: the register changes in that step: status, its event, and the
    # sanction citing the code.
    membership.refresh_from_db()
    assert (membership.status, membership.suspended_until) == ("suspended", until)
    suspension = StatusEvent.objects.filter(membership=membership).latest("pk")
    assert (suspension.from_status, suspension.to_status) == ("active", "suspended")
    assert suspension.decision_ref == case.reference
    assert suspension.effective_date == TODAY()
    sanction = Sanction.objects.get()
    assert (sanction.membership, sanction.kind, sanction.source) == (
        membership,
        "suspension",
        "case",
    )
    assert (sanction.effective_from, sanction.effective_until) == (TODAY(), until)
    assert sorted(p.citation for p in sanction.provisions.all()) == ["1.1(a)", "1.1(b)"]
    assert SanctionChoice.objects.get(case=case).sanction == sanction
    dismissed = Event.objects.filter(action="case.step").latest("seq")
    assert dismissed.data["register sanction"] == sanction.pk
    verified = public.membership_verify("CSEC-017", organization=csec.org)
    assert verified.status == "suspended"
    assert [s.kind for s in verified.sanctions] == ["suspension"]
    assert case.closed_at is not None
    assert case.checkin_on == days(90)
    assert not case.deadlines.filter(met_at__isnull=True, expired_at__isnull=True).exists()
    assert set(notices(case, "appeal_decision")) == {"respondent", "complainant"}
    assert services.available_steps(case, csec.chair) == []

    # The register's daily task ends the suspension on its date.
    register.apply_due_transitions(today=until - dt.timedelta(days=1))
    membership.refresh_from_db()
    assert membership.status == "suspended"
    register.apply_due_transitions(today=until)
    membership.refresh_from_db()
    assert (membership.status, membership.suspended_until) == ("active", None)
    reinstated = StatusEvent.objects.filter(membership=membership).latest("pk")
    assert (reinstated.to_status, reinstated.effective_date, reinstated.automatic) == (
        "active",
        until,
        True,
    )
    assert audit.verify().ok


def test_csec_chair_waives_proof_of_efforts_with_a_reason(csec):
    case = file_case(csec)
    take(case, "acknowledge", csec.chair)
    with pytest.raises(CaseRefused, match="is taken by: ethics chair"):
        take(case, "waive_efforts", csec.staff, waiver_reason="Urgent.")
    with pytest.raises(CaseRefused, match="needs: Why the proof is waived"):
        take(case, "waive_efforts", csec.chair, waiver_reason="  ")
    case = take(
        case, "waive_efforts", csec.chair, waiver_reason="The agency has closed its office."
    )
    assert case.state == "chair_review"
    assert case.efforts_waived_reason == "The agency has closed its office."
    assert services.facts(case)["efforts_settled"] is True
    assert step_names(case, csec.chair) >= {"notify_member"}
    assert "request_efforts" not in step_names(case, csec.chair)
    case = take(case, "notify_member", csec.chair)
    assert case.state == "respondent_notified"
    # The details are sealed at rest: found by reading them, not by a query on them.
    (waived,) = [
        e for e in Event.objects.filter(action="case.step") if e.data["step"] == "waive_efforts"
    ]
    assert waived.data["inputs"] == {"waiver_reason": "The agency has closed its office."}
    assert waived.actor == csec.chair


# --- CSEC, an agency that is not a member ---------------------------------------------------------


def test_csec_non_member_agency_is_notified_and_the_findings_close_it(csec):
    case = file_case(csec, respondent_agency=csec.non_member_agency)
    assert services.facts(case)["respondent_is_member"] is False
    case = take(case, "acknowledge", csec.chair)
    assert {"notify_agency", "refer", "dismiss"} <= step_names(case, csec.chair)
    with pytest.raises(CaseRefused, match="needs: the respondent holds"):
        take(case, "request_efforts", csec.chair, message="x")
    case = take(case, "notify_agency", csec.chair)
    assert case.state == "respondent_notified"
    assert notices(case, "allegations") == {"respondent": ["desk@rogue.example"]}
    services.respondent_answer(case=case, body="Not our client.", files=[])
    take(case, "investigate", csec.chair)
    case = take(case, "to_committee", csec.investigator, summary="Client confirmed.")
    decide_all(case, csec.committee)
    with pytest.raises(CaseRefused, match="needs: the respondent holds"):
        take(case, "uphold", csec.committee)
    with pytest.raises(CaseRefused, match="once allegations are upheld"):
        choose(case, csec, "suspension", effective_until=days(30))
    case = take(case, "findings_non_member", csec.committee, reasons="Upheld; no sanction.")
    assert case.state == "closed"
    assert case.checkin_on == days(90)
    assert set(notices(case, "decision")) == {"complainant", "respondent"}
    assert "Upheld" in case.notices.get(template="decision", recipient_role="respondent").body
    assert not Sanction.objects.exists()
    assert not StatusEvent.objects.filter(membership=csec.membership).exists()
    assert audit.verify().ok


def test_csec_non_member_case_referred_or_closed_by_the_chair(csec):
    referred = file_case(csec, respondent_agency=csec.non_member_agency)
    take(referred, "acknowledge", csec.chair)
    referred = take(
        referred,
        "refer",
        csec.chair,
        referred_to="the State Attorney General",
        reasons="Unlicensed collection is a matter for the State.",
    )
    assert referred.state == "referred"
    assert referred.closed_at is not None
    (notice,) = referred.notices.filter(template="referral")
    assert "the State Attorney General" in notice.body
    assert not referred.notices.filter(recipient_role="respondent").exists()
    assert not referred.deadlines.filter(met_at__isnull=True, expired_at__isnull=True).exists()

    closed = file_case(csec, respondent_agency=csec.non_member_agency)
    take(closed, "acknowledge", csec.chair)
    take(closed, "notify_agency", csec.chair)
    closed = take(closed, "close_non_member", csec.chair, reasons="The agency repaid the client.")
    assert closed.state == "closed"
    assert set(notices(closed, "closure")) == {"complainant", "respondent"}
    assert closed.checkin_on == days(90)

    member = file_case(csec)
    take(member, "acknowledge", csec.chair)
    with pytest.raises(CaseRefused, match="needs: not: the respondent holds"):
        take(member, "refer", csec.chair, referred_to="x", reasons="y")


def test_espcc_refers_a_complaint_about_someone_without_a_credential(espcc):
    from ombuds.register.models import Person

    stranger = Person.objects.create(
        organization=espcc.org, given_name="Sam", family_name="Uncertified"
    )
    case = file_case(espcc, respondent_person=stranger)
    take(case, "acknowledge", espcc.staff)
    with pytest.raises(CaseRefused, match="needs: the respondent holds"):
        take(case, "request_cooperation", espcc.staff)
    case = take(case, "refer", espcc.chair, referred_to="The employer", reasons="Not a CESP.")
    assert case.state == "referred"


def test_a_status_sanction_is_refused_when_the_respondent_is_no_longer_a_member(csec):
    case = to_sanction(file_case(csec), csec)
    register.membership_transition(
        membership=csec.membership,
        to_status="resigned",
        effective_date=TODAY(),
        reason="Resigned during the case.",
    )
    with pytest.raises(CaseRefused, match="holds no credential or membership"):
        choose(case, csec, "suspension", effective_until=days(30))
    assert not SanctionChoice.objects.exists()
    choose(case, csec, "reprimand")  # changes no status: still on the record of the case
    case = take(case, "impose_sanction", csec.chair)
    assert case.state == "appeal_window"
    assert not Sanction.objects.exists()  # nothing in the register to hold it


def test_a_chosen_suspension_is_not_dropped_when_membership_ends_before_it_takes_effect(csec):
    case = to_sanction(file_case(csec), csec)
    choose(case, csec, "suspension", effective_until=days(30))
    take(case, "impose_sanction", csec.chair)
    _appeal(case)
    register.membership_transition(
        membership=csec.membership,
        to_status="resigned",
        effective_date=TODAY(),
        reason="Resigned to escape the sanction.",
    )
    with pytest.raises(CaseRefused, match="cannot be applied: choose another"):
        take(case, "appeal_dismissed", csec.chair, reasons="The decision stands.")
    case.refresh_from_db()
    assert case.state == "appeal"
    assert not Sanction.objects.exists()


# --- ESPCC, a credential holder -------------------------------------------------------------------


def test_espcc_holder_who_does_not_cooperate_gets_a_public_censure(espcc):
    case = file_case(espcc, citations=["3.2"])
    take(case, "acknowledge", espcc.staff)
    case = take(case, "request_cooperation", espcc.staff)
    assert case.state == "cooperation_requested"
    assert notices(case, "cooperation_request") == {"respondent": ["jordan@cesp.example"]}
    assert case.deadlines.get(name="cooperation").waits_for_delivery
    services.notices_retry()  # the email goes out: delivered today
    cooperation = case.deadlines.get(name="cooperation")
    assert cooperation.due_on == days(30)
    # It counts from the notice's delivery (the email sent today), so the notice gives the period.
    assert not cooperation.waits_for_delivery
    assert "within 30 days of the day you receive this notice" in (
        case.notices.get(template="cooperation_request").body
    )

    counts = services.deadlines_tick(today=cooperation.due_on + dt.timedelta(days=1))
    assert counts["steps taken"] == 1
    case.refresh_from_db()
    assert case.state == "investigation"
    assert notices(case, "no_cooperation") == {"chair": [espcc.chair.email]}
    clock = Event.objects.filter(action="case.step").latest("seq")
    assert (clock.data["step"], clock.data["roles"], clock.actor) == (
        "no_cooperation",
        ["system"],
        None,
    )

    added = services.allegation_add(
        case=case,
        summary="Did not cooperate with the investigation.",
        provisions=[espcc.provision("2.4")],
        source="non-cooperation",
        acting_user=espcc.investigator,
    )
    assert (added.position, added.source) == (2, "non-cooperation")
    take(case, "to_committee", espcc.investigator, summary="No answer at all.")
    decide_all(case, espcc.committee)
    take(case, "uphold", espcc.chair)
    with pytest.raises(CaseRefused, match="a credential is not subject to expulsion"):
        choose(case, espcc, "expulsion")
    choose(case, espcc, "censure", summary="Publicly censured for failing to cooperate.")
    case = take(case, "impose_sanction", espcc.committee)
    assert not Sanction.objects.exists()  # it waits for the appeal window
    assert public.credential_verify("CESP-1234", organization=espcc.org).sanctions == []

    appeal = case.deadlines.get(name="appeal")
    services.deadlines_tick(today=appeal.due_on + dt.timedelta(days=1))
    case.refresh_from_db()
    assert case.state == "closed"
    assert case.closed_at is not None
    assert case.checkin_on is not None

    credential = espcc.credential
    credential.refresh_from_db()
    assert credential.status == "active"  # a censure changes no status
    assert not StatusEvent.objects.filter(credential=credential).exists()
    sanction = Sanction.objects.get()
    assert (sanction.credential, sanction.kind, sanction.publication, sanction.source) == (
        credential,
        "censure",
        "public",
        "case",
    )
    assert sorted(p.citation for p in sanction.provisions.all()) == ["2.4", "3.2"]
    verified = public.credential_verify("CESP-1234", organization=espcc.org)
    assert [(s.kind_display, s.summary, s.citations) for s in verified.sanctions] == [
        (
            "Public censure",
            "Publicly censured for failing to cooperate.",
            ["ESPCC 2.4", "ESPCC 3.2"],
        )
    ]
    assert audit.verify().ok


def test_a_cooperating_holder_goes_to_investigation_by_hand(espcc):
    case = file_case(espcc)
    take(case, "acknowledge", espcc.staff)
    take(case, "request_cooperation", espcc.chair)
    with pytest.raises(CaseRefused, match="the respondent has answered"):
        take(case, "investigate", espcc.investigator)
    services.respondent_answer(case=case, body="Here is my side.", files=[])
    case = take(case, "investigate", espcc.investigator)
    assert case.deadlines.get(name="cooperation").met_at is not None
    services.deadlines_tick(today=days(40))
    case.refresh_from_db()
    assert case.state == "investigation"
    assert not case.notices.filter(template="no_cooperation").exists()


# --- dismissal and appeal allowed -----------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["csec", "espcc"])
def test_dismissal_with_a_ground(fixture, request):
    body = request.getfixturevalue(fixture)
    case = file_case(body)
    with pytest.raises(CaseRefused, match="Ground must be one of"):
        take(case, "dismiss", body.chair, ground="bored", reasons="No.")
    case = take(
        case,
        "dismiss",
        body.chair,
        ground="outside the code",
        reasons="The code does not cover fees agreed in writing.",
    )
    assert case.state == "dismissed"
    assert case.closed_at is not None
    assert case.acknowledged_at is None
    (notice,) = case.notices.filter(template="dismissal")
    assert notice.recipient_role == "complainant"
    assert "(outside the code)" in notice.body
    assert "The code does not cover fees agreed in writing." in notice.body
    assert not case.notices.filter(recipient_role="respondent").exists()
    assert not case.deadlines.filter(met_at__isnull=True, expired_at__isnull=True).exists()
    assert services.deadlines_tick(today=days(200))["deadlines passed"] == 0
    with pytest.raises(CaseRefused, match="cannot be taken while the case is"):
        take(case, "acknowledge", body.chair)


def test_an_appeal_allowed_goes_back_to_the_committee_and_a_new_sanction_replaces_the_old(csec):
    case = to_sanction(file_case(csec), csec)
    choose(case, csec, "suspension", effective_until=days(30))
    take(case, "impose_sanction", csec.chair)
    assert not Sanction.objects.exists()  # it waits for the appeal window
    services.case_step(
        case=case,
        step="lodge_appeal",
        roles={"respondent"},
        actor_label="respondent (link)",
        inputs={"grounds": "Too harsh and too short a hearing."},
    )
    case = take(case, "appeal_allowed", csec.committee, reasons="Reconsider the term.")
    assert case.state == "committee"
    assert set(notices(case, "appeal_decision")) == {"respondent", "complainant"}
    assert "Reconsider the term." in case.notices.filter(template="appeal_decision").first().body
    assert not case.deadlines.filter(met_at__isnull=True, name="appeal").exists()

    # Nothing had reached the register, so nothing was lifted; the choice set aside is withdrawn.
    csec.membership.refresh_from_db()
    assert csec.membership.status == "active"
    assert not Sanction.objects.exists()
    assert not SanctionChoice.objects.filter(case=case).exists()
    assert (
        "register sanction lifted"
        not in Event.objects.filter(action="case.step").latest("seq").data
    )

    # The committee decides again; only the new sanction reaches the register.
    case = take(case, "uphold", csec.committee)
    assert services.facts(case)["sanction_chosen"] is False
    with pytest.raises(CaseRefused, match="a sanction has been chosen"):
        take(case, "impose_sanction", csec.committee)
    choose(case, csec, "suspension", effective_until=days(120))
    assert "replaces register sanction" not in (
        Event.objects.filter(action="case.sanction_chosen").latest("seq").data
    )
    case = take(case, "impose_sanction", csec.committee)
    assert case.state == "appeal_window"
    assert case.deadlines.filter(name="appeal", met_at__isnull=True).count() == 1
    case = end_appeal_window(case)
    assert Sanction.objects.get().effective_until == days(120)
    csec.membership.refresh_from_db()
    assert (csec.membership.status, csec.membership.suspended_until) == ("suspended", days(120))
    moves = list(
        StatusEvent.objects.filter(membership=csec.membership)
        .order_by("pk")
        .values_list("from_status", "to_status")
    )
    assert moves == [("active", "suspended")]
    assert audit.verify().ok


# --- what the register takes from a sanction ------------------------------------------------------


def test_a_membership_is_expelled_not_revoked(csec):
    case = to_sanction(file_case(csec), csec)
    with pytest.raises(CaseRefused, match="a membership is not subject to revocation"):
        choose(case, csec, "revocation")
    choose(case, csec, "expulsion")
    take(case, "impose_sanction", csec.chair)
    end_appeal_window(case)
    csec.membership.refresh_from_db()
    assert csec.membership.status == "expelled"
    assert public.membership_verify("CSEC-017", organization=csec.org).status == "expelled"


def test_a_credential_is_revoked(espcc):
    case = to_sanction(file_case(espcc), espcc)
    choose(case, espcc, "revocation", publication="private")
    take(case, "impose_sanction", espcc.chair)
    end_appeal_window(case)
    espcc.credential.refresh_from_db()
    assert espcc.credential.status == "revoked"
    revoked = StatusEvent.objects.get(credential=espcc.credential)
    assert revoked.decision_ref == case.reference
    assert public.credential_verify("CESP-1234", organization=espcc.org).sanctions == []


def test_conditions_go_on_the_credential(espcc):
    case = to_sanction(file_case(espcc), espcc)
    with pytest.raises(CaseRefused, match="say what the conditions are"):
        choose(case, espcc, "conditions")
    choose(
        case,
        espcc,
        "conditions",
        conditions="Supervised practice for a year.",
        publication="public",
    )
    take(case, "impose_sanction", espcc.chair)
    end_appeal_window(case)
    espcc.credential.refresh_from_db()
    assert (espcc.credential.status, espcc.credential.conditions) == (
        "active",
        "Supervised practice for a year.",
    )


def test_a_sanction_the_register_refuses_leaves_the_case_and_register_as_they_were(csec):
    case = to_sanction(file_case(csec), csec)
    choose(case, csec, "suspension", effective_until=days(30))
    csec.membership.status = "grace"  # the renewal is overdue: grace cannot become suspended
    csec.membership.save()
    take(case, "impose_sanction", csec.chair)
    case = _appeal(case)
    before = (case_events(case), case.version)
    with pytest.raises(CaseRefused, match="the register refused the sanction"):
        take(case, "appeal_dismissed", csec.chair, reasons="The decision stands.")
    case.refresh_from_db()
    assert case.state == "appeal"
    assert (case_events(case), case.version) == before
    assert not Sanction.objects.exists()
    assert not StatusEvent.objects.exists()
    assert not case.notices.filter(template="appeal_decision").exists()
    assert SanctionChoice.objects.get(case=case).sanction is None
    assert audit.verify().ok


def test_sanction_choices_are_checked_all_at_once(csec):
    case = to_sanction(file_case(csec), csec)
    with pytest.raises(CaseRefused) as refused:
        services.sanction_choose(
            case=case,
            kind="flogging",
            summary=" ",
            effective_from=days(-8),
            publication="public_until",
            acting_user=csec.chair,
        )
    earliest = timezone.localdate() - dt.timedelta(days=7)
    assert refused.value.problems == [
        "choose a sanction from the ladder, not 'flogging'",
        "give the date until which the sanction is public",
        "summarise the sanction (shown publicly when it is public)",
        f"a sanction takes effect from today or a later date (at the earliest {earliest.day} "
        f"{earliest:%B %Y}, 7 days ago, for a decision taken then), not from a date further in "
        "the past",
    ]
    with pytest.raises(CaseRefused, match="only the"):
        choose(case, csec, "reprimand", acting_user=csec.staff)
    assert not SanctionChoice.objects.exists()
