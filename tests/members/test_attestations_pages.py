"""The attestation pages: who may open each (staff pages per body, a member's own campaign page, an
agency administrator's own agency), what each does through the services, the CSV exports, and a
fixed number of queries however many people."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ombuds.accounts.models import Invitation
from ombuds.members import attestations as svc
from ombuds.members.models import Attestation, AttestationCampaign, AttestationDue
from ombuds.register.models import Affiliation, Person
from tests.members.conftest import STATEMENT, make_member, make_staff, publish_v2, start

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when a test runs, not when the module is collected


def as_user(client, user):
    if user is not None:
        client.force_login(user)
    return client


def query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(context)


def csv_rows(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


# --- who may open what --------------------------------------------------------------------------

STAFF_EXPECTED = {
    "public": 302,
    "signed_in_no_role": 403,
    "committee_member": 403,
    "other_body_admin": 403,
    "ann": 403,  # a member
    "adam": 403,  # an agency administrator
    "body_staff": 200,
    "body_admin": 200,
    "superuser": 200,
}


def staff_urls(campaign, person) -> list[str]:
    org = campaign.organization.slug
    return [
        reverse("attest:campaigns", kwargs={"org": org}),
        reverse("attest:new", kwargs={"org": org}),
        reverse("attest:campaign", kwargs={"org": org, "pk": campaign.pk}),
        reverse("attest:coverage_csv", kwargs={"org": org, "pk": campaign.pk}),
        reverse("attest:proxy", kwargs={"org": org, "pk": campaign.pk, "person": person.pk}),
    ]


@pytest.mark.parametrize("persona", list(STAFF_EXPECTED))
def test_staff_pages_access(client, world, persona):
    campaign = start(world)
    as_user(client, world.user(persona))
    for url in staff_urls(campaign, world.person("ben")):
        response = client.get(url)
        assert response.status_code == STAFF_EXPECTED[persona], url
        if persona == "public":
            assert response["Location"].startswith(reverse("login"))
        if response.status_code == 200:
            assert "no-store" in response["Cache-Control"]
            assert "private" in response["Cache-Control"]
    response = client.post(reverse("attest:close", kwargs={"org": "guild", "pk": campaign.pk}))
    closed = AttestationCampaign.objects.get(pk=campaign.pk).closed_at is not None
    assert closed == (STAFF_EXPECTED[persona] == 200)
    assert response.status_code == (
        302 if persona in ("public", "body_staff", "body_admin", "superuser") else 403
    )


def test_staff_pages_of_another_campaign_or_person_answer_404(client, world, other_body):
    campaign = start(world)
    as_user(client, world.user("body_staff"))
    mine = reverse("attest:campaign", kwargs={"org": "guild", "pk": campaign.pk})
    assert client.get(mine.replace("/guild/", "/other/")).status_code == 403
    cara = world.person("cara")  # not asked in an all-members campaign
    url = reverse("attest:proxy", kwargs={"org": "guild", "pk": campaign.pk, "person": cara.pk})
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("attest:campaign", kwargs={"org": "guild", "pk": 999})).status_code
        == 404
    )


MEMBER_EXPECTED = {
    "public": 302,
    "ann": 200,  # asked, her own record
    "ben": 200,
    "cara": 404,  # in the register, but not asked in this campaign
    "body_staff": 404,  # no register record
    "zoe": 404,  # a member of another body
}


@pytest.mark.parametrize("persona", list(MEMBER_EXPECTED))
def test_member_page_access(client, world, other_body, django_user_model, persona):
    campaign = start(world)
    zoe = django_user_model.objects.create_user("zoe", "zoe@example.org", "pw")
    Person.objects.create(organization=other_body, given_name="Zoe", family_name="Z", user=zoe)
    world.users["zoe"] = zoe
    as_user(client, world.user(persona))
    url = reverse("attest:attest", kwargs={"campaign": campaign.pk})
    response = client.get(url)
    assert response.status_code == MEMBER_EXPECTED[persona]
    if persona == "public":
        assert response["Location"].startswith(reverse("login"))
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == (302 if persona in ("public", "ann", "ben") else 404)
    assert Attestation.objects.filter(user=world.user(persona)).exists() == (
        persona in ("ann", "ben")
    )


AGENCY_EXPECTED = {
    "public": 302,
    "adam": 200,  # Alpha's administrator
    "bella": 404,  # Beta's administrator
    "cara": 404,  # Alpha's employee, not its administrator
    "body_staff": 404,
    "body_admin": 404,
    "ann": 404,
}


@pytest.mark.parametrize("persona", list(AGENCY_EXPECTED))
def test_agency_page_access(client, world, persona):
    as_user(client, world.user(persona))
    agency = world.agency_a
    for url in (
        reverse("attest:agency_people", kwargs={"agency": agency.pk}),
        reverse("attest:agency_csv", kwargs={"agency": agency.pk}),
    ):
        response = client.get(url)
        assert response.status_code == AGENCY_EXPECTED[persona], url
        if persona == "public":
            assert response["Location"].startswith(reverse("login"))
    dan = world.person("dan")
    response = client.post(
        reverse("attest:agency_invite", kwargs={"agency": agency.pk, "person": dan.pk})
    )
    invited = Invitation.objects.filter(person=dan).exists()
    assert invited == (persona == "adam")


def test_agency_admin_cannot_reach_another_agencys_people(client, world):
    as_user(client, world.user("adam"))
    eve = world.person("eve")  # Beta's employee
    for agency in (world.agency_a, world.agency_b):
        response = client.post(
            reverse("attest:agency_invite", kwargs={"agency": agency.pk, "person": eve.pk})
        )
        assert response.status_code == 404
    assert not Invitation.objects.filter(person=eve).exists()
    assert (
        client.get(
            reverse("attest:agency_people", kwargs={"agency": world.agency_b.pk})
        ).status_code
        == 404
    )
    assert client.get(reverse("attest:agency_people", kwargs={"agency": 9999})).status_code == 404


# --- staff pages --------------------------------------------------------------------------------


def test_start_a_campaign_from_the_page(client, world):
    as_user(client, world.user("body_staff"))
    url = reverse("attest:new", kwargs={"org": "guild"})
    page = client.get(url, {"version": world.v1.pk})
    assert page.status_code == 200
    assert f'<option value="{world.v1.pk}" selected>' in page.content.decode()
    due = TODAY() + dt.timedelta(days=21)
    response = client.post(
        url,
        {
            "code_version": world.v1.pk,
            "title": "2025 attestation",
            "audience": "agency_staff",
            "material": "on",
            "due_on": due.isoformat(),
            "reminder_days": "14, 3",
            "new_joiner_days": "30",
            "statement": STATEMENT,
        },
    )
    campaign = AttestationCampaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "attest:campaign", kwargs={"org": "guild", "pk": campaign.pk}
    )
    assert campaign.title == "2025 attestation" and campaign.material
    assert campaign.started_by == world.user("body_staff") and campaign.reminder_days == [14, 3]
    assert campaign.dues.count() == 5


def test_start_page_lists_every_problem(client, world):
    v2 = publish_v2(world)
    as_user(client, world.user("body_admin"))
    form = {
        "code_version": world.v1.pk,
        "audience": "all_members",
        "due_on": (TODAY() - dt.timedelta(days=1)).isoformat(),
        "reminder_days": "14, 3",
        "new_joiner_days": "30",
        "statement": STATEMENT,
    }
    # Only the current version is offered, as the form's help text says.
    page = client.get(reverse("attest:new", kwargs={"org": "guild"})).content.decode()
    assert f'value="{v2.pk}"' in page and f'value="{world.v1.pk}"' not in page
    response = client.post(reverse("attest:new", kwargs={"org": "guild"}), form)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Choose the current version of the code" in text
    response = client.post(
        reverse("attest:new", kwargs={"org": "guild"}), {**form, "code_version": v2.pk}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "The due date cannot be in the past." in text
    assert 'class="error-summary"' in text
    response = client.post(
        reverse("attest:new", kwargs={"org": "guild"}),
        {"code_version": world.v1.pk, "reminder_days": "two weeks", "new_joiner_days": "x"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    for problem in (
        "Choose who must attest.",
        "Give the due date.",
        "Write the reminder days as whole numbers",
        "Enter a whole number of days.",
        "Write the statement each person confirms.",
    ):
        assert problem in text
    assert not AttestationCampaign.objects.exists()


def test_campaign_page_filters_by_status_and_agency(client, world):
    campaign = start(world, audience="agency_staff")
    person = world.person("cara")
    svc.attest(person=person, user=person.user, statement_confirmed=True, campaign=campaign)
    as_user(client, world.user("body_staff"))
    url = reverse("attest:campaign", kwargs={"org": "guild", "pk": campaign.pk})
    text = client.get(url).content.decode()
    assert "1 of 5 attested (20%)" in text
    for name in ("Adam", "Bella", "Cara", "Dan", "Eve"):
        assert f"{name} Example" in text
    text = client.get(url, {"status": "attested"}).content.decode()
    assert "Cara Example" in text and "Dan Example" not in text
    text = client.get(url, {"agency": world.agency_b.pk}).content.decode()
    assert "Eve Example" in text and "Cara Example" not in text
    assert "0 of 2 attested" in text
    # An agency not a member, or unknown, shows everyone.
    text = client.get(url, {"agency": world.outsider_agency.pk, "status": "bogus"}).content.decode()
    assert "1 of 5 attested" in text


def test_campaign_page_is_paginated(client, world):
    for n in range(60):
        make_member(world, f"member{n:02d}")
    campaign = start(world)
    as_user(client, world.user("body_staff"))
    url = reverse("attest:campaign", kwargs={"org": "guild", "pk": campaign.pk})
    first = client.get(url).content.decode()
    assert "Page 1 of 2" in first and "62 people" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert second.count("Record by proxy<") == 12


def test_coverage_csv_export_streams_every_row(client, world):
    for n in range(60):
        make_member(world, f"member{n:02d}")
    campaign = start(world)
    svc.attest_by_proxy(
        person=world.person("ben"),
        campaign=campaign,
        reason="Paper form",
        staff_user=world.user("body_staff"),
    )
    as_user(client, world.user("body_admin"))
    response = client.get(
        reverse("attest:coverage_csv", kwargs={"org": "guild", "pk": campaign.pk})
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = csv_rows(response)
    assert len(rows) == 62
    assert list(rows[0]) == svc.CSV_HEADER
    ben = next(r for r in rows if r["person"] == "Ben Example")
    assert ben["number"] == "CGP-1" and ben["status"] == "attested" and ben["by_proxy"] == "yes"
    assert ben["version"] == "v1" and ben["email"] == "ben@register.example"
    ann = next(r for r in rows if r["person"] == "Ann Example")
    assert ann["status"] == "pending" and ann["number"].startswith("M-")


def test_proxy_form_requires_a_reason(client, world):
    campaign = start(world)
    ben = world.person("ben")
    as_user(client, world.user("body_staff"))
    url = reverse("attest:proxy", kwargs={"org": "guild", "pk": campaign.pk, "person": ben.pk})
    response = client.post(url, {"reason": " "})
    assert response.status_code == 400
    assert "Say why you record this attestation on their behalf." in response.content.decode()
    assert not Attestation.objects.exists()
    response = client.post(url, {"reason": "Signed the paper form"})
    assert response.status_code == 302
    attestation = Attestation.objects.get()
    assert attestation.by_proxy and attestation.proxy_reason == "Signed the paper form"
    assert attestation.user == world.user("body_staff")
    response = client.post(url, {"reason": "Again"})
    assert response.status_code == 400
    assert "Ben Example already attested" in response.content.decode()


def test_close_campaign(client, world):
    campaign = start(world)
    as_user(client, world.user("body_admin"))
    url = reverse("attest:close", kwargs={"org": "guild", "pk": campaign.pk})
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    campaign.refresh_from_db()
    assert campaign.closed_at is not None
    page = client.get(reverse("attest:campaign", kwargs={"org": "guild", "pk": campaign.pk}))
    assert "Closed" in page.content.decode() and "Record by proxy" not in page.content.decode()
    as_user(client, world.user("ann"))
    page = client.get(reverse("attest:attest", kwargs={"campaign": campaign.pk}))
    assert "This campaign closed" in page.content.decode()


def test_campaign_list_shows_coverage(client, world):
    campaign = start(world)
    ann = world.person("ann")
    svc.attest(person=ann, user=ann.user, statement_confirmed=True, campaign=campaign)
    as_user(client, world.user("body_staff"))
    text = client.get(reverse("attest:campaigns", kwargs={"org": "guild"})).content.decode()
    assert campaign.title in text and "1 of 2" in text
    assert f"?version={world.v1.pk}" in text


def test_code_version_page_links_to_a_new_campaign(client, world):
    as_user(client, world.user("body_staff"))
    text = client.get(
        reverse("codes_staff:version", kwargs={"org": "guild", "pk": world.v1.pk})
    ).content.decode()
    assert reverse("attest:new", kwargs={"org": "guild"}) + f"?version={world.v1.pk}" in text


# --- the member's page --------------------------------------------------------------------------


def test_member_reads_the_version_and_attests(client, world):
    campaign = start(world)
    as_user(client, world.user("ann"))
    url = reverse("attest:attest", kwargs={"campaign": campaign.pk})
    page = client.get(url)
    text = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert "Members shall not mislead a client." in text and "1.1(a)" in text
    assert STATEMENT in text and "I confirm" in text
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Tick “I confirm” to confirm the statement." in response.content.decode()
    assert not Attestation.objects.exists()
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == url
    attestation = Attestation.objects.get()
    assert attestation.person == world.person("ann") and attestation.campaign == campaign
    assert attestation.text_sha256 == svc.version_text_sha256(world.v1)
    text = client.get(url).content.decode()
    assert "You attested to version v1" in text and 'name="confirm"' not in text
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 400 and "You already attested" in response.content.decode()


def test_member_page_refuses_a_superseded_version_clearly(client, world):
    campaign = start(world)
    publish_v2(world)
    as_user(client, world.user("ann"))
    url = reverse("attest:attest", kwargs={"campaign": campaign.pk})
    text = client.get(url).content.decode()
    assert "Version v1 was superseded by version v2" in text and 'name="confirm"' not in text
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 400
    assert "superseded by version v2: attest to the current version" in response.content.decode()
    assert not Attestation.objects.exists()


# --- the agency administrator's page ------------------------------------------------------------


def test_agency_page_lists_own_people_with_accounts_and_statuses(client, world):
    campaign = start(world, audience="agency_staff")
    cara = world.person("cara")
    svc.attest(person=cara, user=cara.user, statement_confirmed=True, campaign=campaign)
    as_user(client, world.user("adam"))
    url = reverse("attest:agency_people", kwargs={"agency": world.agency_a.pk})
    page = client.get(url)
    text = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    for name in ("Adam", "Cara", "Dan"):
        assert f"{name} Example" in text
    for name in ("Eve", "Bella", "Gus", "Pia", "Old", "Ann"):
        assert f"{name} Example" not in text
    assert "1 of 3 attested, 2 pending" in text
    assert "Has an account" in text and "No account" in text
    client.post(
        reverse(
            "attest:agency_invite",
            kwargs={"agency": world.agency_a.pk, "person": world.person("dan").pk},
        )
    )
    assert "Invited" in client.get(url).content.decode()
    rows = csv_rows(client.get(reverse("attest:agency_csv", kwargs={"agency": world.agency_a.pk})))
    assert {r["person"]: r["status"] for r in rows} == {
        "Adam Example": "pending",
        "Cara Example": "attested",
        "Dan Example": "pending",
    }
    assert {r["person"]: r["account"] for r in rows}["Dan Example"] == "invited"


def test_agency_admin_adds_an_employee_from_the_page(client, world):
    start(world, audience="agency_staff")
    as_user(client, world.user("adam"))
    url = reverse("attest:agency_people", kwargs={"agency": world.agency_a.pk})
    response = client.post(
        url,
        {
            "add-given_name": "Noor",
            "add-family_name": "New",
            "add-email": "noor@example.org",
            "add-role": "employee",
        },
    )
    assert response.status_code == 302
    noor = Person.objects.get(email="noor@example.org")
    assert Affiliation.objects.get(person=noor).agency == world.agency_a
    assert Invitation.objects.get(person=noor).email == "noor@example.org"
    assert AttestationDue.objects.filter(person=noor).exists()
    response = client.post(
        url,
        {
            "add-given_name": "Ann",
            "add-family_name": "Again",
            "add-email": "ann@register.example",
            "add-role": "agent",
        },
    )
    assert response.status_code == 400
    assert "already in GOE&#x27;s register" in response.content.decode()


# --- a fixed number of queries ------------------------------------------------------------------


def _grow(world, n: int) -> None:
    for i in range(n):
        make_member(world, f"m{i:03d}")
        make_staff(world, f"s{i:03d}", world.agency_a, account=bool(i % 2))


# Queries per page: the session, the user, the body or agency, the viewer's roles, the page's own
# few, whatever the number of people and attestations.
QUERY_LIMITS = {"list": 10, "campaign": 9, "agency filter": 9, "agency": 10, "member": 9}


def test_pages_run_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    urls: dict[str, tuple[str, str]] = {}

    def fetch(page: str) -> int:
        persona, url = urls[page]
        return query_count(as_user(client, world.user(persona)), url)

    def counts() -> dict[str, int]:
        campaigns = [start(world), start(world, audience="agency_staff")]
        for campaign in campaigns:
            for due in AttestationDue.objects.filter(campaign=campaign).exclude(
                person__attestations__code_version=campaign.code_version
            )[:3]:
                svc.attest_by_proxy(
                    person=due.person, campaign=campaign, reason="Paper", staff_user=None
                )
        page = reverse("attest:campaign", kwargs={"org": "guild", "pk": campaigns[1].pk})
        urls.update(
            {
                "list": ("body_staff", reverse("attest:campaigns", kwargs={"org": "guild"})),
                "campaign": ("body_staff", page),
                "agency filter": (
                    "body_staff",
                    f"{page}?agency={world.agency_a.pk}&status=pending",
                ),
                "agency": (
                    "adam",
                    reverse("attest:agency_people", kwargs={"agency": world.agency_a.pk}),
                ),
                "member": (
                    "ann",
                    reverse("attest:attest", kwargs={"campaign": campaigns[0].pk}),
                ),
            }
        )
        found = {page: fetch(page) for page in urls}
        return found

    small = counts()
    for campaign in AttestationCampaign.objects.all():
        svc.campaign_close(campaign=campaign)
    _grow(world, 40)
    large = counts()
    assert small == large
    for page, limit in QUERY_LIMITS.items():
        persona, url = urls[page]
        as_user(client, world.user(persona))
        with django_assert_max_num_queries(limit, info=page):
            assert client.get(url).status_code == 200
