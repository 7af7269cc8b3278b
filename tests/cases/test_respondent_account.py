"""A respondent with an account answers from it (`/me/cases/<reference>/`): the very page their
personal link opens, for the credential holder the case is about or a representative of the agency
it is about (its administrator in Ombuds, or a principal), and only once the procedure has notified
them. Anyone else, and everyone before the notice, gets 404. What they do goes on the record under
their account."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.html import escape

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.cases import services
from ombuds.cases.models import Case, Document, Message
from ombuds.members.home import respondent_cases
from ombuds.register.models import Affiliation, Person
from tests.cases.conftest import PDF, file_case, take

pytestmark = pytest.mark.django_db


def page(case: Case) -> str:
    return f"/me/cases/{case.reference}/"


@pytest.fixture
def holder_user(espcc, django_user_model):
    """The ESPCC credential holder's own account, linked to their register record."""
    user = django_user_model.objects.create_user(
        "jordan", "jordan@cesp.example", "pw", first_name="Jordan", last_name="Holder"
    )
    espcc.holder.user = user
    espcc.holder.save(update_fields=["user"])
    return user


def notified_espcc_case(espcc) -> Case:
    """A complaint about the holder, with the cooperation request sent to them."""
    case = file_case(espcc, citations=["3.2"])
    take(case, "acknowledge", espcc.staff)
    return take(case, "request_cooperation", espcc.staff)


def notified_csec_case(csec) -> Case:
    """A complaint about the member agency, notified to it under Article 5."""
    case = file_case(csec)
    take(case, "acknowledge", csec.staff)
    take(case, "waive_efforts", csec.chair, waiver_reason="The agency would not talk.")
    return take(case, "notify_member", csec.chair)


def agency_person(csec, django_user_model, username: str, **affiliation) -> object:
    user = django_user_model.objects.create_user(username, f"{username}@faithful.example", "pw")
    person = Person.objects.create(
        organization=csec.org, given_name=username.title(), family_name="Faithful", user=user
    )
    Affiliation.objects.create(agency=csec.member_agency, person=person, **affiliation)
    return user


# --- who sees the page ----------------------------------------------------------------------------


def test_the_holder_sees_their_case_as_the_link_shows_it(client, espcc, holder_user):
    case = notified_espcc_case(espcc)
    services.notices_retry()  # delivered by email: `cooperation` counts from today
    services.message_post(
        case=case,
        audience=Message.Audience.RESPONDENT,
        body="Please send your records.",
        acting_user=espcc.staff,
    )
    services.message_post(
        case=case,
        audience=Message.Audience.INTERNAL,
        body="Internal: looks weak.",
        acting_user=espcc.staff,
    )
    client.force_login(holder_user)
    response = client.get(page(case))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    html = response.content.decode()
    assert f"Complaint {case.reference}" in html
    assert "3.2" in html and "Act honestly in all professional interactions." in html
    assert "Please send your records." in html and "Internal: looks weak." not in html
    deadline = case.deadlines.get(name="cooperation")
    assert escape(deadline.label) in html and f"{deadline.due_on:%B %Y}" in html
    # The complainant did not consent to be named to the respondent.
    assert "Pat Complainant" not in html
    # The notice that asked for their cooperation is there too.
    assert "Notices ESPCC sent you" in html
    assert 'href="/me/"' in html


def test_before_the_notice_nobody_sees_the_case_from_an_account(client, espcc, holder_user):
    case = file_case(espcc)
    take(case, "acknowledge", espcc.staff)
    client.force_login(holder_user)
    assert client.get(page(case)).status_code == 404
    assert client.post(page(case), {"body": "Let me answer."}).status_code == 404
    assert not case.messages.filter(from_party=True).exists()
    assert list(respondent_cases(holder_user)) == []


@pytest.mark.parametrize("who", ["anonymous", "other_member", "staff", "chair"])
def test_nobody_else_sees_the_holders_case(client, espcc, holder_user, django_user_model, who):
    case = notified_espcc_case(espcc)
    if who == "other_member":
        other = django_user_model.objects.create_user("riley", "r@example.org", "pw")
        Person.objects.create(
            organization=espcc.org, given_name="Riley", family_name="Other", user=other
        )
        client.force_login(other)
    elif who in ("staff", "chair"):
        # The body's people work the case on the staff pages, not as its respondent.
        client.force_login(espcc.staff if who == "staff" else espcc.chair)
    response = client.get(page(case))
    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 404
    document = services.document_add(
        case=case,
        name="request.pdf",
        data=PDF,
        kind="request",
        visibility=Document.Visibility.RESPONDENT,
        acting_user=espcc.staff,
    )
    assert client.get(f"{page(case)}documents/{document.token}").status_code in (302, 404)


@pytest.mark.parametrize(
    ("affiliation", "sees"),
    [
        ({"role": "employee", "agency_admin": True}, True),
        ({"role": "principal"}, True),
        ({"role": "employee"}, False),
        ({"role": "agent"}, False),
        # A representative no longer: the affiliation ended yesterday.
        ({"role": "principal", "end_date": dt.date(2020, 1, 1)}, False),
    ],
    ids=["agency-admin", "principal", "employee", "agent", "former-principal"],
)
def test_an_agencys_representative_sees_its_case_and_its_staff_do_not(
    client, csec, django_user_model, affiliation, sees
):
    case = notified_csec_case(csec)
    user = agency_person(csec, django_user_model, "lee", **affiliation)
    client.force_login(user)
    response = client.get(page(case))
    assert response.status_code == (200 if sees else 404)
    if sees:
        assert "Faithful Support Recovery" in response.content.decode()


