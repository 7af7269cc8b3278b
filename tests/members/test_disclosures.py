"""Conflict-of-interest disclosures (CESP 3.8): saving one lists every problem at once and links the
party to the register by its exact (normalised) name; a current disclosure recuses its author from
the body's open cases about that party at once, and from cases filed later, hiding them; an ended
disclosure, or one about another party, recuses from nothing new; closed cases are left alone. The
pages show each person their own disclosures only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases.models import Case, Recusal
from ombuds.cases.services import roles_on_case
from ombuds.members import services
from ombuds.members.models import Disclosure
from ombuds.register.models import Agency, Person
from tests.cases import conftest as case_fixtures
from tests.cases.conftest import file_case

pytestmark = pytest.mark.django_db

# The cases' CSEC-like body, its people per role and its member and non-member agencies.
csec = case_fixtures.csec

REASON = "Declared a conflict of interest: employment — Faithful Support Recovery"


def disclose(body, user=None, **fields):
    values = {
        "relationship": "employment",
        "party_name": "Faithful Support Recovery",
        "nature": "I worked there as a case manager until last year.",
    }
    values.update(fields)
    return services.disclosure_save(user=user or body.committee, organization=body.org, **values)


def recusal_events(case):
    return list(
        Event.objects.filter(subject_type="case", subject_id=str(case.pk), action="case.recusal")
    )


# --- saving -------------------------------------------------------------------------------------


def test_save_lists_every_problem_at_once(csec, django_user_model):
    outsider = django_user_model.objects.create_user("outsider", "o@example.org", "pw")
    with pytest.raises(services.DisclosureRefused) as refused:
        services.disclosure_save(
            user=outsider,
            organization=csec.org,
            relationship="enemies",
            party_name="  ",
            nature="",
            started_on=timezone.localdate() + dt.timedelta(days=3),
        )
    assert refused.value.problems == [
        "You have no role on CSEC.",
        "Choose the kind of relationship.",
        "Name the person or organisation you have a conflict of interest with.",
        "Say what the relationship is.",
        "The date it started cannot be in the future.",
    ]
    assert not Disclosure.objects.exists()
    assert not Event.objects.filter(action="disclosure.saved").exists()


def test_party_linked_to_the_register_by_its_exact_normalised_name(csec):
    person = Person.objects.create(organization=csec.org, given_name="Alex", family_name="Rivera")
    agency = disclose(csec, party_name="faithful support recovery")  # legal name ends "LLC"
    assert agency.party_agency == csec.member_agency and agency.party_person is None
    named = disclose(csec, relationship="family", party_name="ALEX  RIVERA.")
    assert named.party_person == person and named.party_agency is None
    csec.non_member_agency.trade_names = ["Rogue Recovery"]
    csec.non_member_agency.save()
    trade = disclose(csec, relationship="business", party_name="Rogue Recovery")
    assert trade.party_agency == csec.non_member_agency
    # Alike but not equal, or equal to two records: linked to none.
    assert disclose(csec, party_name="Faithful Support Recoveries").party_agency is None
    Agency.objects.create(organization=csec.org, legal_name="Alex Rivera Services")
    assert disclose(csec, relationship="other", party_name="Alex Rivera").party_person is None


def test_nobody_changes_or_ends_another_persons_disclosure(csec):
    mine = disclose(csec)
    with pytest.raises(services.DisclosureRefused, match="only change your own"):
        disclose(csec, user=csec.chair, disclosure=mine, party_name="Someone else")
    with pytest.raises(services.DisclosureRefused, match="only end your own"):
        services.disclosure_end(user=csec.chair, disclosure=mine)
    mine.refresh_from_db()
    assert mine.current and mine.party_name == "Faithful Support Recovery"


# --- recusals -----------------------------------------------------------------------------------


def test_current_disclosure_recuses_from_open_cases_now_and_from_cases_filed_later(csec):
    before = file_case(csec)  # about the member agency
    other = file_case(csec, respondent_agency=csec.non_member_agency)
    assert "committee_member" in roles_on_case(csec.committee, before)

    disclosure = disclose(csec)
    assert disclosure.recused_from == [before.reference]
    recusal = Recusal.objects.get(case=before, user=csec.committee)
    assert recusal.reason == REASON
    assert roles_on_case(csec.committee, before) == set()
    assert "committee_member" in roles_on_case(csec.committee, other)
    assert roles_on_case(csec.chair, before) == {"ethics_chair"}
    [event] = recusal_events(before)
    assert event.actor == csec.committee
    assert event.data["user"] == csec.committee.username and event.data["reason"] == REASON
    saved = Event.objects.get(action="disclosure.saved", subject_id=str(disclosure.pk))
    assert saved.data["recused_from"] == [before.reference]
    assert saved.data["party_record"] == f"agency:{csec.member_agency.pk}"

    # A case filed later about the same agency, and one naming it without the register's record.
    later = file_case(csec)
    by_name = file_case(
        csec, respondent_agency=None, respondent_name="Faithful Support Recovery, L.L.C."
    )
    for case in (later, by_name):
        assert Recusal.objects.get(case=case, user=csec.committee).reason == REASON
        assert roles_on_case(csec.committee, case) == set()
        filed = Event.objects.get(action="case.filed", subject_id=str(case.pk))
        assert filed.data["recused"] == [csec.committee.username]
    assert not Recusal.objects.filter(case=other).exists()
    # Saving it again (a correction) recuses from nothing twice.
    assert (
        disclose(csec, disclosure=disclosure, nature="Case manager, 2019–2023.").recused_from == []
    )
    assert Recusal.objects.filter(user=csec.committee).count() == 3
    assert verify().ok


def test_matching_disclosures_of_a_case(csec):
    case = file_case(csec)
    mine = disclose(csec)
    disclose(csec, user=csec.investigator, party_name="Rogue Collections")
    assert [(d.pk, why) for d, why in services.matching_disclosures(case)] == [
        (mine.pk, "names the respondent's record in the register")
    ]


def test_ended_disclosure_recuses_from_nothing_new(csec):
    disclosure = disclose(csec, started_on=dt.date(2020, 1, 1))
    with pytest.raises(services.DisclosureRefused, match="before the date it started"):
        services.disclosure_end(
            user=csec.committee, disclosure=disclosure, ended_on=dt.date(2019, 1, 1)
        )
    ended = services.disclosure_end(user=csec.committee, disclosure=disclosure)
    assert not ended.current and ended.ended_on == timezone.localdate()
    with pytest.raises(services.DisclosureRefused, match="has ended"):
        disclose(csec, disclosure=ended)
    case = file_case(csec)
    assert not Recusal.objects.filter(case=case).exists()
    assert "committee_member" in roles_on_case(csec.committee, case)
    assert services.matching_disclosures(case) == []
    assert Event.objects.filter(action="disclosure.ended", subject_id=str(ended.pk)).exists()
    assert verify().ok


def test_disclosure_about_another_agency_recuses_nothing(csec):
    case = file_case(csec)
    disclosure = disclose(csec, party_name="Rogue Collections Inc")
    assert disclosure.party_agency == csec.non_member_agency
    assert disclosure.recused_from == []
    later = file_case(csec)
    assert not Recusal.objects.filter(case__in=[case, later]).exists()
    assert recusal_events(case) == []


def test_closed_cases_are_left_alone(csec):
    closed = file_case(csec)
    Case.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    open_case = file_case(csec)
    disclosure = disclose(csec)
    assert disclosure.recused_from == [open_case.reference]
    assert not Recusal.objects.filter(case=closed).exists()
    assert recusal_events(closed) == []


# --- the pages ----------------------------------------------------------------------------------

LIST = "/staff/csec/disclosures/"


def edit_url(disclosure) -> str:
    return f"/staff/csec/disclosures/{disclosure.pk}/edit"


def test_pages_need_a_role_on_the_body(csec, client, django_user_model):
    mine = disclose(csec)
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get(edit_url(mine)).status_code == 302
    nobody = django_user_model.objects.create_user("nobody", "n@example.org", "pw")
    elsewhere = django_user_model.objects.create_user("elsewhere", "e@example.org", "pw")
    other_body = Organization.objects.create(slug="guild", name="Guild")
    BodyRole.objects.create(user=elsewhere, organization=other_body, role="administrator")
    for user in (nobody, elsewhere):
        client.force_login(user)
        assert client.get(LIST).status_code == 403
        assert client.post(LIST, {}).status_code == 403
        assert client.get(edit_url(mine)).status_code == 403
    for user in (csec.chair, csec.committee, csec.investigator, csec.staff, csec.admin):
        client.force_login(user)
        response = client.get(LIST)
        assert response.status_code == 200
        assert response["Cache-Control"].count("no-store") == 1


def test_each_person_sees_and_changes_only_their_own(csec, client):
    mine = disclose(csec)
    theirs = disclose(csec, user=csec.chair, party_name="Rogue Collections", nature="My cousin.")
    client.force_login(csec.committee)
    page = client.get(LIST).content.decode()
    assert "Faithful Support Recovery" in page and "Rogue Collections" not in page
    assert edit_url(mine) in page and edit_url(theirs) not in page
    assert client.get(edit_url(theirs)).status_code == 404
    changed = {"action": "save", "relationship": "other", "party_name": "X", "nature": "Y"}
    assert client.post(edit_url(theirs), changed).status_code == 404
    assert client.post(edit_url(theirs), {"action": "end"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.current and theirs.party_name == "Rogue Collections"
    # The chair's own page shows theirs and not the committee member's.
    client.force_login(csec.chair)
    page = client.get(LIST).content.decode()
    assert "Rogue Collections" in page and "Faithful Support Recovery" not in page


def test_adding_changing_and_ending_through_the_pages(csec, client):
    case = file_case(csec)
    client.force_login(csec.committee)
    future = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = client.post(LIST, {"party_name": "", "nature": "", "started_on": "soon"})
    assert response.status_code == 400
    page = response.content.decode()
    for problem in (
        "Choose the kind of relationship.",
        "Name the person or organisation you have a conflict of interest with.",
        "Say what the relationship is.",
        "Enter the date it started as a date",
    ):
        assert problem in page
    response = client.post(
        LIST,
        {"relationship": "family", "party_name": "Pat", "nature": "Sister", "started_on": future},
    )
    assert response.status_code == 400
    assert "The date it started cannot be in the future." in response.content.decode()
    assert not Disclosure.objects.exists()

    response = client.post(
        LIST,
        {
            "relationship": "financial",
            "party_name": "Faithful Support Recovery LLC",
            "nature": "I hold shares.",
        },
    )
    assert response.status_code == 302
    disclosure = Disclosure.objects.get(user=csec.committee)
    assert disclosure.party_agency == csec.member_agency
    assert roles_on_case(csec.committee, case) == set()
    assert f"You are now recused from {case.reference}" in client.get(LIST).content.decode()

    response = client.post(
        edit_url(disclosure),
        {
            "action": "save",
            "relationship": "financial",
            "party_name": "Faithful Support Recovery LLC",
            "nature": "",
        },
    )
    assert response.status_code == 400
    assert "Say what the relationship is." in response.content.decode()
    response = client.post(
        edit_url(disclosure),
        {
            "action": "save",
            "relationship": "financial",
            "party_name": "Faithful Support Recovery LLC",
            "nature": "I held shares until March.",
        },
    )
    assert response.status_code == 302
    disclosure.refresh_from_db()
    assert disclosure.nature == "I held shares until March."

    response = client.post(edit_url(disclosure), {"action": "end", "end-ended_on": future})
    assert response.status_code == 400
    assert "The date it ended cannot be in the future." in response.content.decode()
    response = client.post(edit_url(disclosure), {"action": "end", "end-ended_on": ""})
    assert response.status_code == 302
    disclosure.refresh_from_db()
    assert not disclosure.current and disclosure.ended_on == timezone.localdate()
    assert "Ended" in client.get(LIST).content.decode()
    assert client.get(edit_url(disclosure)).status_code == 200
    # Still recused from the case it already named.
    assert roles_on_case(csec.committee, case) == set()
    assert verify().ok
