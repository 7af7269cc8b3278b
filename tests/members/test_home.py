"""The member's home (`/me/`): their own credentials and memberships in every body that has them,
their agency's memberships when they administer it, what is due (recertification, attestations,
their cases' deadlines), the complaints they answer once notified, and what the bodies sent them
about those; nothing of anyone else's, and a bounded number of queries however much there is."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.html import escape

from ombuds.cases import services as cases
from ombuds.cases.models import Message
from ombuds.members import attestations
from ombuds.members.home import member_home
from ombuds.members.services import disclosure_save
from ombuds.register.models import (
    Activity,
    Affiliation,
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
    RecertificationCycle,
)
from tests.cases import conftest as case_fixtures
from tests.cases.conftest import file_case, take

pytestmark = pytest.mark.django_db

csec = case_fixtures.csec
espcc = case_fixtures.espcc

HOME = "/me/"


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def member(espcc, csec, django_user_model):
    """Jordan: the ESPCC credential holder, with an individual membership and an open
    recertification cycle; in CSEC's register too, as the member agency's administrator."""
    user = django_user_model.objects.create_user(
        "jordan", "jordan@cesp.example", "pw", first_name="Jordan", last_name="Holder"
    )
    espcc.holder.user = user
    espcc.holder.save(update_fields=["user"])
    individual = MembershipType.objects.create(
        organization=espcc.org, code="individual", name="Individual member", kind="individual"
    )
    Membership.objects.create(
        organization=espcc.org,
        membership_type=individual,
        person=espcc.holder,
        number="ESP-0042",
        status="active",
        start_date=dt.date(2021, 3, 1),
        renewal_date=today() + dt.timedelta(days=200),
    )
    espcc.credential.conditions = "Supervised practice until further notice."
    espcc.credential.save(update_fields=["conditions"])
    cycle = RecertificationCycle.objects.create(
        credential=espcc.credential,
        starts_on=dt.date(2022, 7, 1),
        due_on=today() + dt.timedelta(days=90),
        required_units=Decimal("20"),
    )
    Activity.objects.create(
        cycle=cycle,
        category="ethics",
        title="Ethics refresher",
        completed_on=dt.date(2023, 1, 1),
        units=Decimal("6"),
        review="approved",
    )
    Activity.objects.create(
        cycle=cycle,
        category="ethics",
        title="Boundaries",
        completed_on=dt.date(2023, 2, 1),
        units=Decimal("3"),
    )
    in_csec = Person.objects.create(
        organization=csec.org, given_name="Jordan", family_name="Holder", user=user
    )
    Affiliation.objects.create(
        agency=csec.member_agency, person=in_csec, role="employee", agency_admin=True
    )
    return user


@pytest.fixture
def other_member(espcc, django_user_model):
    """Riley: another ESPCC credential holder, with their own account."""
    user = django_user_model.objects.create_user("riley", "riley@example.org", "pw")
    person = Person.objects.create(
        organization=espcc.org, given_name="Riley", family_name="Other", user=user
    )
    Credential.objects.create(
        program=espcc.credential.program,
        holder=person,
        number="CESP-9999",
        status="suspended",
        suspended_until=today() + dt.timedelta(days=30),
    )
    return user


def notify_holder(espcc, **fields):
    case = file_case(espcc, **fields)
    take(case, "acknowledge", espcc.staff)
    return take(case, "request_cooperation", espcc.staff)


def notify_agency(csec, **fields):
    case = file_case(csec, **fields)
    take(case, "acknowledge", csec.staff)
    take(case, "waive_efforts", csec.chair, waiver_reason="The agency would not talk.")
    return take(case, "notify_member", csec.chair)


# --- who sees it ----------------------------------------------------------------------------------


def test_signing_in_is_needed(client):
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_account_without_a_register_record_is_told_so(client, csec):
    client.force_login(csec.staff)
    response = client.get(HOME)
    assert response.status_code == 200
    assert "not linked to a record in any body" in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_member_sees_their_own_records_in_every_body(client, member, other_member, espcc):
    client.force_login(member)
    html = client.get(HOME).content.decode()
    # ESPCC: the credential with its conditions, the membership, the recertification.
    assert espcc.org.name in html
    assert "Certified Employment Support Professional" in html and "CESP-1234" in html
    assert "Supervised practice until further notice." in html
    assert "ESP-0042" in html and "Individual member" in html
    assert "recertification of Certified Employment Support Professional CESP-1234" in html
    assert "6.0 of 20.0 units earned, 3.0 awaiting review" in html and "14.0 to go" in html
    # CSEC: the agency they administer, its membership, and the agency's pages.
    agency = Affiliation.objects.get(person__user=member)
    assert "Faithful Support Recovery LLC" in html and "CSEC-017" in html
    assert f'href="/me/agency/{agency.agency_id}/people/"' in html
    assert f'href="/me/agency/{agency.agency_id}/complaints/"' in html
    assert 'href="/me/csec/disclosures/"' in html and 'href="/me/espcc/disclosures/"' in html
    assert 'href="/accounts/security/"' in html and 'href="/me/tokens/"' in html
    # Nothing of the other holder's.
    assert "CESP-9999" not in html and "Riley" not in html


def test_the_other_member_sees_only_theirs(client, member, other_member):
    client.force_login(other_member)
    html = client.get(HOME).content.decode()
    assert "CESP-9999" in html and "Suspended" in html
    assert "CESP-1234" not in html and "ESP-0042" not in html and "CSEC-017" not in html
    assert "/me/agency/" not in html


@pytest.mark.parametrize("role", ["employee", "agent"])
def test_a_plain_employee_sees_neither_the_agencys_memberships_nor_its_pages(
    client, csec, django_user_model, role
):
    user = django_user_model.objects.create_user("pat", "pat@faithful.example", "pw")
    person = Person.objects.create(
        organization=csec.org, given_name="Pat", family_name="Staffer", user=user
    )
    Affiliation.objects.create(agency=csec.member_agency, person=person, role=role)
    client.force_login(user)
    html = client.get(HOME).content.decode()
    assert "Child Support Enforcement Council" in html
    assert "CSEC-017" not in html and "/me/agency/" not in html


def test_a_principal_answers_for_the_agency_without_administering_it(
    client, csec, django_user_model
):
    user = django_user_model.objects.create_user("pia", "pia@faithful.example", "pw")
    person = Person.objects.create(
        organization=csec.org, given_name="Pia", family_name="Principal", user=user
    )
    Affiliation.objects.create(agency=csec.member_agency, person=person, role="principal")
    case = notify_agency(csec)
    client.force_login(user)
    html = client.get(HOME).content.decode()
    assert "You represent this agency as a principal" in html
    assert "CSEC-017" not in html and "/me/agency/" not in html
    assert f'href="/me/cases/{case.reference}/"' in html


def test_an_ended_administrator_sees_the_agency_no_more(client, csec, django_user_model):
    user = django_user_model.objects.create_user("old", "old@faithful.example", "pw")
    person = Person.objects.create(
        organization=csec.org, given_name="Old", family_name="Admin", user=user
    )
    Affiliation.objects.create(
        agency=csec.member_agency,
        person=person,
        role="employee",
        agency_admin=True,
        start_date=dt.date(2019, 1, 1),
        end_date=today() - dt.timedelta(days=1),
    )
    notify_agency(csec)
    client.force_login(user)
    html = client.get(HOME).content.decode()
    assert "CSEC-017" not in html and "/me/agency/" not in html and "/me/cases/" not in html


# --- cases, deadlines and messages ------------------------------------------------------------------


def test_cases_deadlines_and_messages_are_the_members_own_once_notified(
    client, member, other_member, espcc, csec
):
    mine = notify_holder(espcc)
    cases.message_post(
        case=mine,
        audience=Message.Audience.RESPONDENT,
        body="Please send your case notes by Friday.",
        acting_user=espcc.staff,
    )
    cases.message_post(
        case=mine,
        audience=Message.Audience.INTERNAL,
        body="Internal: check the notes.",
        acting_user=espcc.staff,
    )
    agencys = notify_agency(csec)
    # Filed and acknowledged but not yet notified: not theirs to know of.
    unnotified = file_case(espcc, what_happened="Another matter.")
    take(unnotified, "acknowledge", espcc.staff)
    # About somebody else, with a message to that respondent.
    riley = Person.objects.get(user=other_member)
    theirs = notify_holder(espcc, respondent_person=riley, respondent_name="Riley Other")
    cases.message_post(
        case=theirs,
        audience=Message.Audience.RESPONDENT,
        body="Riley, please call us.",
        acting_user=espcc.staff,
    )

    client.force_login(member)
    html = client.get(HOME).content.decode()
    for case in (mine, agencys):
        assert f'href="/me/cases/{case.reference}/"' in html
    assert unnotified.reference not in html and theirs.reference not in html
    cooperation = mine.deadlines.get(name="cooperation")
    assert escape(cooperation.label) in html
    assert f"{cooperation.due_on.day} {cooperation.due_on:%B %Y}" in html
    answer = agencys.deadlines.get(name="answer")
    assert escape(answer.label) in html
    assert "Please send your case notes by Friday." in html
    assert "Internal: check the notes." not in html and "Riley, please call us." not in html
    notice = mine.notices.get(template="cooperation_request", recipient_role="respondent")
    assert escape(notice.subject) in html

    client.force_login(other_member)
    html = client.get(HOME).content.decode()
    assert theirs.reference in html and "Riley, please call us." in html
    assert mine.reference not in html and agencys.reference not in html
    assert "Please send your case notes by Friday." not in html


def test_attestations_due_are_listed(client, member, espcc):
    campaign = attestations.campaign_start(
        organization=espcc.org,
        code_version=espcc.version,
        audience="credential_holders",
        due_on=today() + dt.timedelta(days=30),
        statement="I have read, understand and agree to the code.",
        title="Annual attestation",
    )
    client.force_login(member)
    html = client.get(HOME).content.decode()
    assert "Annual attestation" in html
    assert f'href="/me/attest/{campaign.pk}/"' in html
    dues = member_home(member).attestations
    assert [d.campaign for d in dues] == [campaign]


def test_current_disclosures_are_counted_per_body(client, member, csec, espcc):
    disclosure_save(
        user=member,
        organization=espcc.org,
        relationship="family",
        party_name="Sam Sibling",
        nature="My brother.",
    )
    home = member_home(member)
    counts = {b.organization.slug: b.current_disclosures for b in home.bodies}
    assert counts == {"csec": 0, "espcc": 1}
    client.force_login(member)
    assert "You have 1 current disclosure." in client.get(HOME).content.decode()


# --- queries ------------------------------------------------------------------------------------


def _grow(espcc, csec, member, n: int) -> None:
    """n more of everything the home lists: credentials (each in its own program) with open
    cycles, memberships, administered agencies with memberships, notified cases with messages."""
    person = espcc.holder
    in_csec = Person.objects.get(organization=csec.org, user=member)
    individual = MembershipType.objects.get(organization=espcc.org, code="individual")
    agency_type = MembershipType.objects.get(organization=csec.org, code="agency")
    for i in range(n):
        program = CredentialProgram.objects.create(
            organization=espcc.org, code=f"p{i}", name=f"Program {i}", abbreviation=f"P{i}"
        )
        credential = Credential.objects.create(
            program=program, holder=person, number=f"P{i}-1", status="active"
        )
        cycle = RecertificationCycle.objects.create(
            credential=credential,
            starts_on=dt.date(2022, 1, 1),
            due_on=today() + dt.timedelta(days=100 + i),
            required_units=Decimal("10"),
        )
        Activity.objects.create(
            cycle=cycle, category="x", title="A", completed_on=dt.date(2023, 1, 1), units=1
        )
        Membership.objects.create(
            organization=espcc.org,
            membership_type=individual,
            person=person,
            number=f"ESP-X{i}",
            status="lapsed",
        )
        agency = Agency.objects.create(organization=csec.org, legal_name=f"Agency {i}")
        Affiliation.objects.create(
            agency=agency, person=in_csec, role="principal", agency_admin=True
        )
        Membership.objects.create(
            organization=csec.org,
            membership_type=agency_type,
            agency=agency,
            number=f"CSEC-X{i}",
            status="active",
        )
        case = notify_holder(espcc, what_happened=f"Matter {i}.")
        cases.message_post(
            case=case,
            audience=Message.Audience.RESPONDENT,
            body=f"Message {i}.",
            acting_user=espcc.staff,
        )


# Session, user, the page's own 13 reads and the staff menu; attestation duties would add two.
HOME_QUERIES = 18


@pytest.mark.parametrize("n", [1, 8])
def test_the_home_runs_a_bounded_number_of_queries(
    client, member, espcc, csec, n, django_assert_max_num_queries
):
    _grow(espcc, csec, member, n)
    client.force_login(member)
    with django_assert_max_num_queries(HOME_QUERIES):
        response = client.get(HOME)
    assert response.status_code == 200
    assert f"P{n - 1}-1" in response.content.decode()
