"""The register's staff pages: who may open them, and what each does through the services."""

import datetime as dt

import pytest
from django.urls import reverse

from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Person,
    Sanction,
    StatusEvent,
)

pytestmark = pytest.mark.django_db

STAFF = {"body_staff", "body_admin", "superuser"}


@pytest.fixture
def program(body):
    return CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )


@pytest.fixture
def holder(body):
    return Person.objects.create(
        organization=body, given_name="Ines", family_name="Varga", city="Boise"
    )


@pytest.fixture
def credential(program, holder):
    c = Credential.objects.create(
        program=program,
        holder=holder,
        number="CGP-100",
        status="active",
        issued_on=dt.date(2024, 1, 1),
        expires_on=dt.date(2027, 1, 1),
    )
    StatusEvent.objects.create(
        credential=c,
        from_status="",
        to_status="active",
        effective_date=dt.date(2024, 1, 1),
        reason="Imported",
    )
    return c


@pytest.fixture
def membership(body, agency):
    from ombuds.register.models import Membership, MembershipType

    kind = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    return Membership.objects.create(
        organization=body, membership_type=kind, agency=agency, number="G-1", status="active"
    )


@pytest.fixture
def agency(body):
    return Agency.objects.create(
        organization=body,
        legal_name="Harbor Beacon Child Support Services, LLC",
        trade_names=["Harbor Beacon Recovery"],
    )


def _pages(credential, holder, agency, membership):
    org = {"org": "guild"}
    return [
        reverse("register_staff:home", kwargs=org),
        reverse("register_staff:person_new", kwargs=org),
        reverse("register_staff:person", kwargs={**org, "pk": holder.pk}),
        reverse("register_staff:person_edit", kwargs={**org, "pk": holder.pk}),
        reverse("register_staff:agency_new", kwargs=org),
        reverse("register_staff:agency", kwargs={**org, "pk": agency.pk}),
        reverse("register_staff:agency_edit", kwargs={**org, "pk": agency.pk}),
        reverse("register_staff:credential", kwargs={**org, "pk": credential.pk}),
        reverse("register_staff:credential_sanction", kwargs={**org, "pk": credential.pk}),
        reverse("register_staff:import", kwargs=org),
        reverse("register_staff:export", kwargs={**org, "kind": "people"}),
        reverse("register_staff:profile", kwargs=org),
        reverse("register_staff:membership", kwargs={**org, "pk": membership.pk}),
    ]


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
def test_only_the_bodys_staff_open_its_register_pages(
    client, personas, credential, holder, agency, membership, persona
):
    user = personas[persona]
    if user is not None:
        client.force_login(user)
    for url in _pages(credential, holder, agency, membership):
        response = client.get(url)
        if user is None:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        else:
            assert response.status_code == (200 if persona in STAFF else 403), url
        # Nobody without the role can change a status either.
    if persona not in STAFF:
        client.post(
            reverse("register_staff:credential", kwargs={"org": "guild", "pk": credential.pk}),
            {
                "to_status": "inactive",
                "effective_date": "2025-01-01",
                "reason": "x",
                "expected_status": "active",
            },
        )
        credential.refresh_from_db()
        assert credential.status == "active"


@pytest.fixture
def staff(client, personas):
    client.force_login(personas["body_staff"])
    return client


def _url(name, **kwargs):
    return reverse(f"register_staff:{name}", kwargs={"org": "guild", **kwargs})


def test_the_credential_page_offers_only_the_moves_the_lifecycle_allows(staff, credential):
    html = staff.get(_url("credential", pk=credential.pk)).content.decode()
    assert (
        'value="inactive"' in html and 'value="suspended"' in html and 'value="surrendered"' in html
    )
    assert 'value="expired"' not in html  # automatic only
    assert 'value="candidate"' not in html


def test_a_suspension_without_its_end_and_decision_is_refused_with_the_reason(staff, credential):
    response = staff.post(
        _url("credential", pk=credential.pk),
        {
            "to_status": "suspended",
            "effective_date": "2025-03-01",
            "reason": "Sanction",
            "expected_status": "active",
        },
    )
    assert response.status_code == 400
    assert "requires decision_ref, until" in response.content.decode()
    credential.refresh_from_db()
    assert credential.status == "active"


def test_staff_suspend_a_credential_and_the_history_shows_who_and_why(staff, credential, personas):
    response = staff.post(
        _url("credential", pk=credential.pk),
        {
            "to_status": "suspended",
            "effective_date": "2025-03-01",
            "reason": "Failed to cooperate (CESP 2.4)",
            "decision_ref": "EC-2025-7",
            "until": "2025-09-01",
            "expected_status": "active",
        },
        follow=True,
    )
    credential.refresh_from_db()
    assert (credential.status, credential.suspended_until) == ("suspended", dt.date(2025, 9, 1))
    event = credential.events.last()
    assert (event.from_status, event.to_status, event.decision_ref, event.actor) == (
        "active",
        "suspended",
        "EC-2025-7",
        personas["body_staff"],
    )
    assert "Failed to cooperate (CESP 2.4)" in response.content.decode()


