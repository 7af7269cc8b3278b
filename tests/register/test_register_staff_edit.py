"""The register's edit pages for staff: memberships (added from a person or an agency, sanctioned),
affiliations (added from an agency, changed or ended from either side) and corrections of a
credential's conditions or dates. Who may open them, what each writes through its service, and how
each shows its errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
    Sanction,
    StatusEvent,
)

pytestmark = pytest.mark.django_db

STAFF = {"body_staff", "body_admin", "superuser"}
DAY = dt.timedelta(days=1)


@pytest.fixture
def person(body) -> Person:
    return Person.objects.create(
        organization=body,
        given_name="Lena",
        family_name="Abara",
        email="lena@example.org",
        external_id="HR-7",
        city="Boise",
    )


@pytest.fixture
def agency(body) -> Agency:
    return Agency.objects.create(organization=body, legal_name="Acme Recovery", city="Tampa")


@pytest.fixture
def types(body) -> dict[str, MembershipType]:
    return {
        kind: MembershipType.objects.create(
            organization=body, code=kind, name=f"{kind.title()} type", kind=kind
        )
        for kind in ("individual", "board", "organization")
    }


@pytest.fixture
def membership(body, person, types) -> Membership:
    m = Membership.objects.create(
        organization=body,
        membership_type=types["individual"],
        person=person,
        number="M-1",
        status="active",
        start_date=dt.date(2020, 1, 1),
    )
    StatusEvent.objects.create(
        membership=m,
        from_status="",
        to_status="active",
        effective_date=dt.date(2020, 1, 1),
        reason="Imported",
    )
    return m


@pytest.fixture
def affiliation(agency, person) -> Affiliation:
    return Affiliation.objects.create(
        agency=agency, person=person, role="employee", start_date=dt.date(2021, 3, 1)
    )


@pytest.fixture
def program(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )


@pytest.fixture
def credential(program, person) -> Credential:
    return Credential.objects.create(
        program=program,
        holder=person,
        number="CGP-100",
        status="active",
        issued_on=dt.date(2024, 1, 1),
        expires_on=timezone.localdate() + 365 * DAY,
    )


@pytest.fixture
def staff(client, personas):
    client.force_login(personas["body_staff"])
    return client


def _url(name: str, org: str = "guild", **kwargs) -> str:
    return reverse(f"register_staff:{name}", kwargs={"org": org, **kwargs})


def _new_pages(person, agency, membership, affiliation, credential) -> list[str]:
    return [
        _url("person_membership_new", pk=person.pk),
        _url("agency_membership_new", pk=agency.pk),
        _url("membership_sanction", pk=membership.pk),
        _url("affiliation_new", pk=agency.pk),
        _url("affiliation_edit", pk=affiliation.pk),
        _url("credential_correct", pk=credential.pk),
    ]


# --- who may open the pages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona",
    [
        "public",
        "signed_in_no_role",
        "committee_member",
        "other_body_admin",
        "body_staff",
        "body_admin",
        "superuser",
    ],
)
def test_only_the_bodys_staff_open_the_edit_pages(
    client, personas, persona, person, agency, membership, affiliation, credential
):
    user = personas[persona]
    if user is not None:
        client.force_login(user)
    for url in _new_pages(person, agency, membership, affiliation, credential):
        response = client.get(url)
        if user is None:
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/?next="), url
        else:
            assert response.status_code == (200 if persona in STAFF else 403), url


@pytest.mark.parametrize(
    "persona", ["public", "signed_in_no_role", "committee_member", "other_body_admin"]
)
def test_nobody_else_writes_through_them(
    client, personas, persona, person, agency, membership, affiliation, credential, types
):
    user = personas[persona]
    if user is not None:
        client.force_login(user)
    posts = {
        _url("person_membership_new", pk=person.pk): {
            "membership_type": types["board"].pk,
            "number": "B-1",
        },
        _url("agency_membership_new", pk=agency.pk): {
            "membership_type": types["organization"].pk,
            "number": "A-1",
        },
        _url("membership_sanction", pk=membership.pk): {
            "kind": "reprimand",
            "decided_on": "2024-06-01",
            "summary": "x",
            "publication": "private",
        },
        _url("affiliation_new", pk=agency.pk): {"person": "HR-7", "role": "agent"},
        _url("affiliation_edit", pk=affiliation.pk): {"role": "principal"},
        _url("credential_correct", pk=credential.pk): {
            "conditions": "Supervised",
            "reason": "x",
            "expected_status": "active",
        },
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code in (302, 403), url
    assert Membership.objects.count() == 1 and not Sanction.objects.exists()
    affiliation.refresh_from_db()
    credential.refresh_from_db()
    assert (Affiliation.objects.count(), affiliation.role, credential.conditions) == (
        1,
        "employee",
        "",
    )


def test_another_bodys_staff_cannot_reach_this_bodys_records_through_their_own_body(
    client, personas, person, agency, membership, affiliation, credential, types
):
    client.force_login(personas["other_body_admin"])
    pages = [
        _url(name, org="other", pk=pk)
        for name, pk in [
            ("person", person.pk),
            ("agency", agency.pk),
            ("membership", membership.pk),
            ("credential", credential.pk),
            ("person_membership_new", person.pk),
            ("agency_membership_new", agency.pk),
            ("membership_sanction", membership.pk),
            ("affiliation_new", agency.pk),
            ("affiliation_edit", affiliation.pk),
            ("credential_correct", credential.pk),
        ]
    ]
    for url in pages:
        assert client.get(url).status_code == 404, url
        assert (
            client.post(url, {"role": "agent", "person": "HR-7", "number": "X-1"}).status_code
            == 404
        ), url
    assert Membership.objects.count() == 1 and Affiliation.objects.count() == 1


# --- memberships ---------------------------------------------------------------------------------


def test_the_person_page_offers_a_membership_and_lists_theirs(staff, person, membership):
    html = staff.get(_url("person", pk=person.pk)).content.decode()
    assert f'href="{_url("membership", pk=membership.pk)}">M-1</a>' in html
    assert f'href="{_url("person_membership_new", pk=person.pk)}"' in html


def test_a_person_is_offered_individual_and_board_types_an_agency_organisation_ones(
    staff, person, agency, types
):
    html = staff.get(_url("person_membership_new", pk=person.pk)).content.decode()
    assert f'value="{types["individual"].pk}"' in html and f'value="{types["board"].pk}"' in html
    assert f'value="{types["organization"].pk}"' not in html
    html = staff.get(_url("agency_membership_new", pk=agency.pk)).content.decode()
    assert f'value="{types["organization"].pk}"' in html
    assert f'value="{types["individual"].pk}"' not in html
    assert f'href="{_url("agency", pk=agency.pk)}">Back to Acme Recovery' in html
    # A type of the wrong kind, posted anyway, is not a choice.
    response = staff.post(
        _url("agency_membership_new", pk=agency.pk),
        {"membership_type": types["individual"].pk, "number": "A-1"},
    )
    assert response.status_code == 400 and not Membership.objects.exists()


def test_staff_add_a_membership_for_a_person_as_an_applicant(staff, person, types, personas):
    response = staff.post(
        _url("person_membership_new", pk=person.pk),
        {"membership_type": types["individual"].pk, "number": " m-7 ", "external_id": "MEM-7"},
    )
    membership = Membership.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("membership", pk=membership.pk)
    assert (membership.person, membership.number, membership.external_id, membership.status) == (
        person,
        "m-7",
        "MEM-7",
        "applicant",
    )
    event = membership.events.get()
    assert (event.to_status, event.actor) == ("applicant", personas["body_staff"])
    html = staff.get(response["Location"]).content.decode()
    assert "Membership m-7 added as an applicant" in html
    assert f'<a href="{_url("person", pk=person.pk)}">Lena Abara</a>' in html


def test_staff_add_a_membership_for_an_agency(staff, agency, types):
    response = staff.post(
        _url("agency_membership_new", pk=agency.pk),
        {"membership_type": types["organization"].pk, "number": "A-1"},
    )
    assert response.status_code == 302
    assert Membership.objects.get().agency == agency
    html = staff.get(_url("agency", pk=agency.pk)).content.decode()
    assert ">A-1</a>" in html and "Applicant" in html


def test_the_membership_form_shows_every_error_at_once(staff, person, membership):
    response = staff.post(
        _url("person_membership_new", pk=person.pk),
        {"number": "m 1", "external_id": ""},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count('class="error-text"') == 2  # no type, a number with a space
    assert 'href="#id_membership_type_0">Membership type:' in html
    assert "must be 1 to 50 letters" in html
    Membership.objects.filter(pk=membership.pk).update(external_id="MEM-1")
    response = staff.post(
        _url("person_membership_new", pk=person.pk),
        {"number": "m-1", "external_id": "MEM-1"},
    )
    html = response.content.decode()
    assert html.count('class="error-text"') == 3  # no type, number used, identifier used
    assert "Membership number M-1 is already used." in html
    assert "&#x27;MEM-1&#x27; is already the identifier of another membership" in html
    assert Membership.objects.count() == 1


def test_a_refusal_of_the_service_is_shown_on_the_form_and_nothing_is_written(
    staff, person, membership, types
):
    response = staff.post(
        _url("person_membership_new", pk=person.pk),
        {"membership_type": types["individual"].pk, "number": "M-2"},
    )
    assert response.status_code == 400
    assert (
        "Lena Abara already has a live Individual type membership (M-1)"
        in response.content.decode()
    )
    assert Membership.objects.count() == 1 and StatusEvent.objects.count() == 1


def test_a_body_without_membership_types_says_so(staff, agency):
    response = staff.get(_url("agency_membership_new", pk=agency.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "GOE has no membership types for agencies" in html
        and '<form method="post" novalidate' not in html
    )


def test_the_membership_page_lists_its_sanctions_and_records_one(
    staff, membership, published, personas
):
    page = _url("membership", pk=membership.pk)
    html = staff.get(page).content.decode()
    assert f'href="{_url("membership_sanction", pk=membership.pk)}">Record a sanction' in html
    form = staff.get(_url("membership_sanction", pk=membership.pk)).content.decode()
    assert 'value="expulsion"' in form and 'value="revocation"' not in form
    provision = published.provisions.get(citation="2.1")
    response = staff.post(
        _url("membership_sanction", pk=membership.pk),
        {
            "kind": "expulsion",
            "decided_on": "2024-06-01",
            "summary": "Misled a client about fees.",
            "provisions": [provision.pk],
            "publication": "public",
        },
    )
    assert response.status_code == 302 and response["Location"] == page
    sanction = Sanction.objects.get()
    assert (sanction.membership, sanction.credential, sanction.recorded_by) == (
        membership,
        None,
        personas["body_staff"],
    )
    html = staff.get(page).content.decode()
    assert "Expulsion (public), citing 2.1. Misled a client about fees." in html
    assert "Apply a suspension or expulsion as a status change." in html


def test_a_membership_sanction_shows_every_error_at_once(staff, membership):
    response = staff.post(
        _url("membership_sanction", pk=membership.pk),
        {
            "kind": "revocation",
            "publication": "public_until",
            "effective_from": "2024-02-01",
            "effective_until": "2024-01-01",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    # a kind not for memberships, no decision date, no summary, no end of publication, dates reversed
    assert html.count('class="error-text"') == 5
    assert not Sanction.objects.exists()


def test_the_credential_sanction_page_offers_revocation_not_expulsion(staff, credential):
    html = staff.get(_url("credential_sanction", pk=credential.pk)).content.decode()
    assert 'value="revocation"' in html and 'value="expulsion"' not in html


# --- affiliations --------------------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["HR-7", "LENA@example.org", "ombuds:{pk}"])
def test_staff_add_a_person_to_an_agency_by_identifier_or_email(staff, agency, person, reference):
    response = staff.post(
        _url("affiliation_new", pk=agency.pk),
        {
            "person": reference.format(pk=person.pk),
            "role": "principal",
            "start_date": "2019-04-01",
        },
    )
    assert response.status_code == 302 and response["Location"] == _url("agency", pk=agency.pk)
    affiliation = Affiliation.objects.get()
    assert (affiliation.person, affiliation.role, affiliation.start_date) == (
        person,
        "principal",
        dt.date(2019, 4, 1),
    )
    html = staff.get(response["Location"]).content.decode()
    assert "Lena Abara added as principal of Acme Recovery." in html
    assert f'<a href="{_url("person", pk=person.pk)}">Lena Abara</a>' in html


def test_a_person_of_another_body_or_nobody_is_not_found(staff, agency, other_body):
    Person.objects.create(
        organization=other_body, given_name="O", family_name="Lee", external_id="OC-1"
    )
    for reference in ("OC-1", "HR-404", "ombuds:999999"):
        response = staff.post(
            _url("affiliation_new", pk=agency.pk), {"person": reference, "role": "agent"}
        )
        assert response.status_code == 400
        assert "No one in this register has the identifier or email address" in (
            response.content.decode()
        )
    assert not Affiliation.objects.exists()


def test_an_email_two_people_share_asks_for_an_identifier(staff, agency, person, body):
    twin = Person.objects.create(
        organization=body, given_name="Lena", family_name="Abara-Cruz", email="lena@example.org"
    )
    response = staff.post(
        _url("affiliation_new", pk=agency.pk), {"person": "lena@example.org", "role": "agent"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "names more than one person" in html
    assert "Lena Abara (HR-7)" in html and f"Lena Abara-Cruz (ombuds:{twin.pk})" in html


def test_the_affiliation_form_shows_every_error_at_once(staff, agency):
    response = staff.post(
        _url("affiliation_new", pk=agency.pk),
        {"start_date": "2024-02-01", "end_date": "2024-01-01"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count('class="error-text"') == 3  # person, role, dates in order
    assert 'href="#id_role_0">Role:' in html
    assert "The affiliation must end after it starts." in html


def test_an_overlapping_period_is_refused_on_the_form(staff, agency, person, affiliation):
    response = staff.post(
        _url("affiliation_new", pk=agency.pk),
        {"person": "HR-7", "role": "employee", "start_date": "2023-01-01"},
    )
    assert response.status_code == 400
    assert "Lena Abara is already employee of Acme Recovery (2021-03-01 to now)" in (
        response.content.decode()
    )
    assert Affiliation.objects.count() == 1


def test_finding_a_person_by_name_lists_them_with_a_link_that_fills_the_form(
    staff, agency, person, body, other_body
):
    unnamed = Person.objects.create(organization=body, given_name="Tom", family_name="Abaran")
    Person.objects.create(organization=other_body, given_name="Ola", family_name="Abarov")
    url = _url("affiliation_new", pk=agency.pk)
    html = staff.get(url, {"q": "abar"}).content.decode()
    assert "2 people match" in html
    assert "Lena Abara" in html and "Tom Abaran" in html and "Abarov" not in html
    assert 'href="?q=abar&amp;person=HR-7"' in html
    assert f'href="?q=abar&amp;person=ombuds%3A{unnamed.pk}"' in html
    html = staff.get(url, {"q": "abar", "person": f"ombuds:{unnamed.pk}"}).content.decode()
    assert f'value="ombuds:{unnamed.pk}"' in html
    html = staff.get(url, {"q": "lena  ABAR"}).content.decode()
    assert "1 person matches" in html and "Lena Abara" in html
    html = staff.get(url, {"q": "nobody"}).content.decode()
    assert "No one matches “nobody”" in html


def test_the_search_lists_a_bounded_number(staff, agency, body):
    Person.objects.bulk_create(
        Person(organization=body, given_name=f"P{n}", family_name="Common") for n in range(25)
    )
    html = staff.get(_url("affiliation_new", pk=agency.pk), {"q": "common"}).content.decode()
    assert "the first 20: narrow the search" in html
    assert html.count(">Choose<span") == 20


def test_staff_end_an_affiliation_from_the_agency_page(staff, agency, affiliation):
    page = staff.get(_url("agency", pk=agency.pk)).content.decode()
    edit = _url("affiliation_edit", pk=affiliation.pk)
    assert f'href="{edit}"' in page
    form = staff.get(edit).content.decode()
    assert 'value="2021-03-01"' in form and 'name="person"' not in form
    today = timezone.localdate()
    response = staff.post(
        edit, {"role": "employee", "start_date": "2021-03-01", "end_date": today.isoformat()}
    )
    assert response.status_code == 302 and response["Location"] == _url("agency", pk=agency.pk)
    affiliation.refresh_from_db()
    assert affiliation.end_date == today


def test_the_person_page_links_each_agency_and_changes_return_there(
    staff, agency, person, affiliation
):
    page = _url("person", pk=person.pk)
    html = staff.get(page).content.decode()
    edit = _url("affiliation_edit", pk=affiliation.pk) + "?from=person"
    assert f'<a href="{_url("agency", pk=agency.pk)}">Acme Recovery</a>' in html
    assert f'href="{edit}"' in html
    assert f'href="{page}">Back to Lena Abara' in staff.get(edit).content.decode()
    response = staff.post(edit, {"role": "agent", "start_date": "2021-03-01"})
    assert response.status_code == 302 and response["Location"] == page
    affiliation.refresh_from_db()
    assert affiliation.role == "agent"


def test_a_refused_change_of_an_affiliation_shows_why_and_keeps_it(
    staff, agency, person, affiliation, body
):
    later = Affiliation.objects.create(
        agency=agency, person=person, role="agent", start_date=dt.date(2024, 1, 1)
    )
    edit = _url("affiliation_edit", pk=later.pk)
    response = staff.post(edit, {"role": "employee", "start_date": "2024-01-01"})
    assert response.status_code == 400
    assert "already employee of Acme Recovery" in response.content.decode()
    response = staff.post(edit, {"start_date": "2024-01-01", "end_date": "2023-01-01"})
    assert response.status_code == 400
    assert response.content.decode().count('class="error-text"') == 2  # role, dates in order
    later.refresh_from_db()
    assert (later.role, later.end_date) == ("agent", None)


# --- credential corrections ----------------------------------------------------------------------


def test_staff_correct_conditions_and_the_history_shows_it(staff, credential, personas):
    page = _url("credential", pk=credential.pk)
    correct = _url("credential_correct", pk=credential.pk)
    assert f'href="{correct}">Correct conditions or dates' in staff.get(page).content.decode()
    form = staff.get(correct).content.decode()
    assert 'value="2024-01-01"' in form and 'name="expected_status" value="active"' in form
    response = staff.post(
        correct,
        {
            "conditions": "Supervised practice only",
            "issued_on": "2024-01-01",
            "expires_on": credential.expires_on.isoformat(),
            "reason": "Decision EC-9",
            "expected_status": "active",
        },
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == page
    credential.refresh_from_db()
    assert (credential.status, credential.conditions) == ("active", "Supervised practice only")
    assert "Corrected: conditions set to: Supervised practice only. Decision EC-9" in html
    assert "<td>active → active</td>" in html
    assert credential.events.get().actor == personas["body_staff"]


def test_staff_correct_the_dates(staff, credential):
    new_expiry = credential.expires_on + 30 * DAY
    response = staff.post(
        _url("credential_correct", pk=credential.pk),
        {
            "issued_on": "2023-12-01",
            "expires_on": new_expiry.isoformat(),
            "reason": "Certificate says so",
            "expected_status": "active",
        },
    )
    assert response.status_code == 302
    credential.refresh_from_db()
    assert (credential.issued_on, credential.expires_on) == (dt.date(2023, 12, 1), new_expiry)


def test_the_correction_form_shows_every_error_at_once(staff, credential):
    tomorrow = timezone.localdate() + DAY
    response = staff.post(
        _url("credential_correct", pk=credential.pk),
        {"issued_on": tomorrow.isoformat(), "expires_on": "", "expected_status": "active"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    # no reason, an expiry date removed, an issue date in the future
    assert html.count('class="error-text"') == 3
    assert "The expiry date on record cannot be removed here" in html
    assert "The issue date cannot be in the future." in html
    response = staff.post(
        _url("credential_correct", pk=credential.pk),
        {
            "issued_on": "2024-01-01",
            "expires_on": "2023-06-01",
            "reason": "x",
            "expected_status": "active",
        },
    )
    assert "The expiry date must come after the issue date." in response.content.decode()
    assert not credential.events.exists()


def test_a_stale_or_empty_correction_is_refused_on_the_form(staff, credential):
    correct = _url("credential_correct", pk=credential.pk)
    data = {
        "conditions": "Supervised",
        "issued_on": "2024-01-01",
        "expires_on": credential.expires_on.isoformat(),
        "reason": "x",
    }
    response = staff.post(correct, {**data, "expected_status": "suspended"})
    assert response.status_code == 400
    assert "someone changed it meanwhile" in response.content.decode()
    response = staff.post(correct, {**data, "conditions": "", "expected_status": "active"})
    assert response.status_code == 400
    assert "nothing to change" in response.content.decode()
    credential.refresh_from_db()
    assert credential.conditions == "" and not credential.events.exists()


# --- the register's home page --------------------------------------------------------------------


def test_the_home_page_finds_a_membership_by_number_and_offers_new_records(
    staff, membership, agency, types, body
):
    Membership.objects.create(
        organization=body, membership_type=types["organization"], agency=agency, number="a-9"
    )
    html = staff.get(_url("home")).content.decode()
    assert f'href="{_url("person_new")}">Add a person' in html
    assert f'href="{_url("agency_new")}">Add an agency' in html
    html = staff.get(_url("home"), {"q": " m-1 "}).content.decode()
    assert f'<a href="{_url("membership", pk=membership.pk)}">M-1</a> — Lena Abara' in html
    html = staff.get(_url("home"), {"q": "A 9"}).content.decode()
    assert ">a-9</a> — Acme Recovery, Organization type (Applicant)" in html
    assert "1 memberships" in html


# --- a bounded number of queries ------------------------------------------------------------------


def _grow(body, agency, person, types, n: int) -> None:
    """n people affiliated with the agency, n agencies the person is affiliated with, n memberships
    of the person and of the agency (of other types: one live membership per type)."""
    for i in range(n):
        other = Person.objects.create(organization=body, given_name=f"P{i}", family_name="Staff")
        Affiliation.objects.create(agency=agency, person=other, role="agent")
        place = Agency.objects.create(organization=body, legal_name=f"Place {i}")
        Affiliation.objects.create(agency=place, person=person, role="employee")
        for holder, kind in (
            ({"person": person}, "individual"),
            ({"agency": agency}, "organization"),
        ):
            mtype = MembershipType.objects.create(
                organization=body, code=f"{kind}-{i}", name=f"{kind} {i}", kind=kind
            )
            Membership.objects.create(
                organization=body, membership_type=mtype, number=f"{kind[0]}-{i}", **holder
            )


@pytest.mark.parametrize("n", [1, 40])
def test_the_agency_page_runs_a_bounded_number_of_queries(
    staff, body, agency, person, types, n, django_assert_max_num_queries
):
    _grow(body, agency, person, types, n)
    with django_assert_max_num_queries(9):
        response = staff.get(_url("agency", pk=agency.pk))
    html = response.content.decode()
    assert html.count("Change or end") == n and html.count(">o-") == n


@pytest.mark.parametrize("n", [1, 40])
def test_the_person_page_runs_a_bounded_number_of_queries(
    staff, body, agency, person, types, n, django_assert_max_num_queries
):
    _grow(body, agency, person, types, n)
    for i in range(n):
        program = CredentialProgram.objects.create(
            organization=body, code=f"p{i}", name=f"Program {i}", abbreviation=f"P{i}"
        )
        Credential.objects.create(program=program, holder=person, number=f"P-{i}")
    with django_assert_max_num_queries(10):
        response = staff.get(_url("person", pk=person.pk))
    html = response.content.decode()
    assert html.count("Change or end") == n and html.count(">i-") == n
    assert html.count(">P-") == n