def test_another_agencys_administrator_does_not_see_it(client, csec, django_user_model):
    case = notified_csec_case(csec)
    user = django_user_model.objects.create_user("rogue", "r@rogue.example", "pw")
    person = Person.objects.create(
        organization=csec.org, given_name="Ro", family_name="Gue", user=user
    )
    Affiliation.objects.create(
        agency=csec.non_member_agency, person=person, role="principal", agency_admin=True
    )
    client.force_login(user)
    assert client.get(page(case)).status_code == 404


# --- what they do ---------------------------------------------------------------------------------


def test_the_holder_answers_with_a_document_from_the_account(client, espcc, holder_user):
    case = notified_espcc_case(espcc)
    client.force_login(holder_user)
    response = client.post(
        page(case),
        {"body": "I was honest throughout.", "files": [_upload("records.pdf")]},
    )
    assert response.status_code == 302 and response["Location"] == page(case)
    case.refresh_from_db()
    assert case.respondent_answered_at is not None
    assert case.messages.get(from_party=True).body == "I was honest throughout."
    answer = case.documents.get(kind="answer")
    assert answer.original_name == "records.pdf"
    # Who answered is on the record: the signed-in user, not "respondent (link)".
    answered = Event.objects.filter(action="case.respondent_answered").latest("seq")
    assert answered.actor == holder_user
    assert answered.actor_label == "Jordan Holder (respondent, signed in)"
    assert case.messages.get(from_party=True).author == holder_user
    assert answer.uploaded_by == holder_user
    follow = client.get(page(case)).content.decode()
    assert "Your answer was sent." in follow and "I was honest throughout." in follow
    # Their own document is theirs to download, under the account's address.
    url = f"{page(case)}documents/{answer.token}"
    assert url in follow
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert {"private", "no-store"} <= {v.strip() for v in download["Cache-Control"].split(",")}
    viewed = Event.objects.filter(action="case.document_viewed").latest("seq")
    assert viewed.actor == holder_user
    assert viewed.actor_label == "Jordan Holder (respondent, signed in)"
    assert verify().ok


def test_an_empty_answer_is_refused_with_the_reason(client, espcc, holder_user):
    case = notified_espcc_case(espcc)
    client.force_login(holder_user)
    response = client.post(page(case), {"body": ""})
    assert response.status_code == 400
    assert not case.messages.filter(from_party=True).exists()


def test_internal_documents_are_not_served_from_the_account(client, espcc, holder_user):
    case = notified_espcc_case(espcc)
    internal = services.document_add(
        case=case, name="notes.pdf", data=PDF, kind="notes", acting_user=espcc.staff
    )
    client.force_login(holder_user)
    assert internal.token not in client.get(page(case)).content.decode()
    assert client.get(f"{page(case)}documents/{internal.token}").status_code == 404


def test_the_agency_appeals_from_the_account_and_the_record_names_the_user(
    client, csec, django_user_model
):
    case = notified_csec_case(csec)
    services.respondent_answer(case=case, body="We deny it.", files=[])
    take(case, "investigate", csec.investigator)
    take(case, "to_committee", csec.investigator, summary="Payments were held.")
    for allegation in case.allegations.all():
        services.determination_record(
            allegation=allegation, determination="upheld", reasons="Clear.", acting_user=csec.chair
        )
    take(case, "uphold", csec.committee)
    services.sanction_choose(
        case=case,
        kind="reprimand",
        summary="Reprimanded.",
        effective_from=timezone.localdate(),
        publication="private",
        acting_user=csec.chair,
    )
    case = take(case, "impose_sanction", csec.committee)
    assert case.state == "appeal_window"

    admin = agency_person(csec, django_user_model, "lee", role="employee", agency_admin=True)
    client.force_login(admin)
    html = client.get(page(case)).content.decode()
    assert 'name="step" value="lodge_appeal"' in html
    # A stale page is refused, nothing is taken.
    stale = client.post(
        page(case),
        {"step": "lodge_appeal", "version": str(case.version - 1), "grounds": "We paid."},
    )
    assert stale.status_code == 400 and "changed since this page was opened" in (
        stale.content.decode()
    )
    response = client.post(
        page(case), {"step": "lodge_appeal", "version": str(case.version), "grounds": "We paid."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "appeal"
    step = Event.objects.filter(action="case.step").latest("seq")
    assert step.data["step"] == "lodge_appeal" and step.data["roles"] == ["respondent"]
    assert step.actor == admin and step.actor_label == "lee (respondent, signed in)"
    assert verify().ok


def test_the_link_still_works_the_same(client, espcc, holder_user):
    """The personal link and the account open the same page for the same case."""
    case = notified_espcc_case(espcc)
    token = case.notices.get(template="cooperation_request").link_token
    by_link = client.get(f"/respond/{token}/")
    assert by_link.status_code == 200
    response = client.post(f"/respond/{token}/", {"body": "By link."})
    assert response.status_code == 302 and response["Location"] == f"/respond/{token}/"
    client.force_login(holder_user)
    assert "By link." in client.get(page(case)).content.decode()


def _upload(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF, content_type="application/pdf")