def test_a_stale_form_does_not_overwrite_a_newer_change(staff, credential):
    response = staff.post(
        _url("credential", pk=credential.pk),
        {
            "to_status": "inactive",
            "effective_date": "2025-03-01",
            "reason": "Leave",
            "expected_status": "suspended",
        },
    )
    assert response.status_code == 400
    assert "someone changed it meanwhile" in response.content.decode()


def test_staff_add_a_person_and_issue_a_credential(staff, program):
    response = staff.post(
        _url("person_new"), {"given_name": "Joon", "family_name": "Tanaka", "city": "Tampa"}
    )
    person = Person.objects.get(family_name="Tanaka")
    assert response.status_code == 302
    response = staff.post(
        _url("person", pk=person.pk), {"program": program.pk, "number": "cgp 200"}
    )
    credential = Credential.objects.get(holder=person)
    assert (credential.number, credential.status) == ("CGP200", "candidate")
    assert credential.events.get().reason == "Application accepted"


def test_a_person_form_shows_every_error_at_once(staff):
    response = staff.post(_url("person_new"), {"email": "not-an-email"})
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count('class="error-text"') == 3  # given name, family name, email


def test_a_confusingly_similar_agency_name_is_flagged_before_saving(staff, agency):
    data = {"legal_name": "Harbour Beacon Child Support Services Inc", "trade_names_text": ""}
    response = staff.post(_url("agency_new"), data)
    html = response.content.decode()
    assert (
        "A client could confuse this name" in html
        and "Harbor Beacon Child Support Services, LLC" in html
    )
    assert Agency.objects.count() == 1
    key = html.split('name="confirm_similar" value="')[1].split('"')[0]
    # Confirming one name does not confirm another confusable one typed afterwards.
    other = {"legal_name": "Harbor Beacon Recovery Services", "trade_names_text": ""}
    assert (
        "A client could confuse"
        in staff.post(_url("agency_new"), {**other, "confirm_similar": key}).content.decode()
    )
    response = staff.post(_url("agency_new"), {**data, "confirm_similar": key})
    assert response.status_code == 302 and Agency.objects.count() == 2


def test_a_distinct_agency_name_saves_at_once(staff, agency):
    response = staff.post(
        _url("agency_new"),
        {"legal_name": "Summit Family Recovery", "trade_names_text": "Summit\nSFR"},
    )
    assert response.status_code == 302
    assert Agency.objects.get(legal_name="Summit Family Recovery").trade_names == ["Summit", "SFR"]


def test_staff_record_a_historical_sanction_citing_the_code(staff, credential, published):
    provision = published.provisions.get(citation="2.1")
    response = staff.post(
        _url("credential_sanction", pk=credential.pk),
        {
            "kind": "suspension",
            "decided_on": "2024-06-01",
            "summary": "Misled a client about fees.",
            "provisions": [provision.pk],
            "publication": "public_until",
            "public_until": "2029-06-01",
        },
    )
    assert response.status_code == 302
    sanction = Sanction.objects.get()
    assert list(sanction.provisions.values_list("citation", flat=True)) == ["2.1"]
    assert (sanction.source, sanction.public_until) == ("historical", dt.date(2029, 6, 1))


def test_public_until_needs_its_date(staff, credential, published):
    response = staff.post(
        _url("credential_sanction", pk=credential.pk),
        {
            "kind": "reprimand",
            "decided_on": "2024-06-01",
            "summary": "x",
            "publication": "public_until",
        },
    )
    assert response.status_code == 400
    assert "Give the date until which the sanction is public." in response.content.decode()
    assert not Sanction.objects.exists()


def test_the_credential_page_runs_a_bounded_number_of_queries(
    staff, credential, django_assert_max_num_queries
):
    for n in range(30):
        StatusEvent.objects.create(
            credential=credential,
            from_status="active",
            to_status="active",
            effective_date=dt.date(2024, 1, 2),
            reason=f"note {n}",
        )
    with django_assert_max_num_queries(12):
        staff.get(_url("credential", pk=credential.pk))


def test_staff_export_a_kind_as_csv(staff, holder):
    response = staff.get(_url("export", kind="people"))
    assert response["Content-Type"].startswith("text/csv")
    assert "Varga" in response.content.decode()
    assert staff.get(_url("export", kind="secrets")).status_code == 404


def test_an_external_id_already_used_is_an_error_on_the_form_not_a_crash(staff, body, holder):
    Person.objects.create(
        organization=body, given_name="Olek", family_name="Petrov", external_id="HR-1"
    )
    response = staff.post(
        _url("person_edit", pk=holder.pk),
        {"given_name": "Ines", "family_name": "Varga", "external_id": "HR-1"},
    )
    assert response.status_code == 400
    assert "already the identifier of another record" in response.content.decode()


def test_error_summary_links_reach_radio_buttons(staff, credential):
    response = staff.post(
        _url("credential", pk=credential.pk),
        {"effective_date": "2025-01-01", "reason": "x", "expected_status": "active"},
    )
    assert 'href="#id_to_status_0">New status:' in response.content.decode()
