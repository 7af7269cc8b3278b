"""An agency's own complaint inbox (the first tier; CSEC 1.1(c)): a member agency's client
complains without an account and follows the complaint through a personal link; the agency's
administrators, and nobody else, answer, resolve or close it in their inbox, which counts the
complaints and times the first response and the resolution."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.bodies.models import Organization
from ombuds.members import first_tier
from ombuds.members.models import ClientComplaint, ClientMessage
from ombuds.register.models import Affiliation, Agency, Membership, MembershipType, Person
from tests.cases import conftest as case_fixtures

pytestmark = pytest.mark.django_db

# The cases' CSEC-like body on Article 5: its people per role, a member and a non-member agency.
csec = case_fixtures.csec

DESCRIPTION = "My March payment was collected on the 3rd but never passed on to me."


@dataclass
class Agencies:
    """The CSEC-like body with the people of its member agencies, each with their own sign-in."""

    body: Any
    agency: Agency  # Faithful Support Recovery LLC, a member
    second: Agency  # another member agency
    other_body_agency: Agency  # a member agency of another body
    users: dict[str, Any]

    @property
    def org(self) -> Organization:
        return self.body.org


def add_person(body_org: Organization, name: str, django_user_model) -> Person:
    user = django_user_model.objects.create_user(
        name, f"{name}@account.example", "pw-not-used", first_name=name.capitalize()
    )
    return Person.objects.create(
        organization=body_org, given_name=name.capitalize(), family_name="Example", user=user
    )


def affiliate(person: Person, agency: Agency, *, admin: bool = False, **dates: Any) -> Affiliation:
    return Affiliation.objects.create(
        agency=agency, person=person, role="employee", agency_admin=admin, **dates
    )


def member_agency(org: Organization, name: str, number: str, status: str = "active") -> Agency:
    kind, _ = MembershipType.objects.get_or_create(
        organization=org, code="agency", defaults={"name": "Member agency", "kind": "organization"}
    )
    agency = Agency.objects.create(organization=org, legal_name=name)
    Membership.objects.create(
        organization=org, membership_type=kind, agency=agency, number=number, status=status
    )
    return agency


def build_agencies(body, django_user_model) -> Agencies:
    """Ada administers Faithful, Emil works there without administering it, Fern administered it
    until yesterday, Bo administers the second member agency."""
    org = body.org
    second = member_agency(org, "Second Chance Recovery Inc", "CSEC-021")
    other = Organization.objects.create(slug="elsewhere", name="Elsewhere Council", acronym="EC")
    other_agency = member_agency(other, "Faraway Support LLC", "EC-1")
    users = {}
    for name, agency, extra in [
        ("ada", body.member_agency, {"admin": True}),
        ("emil", body.member_agency, {}),
        (
            "fern",
            body.member_agency,
            {"admin": True, "end_date": timezone.localdate() - dt.timedelta(days=1)},
        ),
        ("bo", second, {"admin": True}),
    ]:
        person = add_person(org, name, django_user_model)
        affiliate(person, agency, **extra)
        users[name] = person.user
    return Agencies(
        body=body, agency=body.member_agency, second=second, other_body_agency=other_agency,
        users=users,
    )  # fmt: skip


@pytest.fixture
def ft(csec, django_user_model) -> Agencies:
    return build_agencies(csec, django_user_model)


def file(agency: Agency, **fields: Any) -> first_tier.FirstTierFiled:
    values = {
        "client_name": "Pat Client",
        "client_email": "pat@client.example",
        "subject": "Payment not passed on",
        "description": DESCRIPTION,
    }
    values.update(fields)
    return first_tier.client_complaint_file(agency=agency, **values)


def form(**changes: Any) -> dict:
    data = {
        "client_name": "Pat Client",
        "client_email": "pat@client.example",
        "client_phone": "",
        "client_case_number": "FSR-88",
        "subject": "Payment not passed on",
        "description": DESCRIPTION,
        "submission_key": "s" * 32,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def complain_url(org: Organization, agency: Agency | int) -> str:
    pk = agency if isinstance(agency, int) else agency.pk
    return reverse("first_tier:complain", kwargs={"org": org.slug, "agency": pk})


def client_url(org: Organization, token: str) -> str:
    return reverse("first_tier:client", kwargs={"org": org.slug, "token": token})


def inbox_url(agency: Agency | int) -> str:
    return reverse("first_tier:inbox", kwargs={"agency": getattr(agency, "pk", agency)})


def complaint_url(complaint: ClientComplaint, agency: Agency | None = None) -> str:
    return reverse(
        "first_tier:complaint",
        kwargs={"agency": (agency or complaint.agency).pk, "pk": complaint.pk},
    )


def text(response) -> str:
    return response.content.decode()


def link_on(page: str) -> str:
    found = re.search(r"/csec/client-complaints/([A-Za-z0-9_-]+)/", page)
    assert found, "no personal link on the page"
    return found.group(1)


# --- the public form --------------------------------------------------------------------------------


def test_a_client_complains_to_a_member_agency_and_gets_their_link_once(
    client, ft, django_capture_on_commit_callbacks
):
    page = client.get(complain_url(ft.org, ft.agency))
    assert page.status_code == 200
    assert "Complain to Faithful Support Recovery LLC" in text(page)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(complain_url(ft.org, ft.agency), form())
    assert response.status_code == 302
    complaint = ClientComplaint.objects.get()
    assert complaint.agency == ft.agency
    assert complaint.status == "open" and complaint.received_at is not None
    assert complaint.first_response_at is None and complaint.client_case_number == "FSR-88"
    assert re.fullmatch(r"CC-[A-Z2-9]{4}-[A-Z2-9]{4}", complaint.reference)

    filed = client.get(response["Location"])
    assert filed.status_code == 200
    assert {"private", "no-store"} <= set(filed["Cache-Control"].split(", "))
    token = link_on(text(filed))
    assert complaint.reference in text(filed)
    # Only its hash is kept.
    assert complaint.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not ClientComplaint.objects.filter(token_hash=token).exists()
    # Shown once: the page again has the reference but no link.
    again = text(client.get(response["Location"]))
    assert complaint.reference in again and "/client-complaints/" not in again

    # The link to the client; news without the client's words to the agency's administrator.
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"pat@client.example", "ada@account.example"}
    assert client_url(ft.org, token) in by_address["pat@client.example"].body
    to_agency = by_address["ada@account.example"]
    assert DESCRIPTION not in to_agency.body and "Payment not passed on" not in to_agency.body
    assert complaint_url(complaint) in to_agency.body

    (event,) = Event.objects.filter(action="client_complaint.filed")
    assert event.data["reference"] == complaint.reference
    assert DESCRIPTION not in str(event.data) and "Pat Client" not in str(event.data)
    assert verify().ok


def test_the_filed_page_is_only_for_the_browser_that_filed(client, ft):
    response = client.post(complain_url(ft.org, ft.agency), form())
    client.cookies.clear()
    assert client.get(response["Location"]).status_code == 404


@pytest.mark.parametrize("which", ["not a member", "lapsed", "other body", "unknown"])
def test_only_a_current_member_agency_of_the_body_has_a_form(client, ft, which):
    agency = {
        "not a member": ft.body.non_member_agency,
        "lapsed": member_agency(ft.org, "Lapsed Recovery LLC", "CSEC-099", status="lapsed"),
        "other body": ft.other_body_agency,
        "unknown": 999999,
    }[which]
    assert client.get(complain_url(ft.org, agency)).status_code == 404
    assert client.post(complain_url(ft.org, agency), form()).status_code == 404
    assert not ClientComplaint.objects.exists()


def test_every_problem_is_listed_at_once_and_nothing_is_written(client, ft):
    response = client.post(
        complain_url(ft.org, ft.agency),
        form(client_name="", client_email="not-an-address", subject="", description=""),
    )
    assert response.status_code == 400
    page = text(response)
    for anchor in ("id_client_name", "id_client_email", "id_subject", "id_description"):
        assert f'href="#{anchor}"' in page
    assert "Give your name: the agency needs it to find your file." in page
    assert not ClientComplaint.objects.exists()


def test_a_way_to_reply_is_asked_for_unless_the_client_follows_by_link_only(client, ft):
    response = client.post(complain_url(ft.org, ft.agency), form(client_email=""))
    assert response.status_code == 400
    assert "tick the box to follow the complaint through your personal link only" in text(response)
    by_phone = form(client_email="", client_phone="+1 555 0100", submission_key="p" * 32)
    assert client.post(complain_url(ft.org, ft.agency), by_phone).status_code == 302
    by_link = form(client_email="", link_only="on", submission_key="l" * 32)
    assert client.post(complain_url(ft.org, ft.agency), by_link).status_code == 302
    assert ClientComplaint.objects.count() == 2
    with pytest.raises(first_tier.FirstTierRefused) as refused:
        file(ft.agency, client_email="")
    assert "or confirm that you will follow the complaint" in refused.value.problems[0]


def test_the_same_form_sent_twice_makes_one_complaint_with_one_link(client, ft):
    first = client.post(complain_url(ft.org, ft.agency), form())
    second = client.post(complain_url(ft.org, ft.agency), form())
    complaint = ClientComplaint.objects.get()
    assert first["Location"] == second["Location"]
    # Whichever answer the browser shows carries the link, and it is the same link.
    token = link_on(text(client.get(second["Location"])))
    assert first_tier.client_complaint_for_token(token) == complaint
    # The same key saying something else is not the same form.
    other = client.post(complain_url(ft.org, ft.agency), form(description="Something else."))
    assert other.status_code == 400
    assert "already used to send a different complaint" in text(other)
    # A new form has a new key, and makes a new complaint.
    client.post(complain_url(ft.org, ft.agency), form(submission_key="n" * 32))
    assert ClientComplaint.objects.count() == 2


def test_complaints_from_one_network_are_limited(client, ft, settings):
    settings.OMBUDS_COMPLAINTS_PER_HOUR = 1
    assert client.post(complain_url(ft.org, ft.agency), form()).status_code == 302
    response = client.post(complain_url(ft.org, ft.agency), form(submission_key="t" * 32))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "Your complaint was not sent" in text(response)
    assert DESCRIPTION in text(response)  # kept to send later
    assert ClientComplaint.objects.count() == 1


# --- the client's personal link ------------------------------------------------------------------


def test_the_personal_link_opens_the_complaint_and_nothing_else_does(client, ft):
    filed = file(ft.agency)
    response = client.get(client_url(ft.org, filed.token))
    assert response.status_code == 200
    assert DESCRIPTION in text(response) and filed.complaint.reference in text(response)
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    # No page address (the secret) in any Referer, while the page's forms keep their Origin.
    assert response["Referrer-Policy"] == "strict-origin"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    for wrong in (client_url(ft.org, filed.token[:-1] + "x"), client_url(ft.org, "nothing")):
        gone = client.get(wrong)
        assert gone.status_code == 404
        assert "This link does not open a complaint" in text(gone)
    # The right token under another body's address is not found either.
    assert client.get(client_url(ft.other_body_agency.organization, filed.token)).status_code == 404


def test_the_client_writes_again_until_the_complaint_is_closed(
    client, ft, django_capture_on_commit_callbacks
):
    filed = file(ft.agency)
    first_tier.client_complaint_reply(
        complaint=filed.complaint, body="We are looking into it.", acting_user=ft.users["ada"]
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(client_url(ft.org, filed.token), {"text": "Any news?"})
    assert response.status_code == 302
    complaint = ClientComplaint.objects.get()
    # The client wrote last: the complaint waits for the agency again.
    assert complaint.status == "open"
    assert complaint.messages.filter(from_client=True, author__isnull=True).count() == 1
    (news,) = mail.outbox
    assert news.to == ["ada@account.example"] and "Any news?" not in news.body
    page = text(client.get(client_url(ft.org, filed.token)))
    assert "Any news?" in page and "We are looking into it." in page

    first_tier.client_complaint_resolve(
        complaint=complaint, resolution="Paid on 9 April.", acting_user=ft.users["ada"]
    )
    page = text(client.get(client_url(ft.org, filed.token)))
    assert "Paid on 9 April." in page and "Send the message" not in page
    refused = client.post(client_url(ft.org, filed.token), {"text": "One more thing."})
    assert refused.status_code == 400
    assert "takes no more messages" in text(refused)
    assert complaint.messages.count() == 2


# --- who sees the agency's inbox -----------------------------------------------------------------

# Who opens Faithful's inbox and its complaints, and what they get.
ACCESS = [
    ("anonymous", 302),
    ("ada", 200),  # Faithful's administrator
    ("bo", 404),  # another agency's administrator
    ("emil", 403),  # works for Faithful, not its administrator
    ("fern", 404),  # was Faithful's administrator until yesterday
    ("chair", 404),  # the body's people: the inbox is the agency's own
    ("staff", 404),
    ("administrator", 404),
    ("superuser", 404),
]


def persona(ft: Agencies, name: str, django_user_model):
    if name == "anonymous":
        return None
    if name == "superuser":
        return django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    if name == "chair":
        return ft.body.chair
    return ft.body.people.get(name) or ft.users[name]


@pytest.mark.parametrize(("who", "status"), ACCESS)
def test_only_the_agencys_administrators_see_its_inbox(client, ft, django_user_model, who, status):
    complaint = file(ft.agency).complaint
    user = persona(ft, who, django_user_model)
    if user is not None:
        client.force_login(user)
    for url in (inbox_url(ft.agency), complaint_url(complaint)):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 302:
            assert response["Location"].startswith(reverse("login"))
        if status == 200:
            assert "Payment not passed on" in text(response)
        else:
            assert "Payment not passed on" not in text(response)
    posted = client.post(complaint_url(complaint), {"action": "reply", "reply-text": "Hello."})
    assert posted.status_code == (302 if who == "ada" else status)
    assert ClientMessage.objects.count() == (1 if who == "ada" else 0)


def test_an_administrator_refused_another_agencys_inbox_is_told_clearly(client, ft):
    client.force_login(ft.users["bo"])
    response = client.get(inbox_url(ft.agency))
    assert response.status_code == 404
    page = text(response)
    assert "This is not one of your agencies' inboxes" in page
    assert inbox_url(ft.second) in page  # their own, to go to instead
    client.force_login(ft.users["emil"])
    assert "Only the agency's administrators" in text(client.get(inbox_url(ft.agency)))


def test_another_agencys_complaint_is_not_found_under_ones_own_inbox(client, ft):
    theirs = file(ft.second).complaint
    client.force_login(ft.users["ada"])
    response = client.get(complaint_url(theirs, agency=ft.agency))
    assert response.status_code == 404
    assert "No complaint of Faithful Support Recovery LLC has this number" in text(response)
    posted = client.post(
        complaint_url(theirs, agency=ft.agency), {"action": "reply", "reply-text": "Mine now."}
    )
    assert posted.status_code == 404
    assert not ClientMessage.objects.exists()


def test_the_services_refuse_anyone_but_the_agencys_administrators(ft):
    complaint = file(ft.agency).complaint
    for user in (ft.users["emil"], ft.users["bo"], ft.body.chair, None):
        with pytest.raises(first_tier.FirstTierRefused, match="administrators"):
            first_tier.client_complaint_reply(complaint=complaint, body="Hi", acting_user=user)
        with pytest.raises(first_tier.FirstTierRefused, match="administrators"):
            first_tier.client_complaint_resolve(
                complaint=complaint, resolution="Done", acting_user=user
            )
    complaint.refresh_from_db()
    assert complaint.status == "open" and not complaint.messages.exists()


# --- answering, resolving, closing ---------------------------------------------------------------


def test_the_first_answer_sets_the_time_of_first_response_and_emails_the_client(
    client, ft, django_capture_on_commit_callbacks
):
    complaint = file(ft.agency).complaint
    mail.outbox.clear()
    client.force_login(ft.users["ada"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            complaint_url(complaint), {"action": "reply", "reply-text": "We are on it."}
        )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "answered" and complaint.handled_by == ft.users["ada"]
    first = complaint.first_response_at
    assert first is not None and first >= complaint.received_at
    (message,) = complaint.messages.all()
    assert message.author == ft.users["ada"] and not message.from_client
    (email,) = mail.outbox
    assert email.to == ["pat@client.example"] and "We are on it." in email.body

    first_tier.client_complaint_reply(
        complaint=complaint, body="Still on it.", acting_user=ft.users["ada"]
    )
    complaint.refresh_from_db()
    assert complaint.first_response_at == first  # only the first answer counts
    events = Event.objects.filter(action="client_complaint.answered").order_by("seq")
    assert [e.data["first response"] for e in events] == [True, False]
    assert all("on it" not in str(e.data) for e in events)
    page = text(client.get(complaint_url(complaint)))
    assert "We are on it." in page and "Still on it." in page and "Ada" in page


def test_resolving_needs_a_summary_and_closes_the_complaint(
    client, ft, django_capture_on_commit_callbacks
):
    complaint = file(ft.agency).complaint
    client.force_login(ft.users["ada"])
    empty = client.post(complaint_url(complaint), {"action": "resolve", "resolve-text": " "})
    assert empty.status_code == 400
    assert "Summarise how the complaint was resolved" in text(empty)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            complaint_url(complaint),
            {"action": "resolve", "resolve-text": "We paid the March amount on 9 April."},
        )
    assert done.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and complaint.resolved_at is not None
    assert complaint.resolution == "We paid the March amount on 9 April."
    # Telling the client how it ended is the first response when nothing came before.
    assert complaint.first_response_at == complaint.resolved_at
    (email,) = mail.outbox
    assert "We paid the March amount on 9 April." in email.body
    assert Event.objects.filter(action="client_complaint.resolved").count() == 1
    # Final: no more answers, no second resolution.
    again = client.post(complaint_url(complaint), {"action": "reply", "reply-text": "PS"})
    assert again.status_code == 400
    assert "takes no more messages" in text(again)
    with pytest.raises(first_tier.FirstTierRefused, match="already resolved"):
        first_tier.client_complaint_close_unresolved(
            complaint=complaint, reason="Changed my mind", acting_user=ft.users["ada"]
        )


def test_closing_without_a_resolution_needs_a_reason(client, ft):
    complaint = file(ft.agency).complaint
    client.force_login(ft.users["ada"])
    empty = client.post(complaint_url(complaint), {"action": "close", "close-text": ""})
    assert empty.status_code == 400
    assert "Say why the complaint is closed without a resolution." in text(empty)
    client.post(
        complaint_url(complaint),
        {"action": "close", "close-text": "The client's contract ended in 2019."},
    )
    complaint.refresh_from_db()
    assert complaint.status == "unresolved" and complaint.resolved_at is not None
    assert first_tier.time_to_resolution(complaint) is None  # closed, not resolved
    assert Event.objects.filter(action="client_complaint.closed_unresolved").count() == 1


# --- the figures ---------------------------------------------------------------------------------

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def timed(agency: Agency, n: int, *, received: dt.datetime, **times: Any) -> ClientComplaint:
    """A complaint with its timestamps set by hand, as if it had been answered then."""
    complaint = file(agency, submission_key=f"timed-complaint-{n:08d}").complaint
    for name, value in {"received_at": received, **times}.items():
        setattr(complaint, name, value)
    complaint.save()
    return complaint


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


def test_the_times_to_first_response_and_to_resolution(client, ft):
    # First responses after 1, 3 and 8 hours (median 3, mean 4); resolutions after 1 and 3 days
    # (median and mean 2 days). A complaint closed unresolved counts for its first response
    # only; one still waiting counts for neither, and another agency's for nothing.
    answered = timed(ft.agency, 1, received=T0, first_response_at=T0 + hours(1), status="answered")
    timed(
        ft.agency, 2, received=T0, first_response_at=T0 + hours(3),
        resolved_at=T0 + hours(24), status="resolved",
    )  # fmt: skip
    timed(
        ft.agency, 3, received=T0, first_response_at=T0 + hours(8),
        resolved_at=T0 + hours(72), status="resolved",
    )  # fmt: skip
    waiting = timed(ft.agency, 4, received=T0 + hours(2))
    timed(
        ft.agency, 5, received=T0 + hours(1), first_response_at=T0 + hours(2),
        resolved_at=T0 + hours(500), status="unresolved",
    )  # fmt: skip
    timed(ft.second, 6, received=T0, first_response_at=T0 + hours(100), status="answered")

    figures = first_tier.inbox_figures(ft.agency)
    assert figures.total == 5
    assert figures.counts == {"open": 1, "answered": 1, "resolved": 2, "unresolved": 1}
    assert figures.awaiting_first_response == 1 and figures.oldest_awaiting == waiting.received_at
    assert figures.first_response.count == 4
    assert figures.first_response.median == hours(2)  # 1, 1, 3, 8 hours
    assert figures.first_response.mean == hours(3.25)
    assert figures.resolution.count == 2
    assert figures.resolution.median == figures.resolution.mean == hours(48)

    client.force_login(ft.users["ada"])
    page = text(client.get(inbox_url(ft.agency)))
    assert "median 2 hours, average 3 hours 15 minutes (over 4 complaints)" in page
    assert "median 2 days, average 2 days (over 2 resolved complaints)" in page
    # The filter shows one status, with the counts of all.
    shown = text(client.get(inbox_url(ft.agency), {"status": "answered"}))
    assert answered.reference in shown and waiting.reference not in shown
    assert "1 complaint." in shown and "Answered (1)" in shown


def test_an_agency_with_no_complaints_has_no_times(client, ft):
    figures = first_tier.inbox_figures(ft.agency)
    assert figures.total == 0 and figures.first_response.median is None
    client.force_login(ft.users["ada"])
    page = text(client.get(inbox_url(ft.agency)))
    assert "No complaint answered yet" in page and "No complaint resolved yet" in page


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (dt.timedelta(seconds=30), "under a minute"),
        (dt.timedelta(minutes=1), "1 minute"),
        (hours(2) + dt.timedelta(minutes=5), "2 hours 5 minutes"),
        (hours(24), "1 day"),
        (hours(51), "2 days 3 hours"),
    ],
)
def test_durations_are_said_in_words(delta, words):
    assert first_tier.duration_text(delta) == words


# --- how many queries ----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 30])
def test_the_inbox_takes_the_same_queries_however_many_complaints(
    client, ft, django_assert_max_num_queries, n
):
    for i in range(n):
        complaint = timed(ft.agency, i, received=T0 + hours(i), first_response_at=T0 + hours(i + 1))
        ClientMessage.objects.create(
            complaint=complaint, from_client=False, author=ft.users["ada"], body="Hi",
            created_at=T0 + hours(i + 1),
        )  # fmt: skip
        complaint.handled_by = ft.users["ada"]
        complaint.save()
    client.force_login(ft.users["ada"])
    client.get(inbox_url(ft.agency))  # the session is warm
    with django_assert_max_num_queries(8):
        response = client.get(inbox_url(ft.agency))
    assert response.status_code == 200
    assert f"{n} complaints" in text(response)


@pytest.mark.parametrize("n", [2, 30])
def test_a_complaint_page_takes_the_same_queries_however_long_the_exchange(
    client, ft, django_assert_max_num_queries, n
):
    filed = file(ft.agency)
    for i in range(n):
        first_tier.client_complaint_reply(
            complaint=filed.complaint, body=f"Answer {i}", acting_user=ft.users["ada"]
        )
        first_tier.client_complaint_client_reply(complaint=filed.complaint, body=f"Reply {i}")
    client.force_login(ft.users["ada"])
    client.get(complaint_url(filed.complaint))
    with django_assert_max_num_queries(6):
        response = client.get(complaint_url(filed.complaint))
    assert f"Answer {n - 1}" in text(response)
    client.logout()
    with django_assert_max_num_queries(4):
        response = client.get(client_url(ft.org, filed.token))
    assert f"Reply {n - 1}" in text(response)
