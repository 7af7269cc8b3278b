"""Taking a first-tier complaint to the body (CSEC Article 5): the record attached to a complaint is
the proof of reasonable efforts to resolve, so the Chair notifies the member agency without asking
for it, and reads the whole exchange on the case page. A record goes to the body once, from one of
the body's own agencies, with a complaint about that agency."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.cases import services
from ombuds.cases.models import Case
from ombuds.members import first_tier
from ombuds.members.models import ClientComplaint
from ombuds.register.models import Person
from tests.cases import conftest as case_fixtures
from tests.cases.conftest import case_events, take
from tests.members.test_first_tier import (
    DESCRIPTION,
    build_agencies,
    client_url,
    complaint_url,
    file,
    text,
)

pytestmark = pytest.mark.django_db

csec = case_fixtures.csec


@pytest.fixture
def ft(csec, django_user_model):
    return build_agencies(csec, django_user_model)


@pytest.fixture
def exchanged(ft):
    """Pat's complaint to Faithful, answered by Ada, written to again by Pat, and closed
    unresolved: (the record, its token)."""
    filed = file(ft.agency)
    ada = ft.users["ada"]
    first_tier.client_complaint_reply(
        complaint=filed.complaint, body="We are checking the March ledger.", acting_user=ada
    )
    first_tier.client_complaint_client_reply(
        complaint=filed.complaint, body="It has been three weeks now."
    )
    first_tier.client_complaint_close_unresolved(
        complaint=filed.complaint, reason="We believe the payment was made.", acting_user=ada
    )
    return filed.complaint, filed.token


def body_complaint(**fields: Any) -> services.Complaint:
    values = {
        "what_happened": DESCRIPTION,
        "complainant_name": "Pat Client",
        "complainant_email": "pat@client.example",
        "complainant_relation": "client",
    }
    values.update(fields)
    return services.Complaint(**values)


def full_link(org, token: str) -> str:
    return "http://127.0.0.1:8000" + client_url(org, token)


def step_names(case: Case, user) -> set[str]:
    return {t.name for t in services.available_steps(case, user)}


# --- through the services ------------------------------------------------------------------------


def test_a_case_filed_with_the_record_goes_to_the_member_without_asking_for_proof(ft, exchanged):
    record, token = exchanged
    csec = ft.body
    # The complaint names no respondent in the register: the record's agency is the respondent.
    filed = services.case_file(
        organization=csec.org,
        complaint=body_complaint(respondent_name="", first_tier_link=full_link(ft.org, token)),
    )
    case = filed.case
    assert case.respondent_agency == ft.agency
    assert case.respondent_name == "Faithful Support Recovery LLC"
    assert case.efforts_proven_at is not None
    facts = services.facts(case)
    assert facts["respondent_is_member"] and facts["efforts_settled"]
    record.refresh_from_db()
    assert record.escalated_case == case
    assert case_events(case) == ["case.filed", "case.first_tier_attached"]
    attached = Event.objects.get(action="case.first_tier_attached")
    assert attached.data["first tier reference"] == record.reference
    assert DESCRIPTION not in str(attached.data)
    escalated = Event.objects.get(action="client_complaint.escalated")
    assert escalated.data == {"reference": record.reference, "case": case.reference}

    case = take(case, "acknowledge", csec.staff)
    steps = step_names(case, csec.chair)
    assert "notify_member" in steps
    assert "request_efforts" not in steps and "waive_efforts" not in steps
    services.allegation_edit(  # the complainant's own words are not sent as they are
        case=case,
        allegation=case.allegations.get(position=1),
        text="The agency kept a client's payments.",
        provisions=[],
        expected_version=case.version,
        acting_user=csec.chair,
    )
    case = take(Case.objects.get(pk=case.pk), "notify_member", csec.chair)
    assert case.state == "respondent_notified"
    assert verify().ok


def test_without_the_record_a_member_case_still_waits_for_proof(ft):
    csec = ft.body
    case = services.case_file(
        organization=csec.org, complaint=body_complaint(respondent_agency=ft.agency)
    ).case
    assert not services.facts(case)["efforts_settled"]
    case = take(case, "acknowledge", csec.staff)
    steps = step_names(case, csec.chair)
    assert "request_efforts" in steps and "notify_member" not in steps


def test_a_record_is_taken_to_the_body_once(ft, exchanged):
    record, token = exchanged
    services.case_file(
        organization=ft.org, complaint=body_complaint(first_tier_link=token, respondent_name="")
    )
    with pytest.raises(services.CaseRefused) as refused:
        services.case_file(
            organization=ft.org,
            complaint=body_complaint(first_tier_link=token, respondent_agency=ft.agency),
        )
    assert refused.value.problems == [
        f"Your complaint to Faithful Support Recovery LLC ({record.reference}) was already taken "
        "to CSEC: it cannot be attached to a second complaint. Follow the first one instead."
    ]
    assert Case.objects.count() == 1


def test_the_same_form_sent_twice_with_the_record_makes_one_case(ft, exchanged):
    _record, token = exchanged
    complaint = body_complaint(first_tier_link=token, respondent_name="", submission_key="k" * 32)
    first = services.case_file(organization=ft.org, complaint=complaint)
    second = services.case_file(organization=ft.org, complaint=complaint)
    assert second.duplicate and second.case == first.case
    assert Case.objects.count() == 1


def test_a_record_of_another_bodys_agency_or_a_wrong_link_is_refused(ft):
    theirs = file(ft.other_body_agency).token
    for link in (theirs, full_link(ft.other_body_agency.organization, theirs), "not-a-token"):
        with pytest.raises(services.CaseRefused) as refused:
            services.case_file(
                organization=ft.org,
                complaint=body_complaint(first_tier_link=link, respondent_agency=ft.agency),
            )
        assert refused.value.problems == [
            "The link to your complaint to the agency does not open a complaint made to one of "
            "CSEC's member agencies: copy the whole link, or leave it out."
        ]
    assert not Case.objects.exists()
    assert not ClientComplaint.objects.filter(escalated_case__isnull=False).exists()


@pytest.mark.parametrize(
    ("respondent", "refused"),
    [
        ({"respondent_agency": "non member"}, "this complaint is about Rogue Collections Inc"),
        ({"respondent_person": "person"}, "this complaint is about Jo Bloggs"),
        ({"respondent_name": "Rogue Collections"}, "this complaint is about “Rogue Collections”"),
        ({"respondent_name": "Faithful"}, ""),  # a shorter form of the agency's own name
        ({"respondent_name": "faithful support recovery"}, ""),
        ({"respondent_agency": "member"}, ""),
    ],
)
def test_the_complaint_must_be_about_the_agency_of_the_record(ft, exchanged, respondent, refused):
    _record, token = exchanged
    fields = dict(respondent)
    if fields.get("respondent_agency") == "non member":
        fields["respondent_agency"] = ft.body.non_member_agency
    elif fields.get("respondent_agency") == "member":
        fields["respondent_agency"] = ft.agency
    if "respondent_person" in fields:
        fields["respondent_person"] = Person.objects.create(
            organization=ft.org, given_name="Jo", family_name="Bloggs"
        )
    complaint = body_complaint(first_tier_link=token, **fields)
    if not refused:
        case = services.case_file(organization=ft.org, complaint=complaint).case
        assert case.respondent_agency == ft.agency and case.efforts_proven_at is not None
        return
    with pytest.raises(services.CaseRefused) as caught:
        services.case_file(organization=ft.org, complaint=complaint)
    (problem,) = caught.value.problems
    assert "Your complaint to the agency first was to Faithful Support Recovery LLC" in problem
    assert refused in problem
    assert not Case.objects.exists()


def test_an_anonymous_complaint_cannot_carry_the_record(ft, exchanged):
    _record, token = exchanged
    with pytest.raises(services.CaseRefused) as refused:
        services.case_file(
            organization=ft.org,
            complaint=body_complaint(
                first_tier_link=token,
                anonymous=True,
                complainant_name="",
                complainant_email="",
                passphrase="correct horse battery",
            ),
        )
    assert refused.value.problems == [
        "Your complaint to Faithful Support Recovery LLC has your name on it: to attach it, give "
        "your name here too, or leave the link out to stay anonymous."
    ]


# --- the case page -------------------------------------------------------------------------------


def test_the_chairs_case_page_shows_the_whole_exchange(client, ft, exchanged):
    record, token = exchanged
    case = services.case_file(
        organization=ft.org, complaint=body_complaint(first_tier_link=token, respondent_name="")
    ).case
    services.recusal_record(
        case=case, user=ft.body.recused, reason="Declared a conflict.", acting_user=ft.body.chair
    )
    url = reverse("cases_staff:case", kwargs={"org": ft.org.slug, "reference": case.reference})
    for viewer in (ft.body.chair, ft.body.investigator):
        client.force_login(viewer)
        page = text(client.get(url))
        assert "Complaint to the agency first" in page
        assert record.reference in page and "Payment not passed on" in page
        assert (
            "We are checking the March ledger." in page
            and "Ada, for Faithful Support Recovery LLC" in page
        )
        assert "It has been three weeks now." in page and "Pat Client (client)" in page
        assert "We believe the payment was made." in page and "Closed without a resolution" in page
        assert "Complaint to the agency first attached (proof of efforts)" in page  # timeline
    # Whoever does not see the case does not see the exchange.
    client.force_login(ft.body.recused)
    assert client.get(url).status_code == 404
    client.force_login(ft.users["ada"])
    assert client.get(url).status_code == 403


def test_a_case_without_a_record_shows_no_exchange(client, ft):
    case = services.case_file(
        organization=ft.org, complaint=body_complaint(respondent_agency=ft.agency)
    ).case
    client.force_login(ft.body.chair)
    page = text(
        client.get(
            reverse("cases_staff:case", kwargs={"org": ft.org.slug, "reference": case.reference})
        )
    )
    assert "Complaint to the agency first" not in page


# --- from the client's page to the body's form ----------------------------------------------------


def body_form(token: str = "", **changes: Any) -> dict:
    data = {
        "who": "named",
        "complainant_name": "Pat Client",
        "complainant_email": "pat@client.example",
        "complainant_phone": "",
        "complainant_relation": "client",
        "respondent_kind": "agency",
        "respondent_name": "Faithful Support Recovery LLC",
        "respondent_number": "",
        "respondent_details": "",
        "what_happened": DESCRIPTION,
        "outcome_sought": "",
        "first_tier_link": token,
        "submission_key": "b" * 32,
    }
    data.update(changes)
    return data


def test_the_client_takes_their_complaint_to_the_body_from_their_page(client, ft, exchanged):
    record, token = exchanged
    complain = reverse("cases:complain", kwargs={"org": ft.org.slug})
    page = text(client.get(client_url(ft.org, token)))
    assert "Take this complaint to CSEC" in page
    assert f'action="{complain}"' in page and f'value="{token}"' in page

    # The button opens the body's form with the record attached, the client and the agency in it.
    started = client.post(complain, {"start": "first_tier", "first_tier_link": token})
    assert started.status_code == 200
    form = text(started)
    assert "Your complaint to <bdi>Faithful Support Recovery LLC</bdi> is attached" in form
    assert f'type="hidden" name="first_tier_link" value="{token}"' in form
    assert 'value="Pat Client"' in form and 'value="Faithful Support Recovery LLC"' in form
    assert "There is a problem" not in form and "There are problems" not in form
    assert not Case.objects.exists()

    sent = client.post(complain, body_form(token))
    assert sent.status_code == 302
    case = Case.objects.get()
    assert case.respondent_agency == ft.agency and services.facts(case)["efforts_settled"]
    # Sent twice: one case.
    assert client.post(complain, body_form(token))["Location"] == sent["Location"]
    assert Case.objects.count() == 1

    page = text(client.get(client_url(ft.org, token)))
    assert "You took this complaint to CSEC" in page and case.reference in page
    assert "Take this complaint to CSEC" not in page
    # The agency is not told by its inbox that its client went to the body.
    client.force_login(ft.users["ada"])
    inbox_page = text(client.get(complaint_url(record)))
    assert case.reference not in inbox_page and "took this complaint" not in inbox_page


def test_a_pasted_link_works_and_a_wrong_one_is_listed_with_the_other_problems(
    client, ft, exchanged
):
    _record, token = exchanged
    complain = reverse("cases:complain", kwargs={"org": ft.org.slug})
    wrong = client.post(complain, body_form("https://example.org/nothing/", what_happened=""))
    assert wrong.status_code == 400
    page = text(wrong)
    assert "does not open a complaint made to one of CSEC&#x27;s member agencies" in page
    assert 'href="#id_first_tier_link"' in page and "Say what happened." in page
    # The field is there to paste the link into, with its label.
    assert '<label for="id_first_tier_link">' in page
    assert not Case.objects.exists()

    pasted = client.post(complain, body_form(f"  {full_link(ft.org, token)}  "))
    assert pasted.status_code == 302
    assert Case.objects.get().efforts_proven_at is not None


def test_the_intake_api_takes_the_record_too(client, ft, exchanged):
    record, token = exchanged
    response = client.post(
        f"/api/v1/bodies/{ft.org.slug}/complaints",
        {
            "what_happened": DESCRIPTION,
            "respondent_name": "Faithful Support Recovery LLC",
            "complainant_name": "Pat Client",
            "complainant_relation": "client",
            "first_tier_link": token,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.efforts_proven_at is not None
    record.refresh_from_db()
    assert record.escalated_case == case


# --- a fair chance to answer first ----------------------------------------------------------------


def test_an_unanswered_record_proves_efforts_only_once_the_agency_had_its_time(
    ft, settings, client
):
    """A complaint made to the agency minutes ago proves no effort to settle it: until the agency
    answers, or OMBUDS_FIRST_TIER_DAYS pass, attaching it is refused with the date it will count."""
    import datetime as dt

    from django.utils import timezone

    settings.OMBUDS_FIRST_TIER_DAYS = 14
    filed = file(ft.agency)
    link = full_link(ft.org, filed.token)
    with pytest.raises(services.CaseRefused) as refused:
        services.case_file(
            organization=ft.body.org,
            complaint=body_complaint(respondent_agency=ft.agency, first_tier_link=link),
        )
    ready = timezone.localdate() + dt.timedelta(days=14)
    assert f"give it until {ready:%-d %B %Y} to answer" in str(refused.value)
    assert not Case.objects.exists()
    # The client's page says when, and still offers to complain without it.
    page = text(client.get(client_url(ft.org, filed.token)))
    assert f"from {ready:%-d %B %Y}" in page
    assert "Take this complaint to" not in page

    # Fifteen days on, with no answer, the record counts.
    ClientComplaint.objects.filter(pk=filed.complaint.pk).update(
        received_at=timezone.now() - dt.timedelta(days=15)
    )
    case = services.case_file(
        organization=ft.body.org,
        complaint=body_complaint(respondent_agency=ft.agency, first_tier_link=link),
    ).case
    assert services.facts(case)["efforts_settled"]


def test_an_answered_record_counts_at_once(ft):
    filed = file(ft.agency)
    first_tier.client_complaint_reply(
        complaint=filed.complaint, body="We are looking into it.", acting_user=ft.users["ada"]
    )
    case = services.case_file(
        organization=ft.body.org,
        complaint=body_complaint(
            respondent_agency=ft.agency, first_tier_link=full_link(ft.org, filed.token)
        ),
    ).case
    assert case.efforts_proven_at is not None
