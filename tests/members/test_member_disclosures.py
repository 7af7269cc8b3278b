"""A member's own disclosures (`/me/<body>/disclosures/`): anyone with a record in the body's
register linked to their account (or a role on the body) files, changes and ends their own, with
the same form, services and templates as the staff pages, which stay for the body's people only.
A member without a role is recused from nothing and learns of no case; a committee member's
disclosure recuses them, and the body's people see the recusal and its reason on the case page."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases.models import Recusal
from ombuds.members import services
from ombuds.members.models import Disclosure
from ombuds.register.models import Person
from tests.cases import conftest as case_fixtures
from tests.cases.conftest import file_case

pytestmark = pytest.mark.django_db

csec = case_fixtures.csec

LIST = "/me/csec/disclosures/"


def edit_url(disclosure: Disclosure) -> str:
    return f"/me/csec/disclosures/{disclosure.pk}/edit"


@pytest.fixture
def member(csec, django_user_model):
    """A member of CSEC's register with an account, and no role on the body."""
    user = django_user_model.objects.create_user("mia", "mia@example.org", "pw")
    Person.objects.create(organization=csec.org, given_name="Mia", family_name="Member", user=user)
    return user


def test_who_opens_the_members_pages(client, csec, member, django_user_model):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    nobody = django_user_model.objects.create_user("nobody", "n@example.org", "pw")
    elsewhere = django_user_model.objects.create_user("elsewhere", "e@example.org", "pw")
    guild = Organization.objects.create(slug="guild", name="Guild")
    Person.objects.create(
        organization=guild, given_name="El", family_name="Sewhere", user=elsewhere
    )
    BodyRole.objects.create(user=elsewhere, organization=guild, role="administrator")
    for user in (nobody, elsewhere):
        client.force_login(user)
        assert client.get(LIST).status_code == 403
        assert client.post(LIST, {}).status_code == 403
    for user in (member, csec.committee, csec.chair, csec.admin):
        client.force_login(user)
        response = client.get(LIST)
        assert response.status_code == 200, user
        assert "no-store" in response["Cache-Control"]
    # The staff pages stay the body's people's.
    client.force_login(member)
    assert client.get("/staff/csec/disclosures/").status_code == 403


def test_a_member_files_changes_and_ends_their_own(client, csec, member):
    case = file_case(csec)
    client.force_login(member)
    response = client.post(LIST, {"party_name": "", "nature": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose the kind of relationship." in page and "Say what the relationship is." in page

    response = client.post(
        LIST,
        {
            "relationship": "employment",
            "party_name": "Faithful Support Recovery LLC",
            "nature": "I work there.",
        },
    )
    assert response.status_code == 302 and response["Location"] == LIST
    disclosure = Disclosure.objects.get(user=member)
    assert disclosure.party_agency == csec.member_agency
    # A member without a role on the body is recused from nothing, and told of no case.
    assert not Recusal.objects.exists()
    page = client.get(LIST).content.decode()
    assert "is saved" in page and case.reference not in page and "recused" not in page
    assert f'href="{edit_url(disclosure)}"' in page and "/staff/" not in page.split("<main")[1]
    saved = Event.objects.get(action="disclosure.saved")
    assert saved.actor == member and saved.data["recused_from"] == []

    response = client.post(
        edit_url(disclosure),
        {
            "action": "save",
            "relationship": "employment",
            "party_name": "Faithful Support Recovery LLC",
            "nature": "I worked there until May.",
        },
    )
    assert response.status_code == 302 and response["Location"] == LIST
    response = client.post(edit_url(disclosure), {"action": "end", "end-ended_on": ""})
    assert response.status_code == 302
    disclosure.refresh_from_db()
    assert not disclosure.current and disclosure.nature == "I worked there until May."
    assert client.get(edit_url(disclosure)).status_code == 200
    assert verify().ok


def test_a_member_sees_and_changes_only_their_own(client, csec, member):
    mine = services.disclosure_save(
        user=member,
        organization=csec.org,
        relationship="family",
        party_name="Sam Sibling",
        nature="My brother.",
    )
    theirs = services.disclosure_save(
        user=csec.committee,
        organization=csec.org,
        relationship="business",
        party_name="Rogue Collections",
        nature="I hold shares.",
    )
    client.force_login(member)
    page = client.get(LIST).content.decode()
    assert "Sam Sibling" in page and "Rogue Collections" not in page
    assert client.get(edit_url(theirs)).status_code == 404
    changed = {"action": "save", "relationship": "other", "party_name": "X", "nature": "Y"}
    assert client.post(edit_url(theirs), changed).status_code == 404
    assert client.post(edit_url(theirs), {"action": "end"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.current and theirs.party_name == "Rogue Collections"
    assert client.get(edit_url(mine)).status_code == 200


def test_the_service_takes_a_member_and_still_refuses_an_outsider(csec, member, django_user_model):
    made = services.disclosure_save(
        user=member,
        organization=csec.org,
        relationship="personal",
        party_name="Someone",
        nature="A friend.",
    )
    assert made.recused_from == []
    outsider = django_user_model.objects.create_user("out", "o@example.org", "pw")
    with pytest.raises(services.DisclosureRefused) as refused:
        services.disclosure_save(
            user=outsider,
            organization=csec.org,
            relationship="personal",
            party_name="Someone",
            nature="A friend.",
        )
    assert refused.value.problems == ["You have no role on CSEC."]
    assert services.may_disclose(member, csec.org) and not services.may_disclose(outsider, csec.org)


def test_a_committee_members_disclosure_from_their_own_page_recuses_them_and_staff_see_why(
    client, csec
):
    case = file_case(csec)
    client.force_login(csec.committee)
    response = client.post(
        LIST,
        {
            "relationship": "employment",
            "party_name": "Faithful Support Recovery",
            "nature": "I worked there as a case manager.",
        },
    )
    assert response.status_code == 302
    assert f"You are now recused from {case.reference}" in client.get(LIST).content.decode()
    assert client.get(f"/staff/csec/cases/{case.reference}/").status_code == 404
    reason = "Declared a conflict of interest: employment — Faithful Support Recovery"
    assert Recusal.objects.get(case=case, user=csec.committee).reason == reason
    # The chair sees who is recused and why on the case page.
    client.force_login(csec.chair)
    page = client.get(f"/staff/csec/cases/{case.reference}/").content.decode()
    assert f"{csec.committee.username}: {escape(reason)}" in page
    event = Event.objects.get(action="case.recusal", subject_id=str(case.pk))
    assert event.data["match"] == "names the respondent's record in the register"
