"""One write path for people, agencies and affiliations (`ombuds.register.records`): the staff page
and the API each write an audit event with the actor and the old and new values of what changed, a
stale edit is refused by both (nothing written), and both refuse bad values with the same words."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.register import records
from ombuds.register.models import Affiliation, Agency, Person
from ombuds.register.tokens import token_create

pytestmark = pytest.mark.django_db

API = "/api/v1/bodies/guild/register"


def _url(name: str, **kwargs) -> str:
    return reverse(f"register_staff:{name}", kwargs={"org": "guild", **kwargs})


@pytest.fixture
def staff(client, personas):
    client.force_login(personas["body_staff"])
    return client


@pytest.fixture
def api(client, personas, body):
    token = token_create(user=personas["body_admin"], organization=body, name="HR sync")[1]

    def call(method: str, path: str, data: dict):
        return getattr(client, method)(
            f"{API}{path}",
            data,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    return call


@pytest.fixture
def lena(body) -> Person:
    return Person.objects.create(
        organization=body,
        external_id="HR-7",
        given_name="Lena",
        family_name="Abara",
        email="lena@old.example",
    )


@pytest.fixture
def acme(body) -> Agency:
    return Agency.objects.create(organization=body, external_id="AG-1", legal_name="Acme LLC")


PERSON_FORM = {"given_name": "Lena", "family_name": "Abara", "external_id": "HR-7"}
PERSON_JSON = {"external_id": "HR-7", "given_name": "Lena", "family_name": "Abara"}


def _events(action: str, pk: int) -> list[Event]:
    return list(Event.objects.filter(action=action, subject_id=str(pk)).order_by("seq"))


# --- people ---------------------------------------------------------------------------------------


def test_an_email_changed_on_the_staff_page_is_on_the_chain_with_the_actor(staff, personas, lena):
    version = records.version_of(lena)
    response = staff.post(
        _url("person_edit", pk=lena.pk),
        {**PERSON_FORM, "email": "lena@new.example", "expected_version": version},
    )
    assert response.status_code == 302
    [event] = _events("register.person_changed", lena.pk)
    assert event.actor == personas["body_staff"] and event.organization_id == lena.organization_id
    assert event.data["changes"] == {
        "email": {"old": "lena@old.example", "new": "lena@new.example"}
    }
    assert verify().ok


def test_an_email_changed_through_the_api_is_on_the_chain_with_the_tokens_owner(
    api, personas, lena
):
    response = api("put", "/people/HR-7", {**PERSON_JSON, "email": "lena@new.example"})
    assert response.status_code == 200, response.json()
    [event] = _events("register.person_changed", lena.pk)
    assert event.actor == personas["body_admin"]
    assert event.data["changes"] == {
        "email": {"old": "lena@old.example", "new": "lena@new.example"}
    }
    lena.refresh_from_db()
    assert response.json()["version"] == records.version_of(lena)


def test_a_new_person_is_recorded_with_what_was_given(staff, personas, body):
    staff.post(_url("person_new"), {"given_name": "Joon", "family_name": "Tanaka", "city": "Tampa"})
    person = Person.objects.get(family_name="Tanaka")
    [event] = _events("register.person_created", person.pk)
    assert event.data["changes"] == {
        "given_name": {"old": "", "new": "Joon"},
        "family_name": {"old": "", "new": "Tanaka"},
        "city": {"old": "", "new": "Tampa"},
    }
    assert (event.actor, person.created_by) == (personas["body_staff"], personas["body_staff"])


def test_saving_what_is_already_there_writes_nothing(api, staff, lena):
    before = lena.updated_at
    assert api("put", "/people/HR-7", {**PERSON_JSON, "email": lena.email}).status_code == 200
    assert staff.post(
        _url("person_edit", pk=lena.pk), {**PERSON_FORM, "email": lena.email}
    ).status_code == (302)
    lena.refresh_from_db()
    assert lena.updated_at == before
    assert not Event.objects.filter(subject_type="person").exists()


def test_a_stale_edit_on_the_staff_page_is_refused_and_nothing_is_written(staff, personas, lena):
    opened = staff.get(_url("person_edit", pk=lena.pk)).content.decode()
    version = records.version_of(lena)
    assert f'name="expected_version" value="{version}"' in opened
    # Someone else changes the record while the page is open.
    records.person_save(
        organization=lena.organization,
        person=lena,
        values={"city": "Albany"},
        acting_user=personas["body_admin"],
    )
    response = staff.post(
        _url("person_edit", pk=lena.pk),
        {**PERSON_FORM, "email": "lena@new.example", "expected_version": version},
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert 'class="error-summary"' in page
    assert "Lena Abara's record was changed by someone else since you read it" in page
    lena.refresh_from_db()
    assert (lena.email, lena.city) == ("lena@old.example", "Albany")
    assert len(_events("register.person_changed", lena.pk)) == 1  # the other edit only


def test_a_stale_edit_through_the_api_is_a_409_and_nothing_is_written(api, lena):
    mine = {**PERSON_JSON, "email": lena.email}
    read = api("put", "/people/HR-7", mine).json()["version"]
    # Another system changes the person meanwhile (a PUT replaces the whole record).
    assert api("put", "/people/HR-7", {**mine, "city": "Troy"}).status_code == 200
    response = api(
        "put",
        "/people/HR-7",
        {**PERSON_JSON, "email": "lena@new.example", "expected_version": read},
    )
    assert response.status_code == 409
    assert "changed by someone else since you read it" in response.json()["detail"]
    lena.refresh_from_db()
    assert (lena.email, lena.city) == ("lena@old.example", "Troy")


@pytest.mark.parametrize(
    "bad",
    [
        {"given_name": "", "email": "nope"},
        # (A phone past its column's length is refused earlier by the API's schema, with 422:
        # tests/test_input_limits.py.)
        {"country": "u1", "city": ""},
        {"external_id": "HR-1"},
    ],
)
def test_the_page_and_the_api_refuse_bad_values_with_the_same_words(staff, api, body, lena, bad):
    Person.objects.create(organization=body, given_name="Olek", family_name="P", external_id="HR-1")
    with pytest.raises(records.ChangeRefused) as refused:
        records.person_clean(organization=body, person=lena, values={**PERSON_FORM, **bad})
    response = api("put", "/people/HR-7", {**PERSON_JSON, **bad})
    assert response.status_code == 400
    if "external_id" not in bad:  # the API names the record by its identifier in the path
        assert response.json()["detail"] == str(refused.value)
    response = staff.post(_url("person_edit", pk=lena.pk), {**PERSON_FORM, **bad})
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    for messages in refused.value.errors.values():
        for message in messages:
            assert message in page
    lena.refresh_from_db()
    assert lena.email == "lena@old.example"
    assert not Event.objects.filter(subject_type="person").exists()


def test_the_external_id_taken_is_refused_the_same_from_the_api(api, body, lena):
    Person.objects.create(organization=body, given_name="Olek", family_name="P", external_id="HR-1")
    response = api("put", "/people/HR-1", {**PERSON_JSON, "external_id": "HR-1"})
    # HR-1 exists: the API updates that record rather than adding a second one.
    assert response.status_code == 200 and Person.objects.filter(external_id="HR-1").count() == 1


# --- agencies -------------------------------------------------------------------------------------


def test_an_agency_changed_on_the_page_and_through_the_api_is_on_the_chain(
    staff, api, personas, acme
):
    response = staff.post(
        _url("agency_edit", pk=acme.pk),
        {
            "legal_name": "Acme LLC",
            "external_id": "AG-1",
            "trade_names_text": "Acme Jobs",
            "expected_version": records.version_of(acme),
        },
    )
    assert response.status_code == 302
    response = api(
        "put",
        "/agencies/AG-1",
        {"external_id": "AG-1", "legal_name": "Acme LLC", "trade_names": ["Acme Jobs"]}
        | {"website": "acme.example"},
    )
    assert response.status_code == 200
    page_event, api_event = _events("register.agency_changed", acme.pk)
    assert page_event.actor == personas["body_staff"]
    assert page_event.data["changes"] == {"trade_names": {"old": [], "new": ["Acme Jobs"]}}
    assert api_event.actor == personas["body_admin"]
    assert api_event.data["changes"] == {"website": {"old": "", "new": "https://acme.example"}}


def test_a_stale_agency_edit_is_refused_by_page_and_api(staff, api, acme):
    version = records.version_of(acme)
    records.agency_save(organization=acme.organization, agency=acme, values={"city": "Troy"})
    response = staff.post(
        _url("agency_edit", pk=acme.pk),
        {"legal_name": "Acme Inc", "external_id": "AG-1", "expected_version": version},
    )
    assert response.status_code == 400
    assert "changed by someone else" in html.unescape(response.content.decode())
    response = api(
        "put",
        "/agencies/AG-1",
        {"external_id": "AG-1", "legal_name": "Acme Inc", "expected_version": version},
    )
    assert response.status_code == 409
    acme.refresh_from_db()
    assert acme.legal_name == "Acme LLC"


def test_an_agency_refused_on_the_page_is_refused_with_the_same_words_by_the_api(staff, api, acme):
    bad = {"legal_name": "", "email": "nope", "external_id": "AG-1"}
    page = html.unescape(
        staff.post(
            _url("agency_edit", pk=acme.pk), {**bad, "trade_names_text": ""}
        ).content.decode()
    )
    detail = api("put", "/agencies/AG-1", bad).json()["detail"]
    assert detail == "legal_name: This field is required.; email: Enter a valid email address."
    assert "This field is required." in page and "Enter a valid email address." in page


# --- affiliations ---------------------------------------------------------------------------------


def test_an_affiliation_added_changed_and_stale(staff, api, personas, acme, lena):
    response = api(
        "post",
        "/affiliations",
        {"agency_external_id": "AG-1", "person_external_id": "HR-7", "role": "employee"},
    )
    assert response.status_code == 201
    affiliation = Affiliation.objects.get()
    read = response.json()["version"]
    [created] = _events("register.affiliation_created", affiliation.pk)
    assert created.actor == personas["body_admin"]
    assert created.data["changes"] == {"role": {"old": "", "new": "employee"}}
    response = staff.post(
        _url("affiliation_edit", pk=affiliation.pk),
        {"role": "agent", "end_date": "", "start_date": "", "expected_version": read},
    )
    assert response.status_code == 302
    [changed] = _events("register.affiliation_changed", affiliation.pk)
    assert changed.actor == personas["body_staff"]
    assert changed.data["changes"] == {"role": {"old": "employee", "new": "agent"}}
    response = api(
        "patch",
        f"/affiliations/{affiliation.pk}",
        {"end_date": dt.date.today().isoformat(), "expected_version": read},
    )
    assert response.status_code == 409
    affiliation.refresh_from_db()
    assert (affiliation.role, affiliation.end_date) == ("agent", None)
