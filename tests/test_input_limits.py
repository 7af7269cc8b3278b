"""Bad input is a clear refusal, never a 500 nor a silent store.

- Every API input has a documented maximum (strings a length and no NUL character, lists a number of
  items, numbers a range), and past it the request is refused with 422 and Django Ninja's validation
  body, the same on SQLite and PostgreSQL. A string stored in a column is at most the column's length:
  walked for every column the API writes.
- The disclosure edit page, the member's and the staff's, re-shows the form with a reason (400) when
  the request says neither to save nor to end it, instead of a 500.
"""

from __future__ import annotations

import pytest
from django.db import models

from ombuds.bodies.models import BodyRole
from ombuds.cases.models import Allegation, BodyProcedure, Case, Notice
from ombuds.certification.models import Application, Sitting
from ombuds.compliance.models import Finding
from ombuds.members import services as members
from ombuds.members.models import Disclosure
from ombuds.register.models import (
    Activity,
    Affiliation,
    Agency,
    Credential,
    CredentialProgram,
    Invoice,
    Membership,
    MembershipType,
    Person,
    RecertificationCycle,
    Sanction,
    StatusEvent,
)
from ombuds.register.tokens import token_create

pytestmark = pytest.mark.django_db

API = "/api/v1"
COMPLAINTS = f"{API}/bodies/guild/complaints"
NAMED = {
    "what_happened": "They kept my payments for three months.",
    "respondent_name": "Acme Recovery",
    "complainant_name": "Pat Doe",
    "complainant_email": "pat@example.org",
    "complainant_relation": "client",
}


def post(client, path: str, data: dict, **kwargs):
    return client.post(path, data, content_type="application/json", **kwargs)


def too_long(response, field: str) -> bool:
    """Whether the 422 names `field` as too long, in the problem's `errors`."""
    return any(
        problem["type"] == "string_too_long" and problem["loc"][-1] == field
        for problem in response.json()["errors"]
    )


@pytest.fixture
def openapi(client):
    return client.get(f"{API}/openapi.json").json()


@pytest.fixture
def csec_guild(body, published):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    return body


@pytest.fixture
def tokens(personas, body):
    """A staff token and a member token for the guild."""
    member = personas["signed_in_no_role"]
    Person.objects.create(organization=body, given_name="Nora", family_name="Member", user=member)
    return {
        "staff": token_create(user=personas["body_admin"], organization=body, name="sync")[1],
        "member": token_create(user=member, organization=body, name="mine", scope="member")[1],
    }


# --- the reproductions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "length"),
    [
        ("complainant_name", 201),
        ("complainant_phone", 51),
        ("complainant_email", 255),
        ("respondent_name", 301),
        ("outcome_sought", 2_000_000),
        ("respondent_details", 2_000_000),
    ],
)
def test_an_oversized_complaint_is_422_and_stores_nothing(client, csec_guild, field, length):
    value = (
        "a" * (length - len("@example.org")) + "@example.org" if "email" in field else "a" * length
    )
    response = post(client, COMPLAINTS, {**NAMED, field: value})
    assert response.status_code == 422, response.content[:300]
    assert too_long(response, field)
    assert not Case.objects.exists()


def test_a_complaint_at_every_maximum_is_filed_whole(client, csec_guild):
    """At the limits, exactly: stored as sent (PostgreSQL's columns take it; nothing is cut)."""
    at_max = {
        **NAMED,
        "complainant_name": "n" * 200,
        "complainant_phone": "1" * 50,
        "complainant_email": "e" * 242 + "@example.org",
        "respondent_name": "r" * 300,
        "respondent_details": "d" * 2_000,
        "outcome_sought": "o" * 5_000,
        "what_happened": "w" * 20_000,
    }
    response = post(client, COMPLAINTS, at_max)
    assert response.status_code == 201, response.content[:500]
    case = Case.objects.get(reference=response.json()["reference"])
    assert len(case.complainant_email) == 254 and len(case.complainant_name) == 200
    assert len(case.respondent_details) == 2_000 and len(case.outcome_sought) == 5_000


def test_a_nul_character_is_422_not_a_database_error(client, csec_guild):
    response = post(client, COMPLAINTS, {**NAMED, "respondent_name": "Acme\x00"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][-1] == "respondent_name"
    assert not Case.objects.exists()


# --- every API input bounded, every column the API writes within its length ------------------------


def _resolve(schema: dict, openapi: dict) -> dict:
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _unbounded(schema: dict, openapi: dict, where: str) -> list[str]:
    """Where a schema lets through a string of any length (or with NUL characters), a list of any
    size or a number of any magnitude."""
    schema = _resolve(schema, openapi)
    found = []
    for option in schema.get("anyOf", []):
        found += _unbounded(option, openapi, where)
    kind = schema.get("type")
    if kind == "string" and schema.get("format") == "binary":
        pass  # a file of a multipart body: bounded by the upload's size limit (its 413)
    elif kind == "string" and schema.get("format") not in ("date", "date-time"):
        if "maxLength" not in schema and "enum" not in schema:
            found.append(f"{where}: no maxLength")
        if "pattern" not in schema and "enum" not in schema:
            found.append(f"{where}: NUL characters allowed")
    elif kind == "integer" and ("maximum" not in schema or "minimum" not in schema):
        found.append(f"{where}: no range")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: no maxItems")
        found += _unbounded(schema["items"], openapi, f"{where}[]")
    elif kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                found.append(f"{where}: no maxProperties")
            found += _unbounded(extra, openapi, f"{where}{{}}")
        for name, prop in schema.get("properties", {}).items():
            found += _unbounded(prop, openapi, f"{where}.{name}")
    return found


def test_every_api_input_is_bounded_and_documented_with_its_422(openapi):
    """Request bodies and query parameters (path parameters only ever find a record or not)."""
    problems = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    name = f"{where} ?{parameter['name']}"
                    problems += _unbounded(parameter["schema"], openapi, name)
            body = operation.get("requestBody")
            for content in (body or {}).get("content", {}).values():  # JSON, or multipart
                problems += _unbounded(content["schema"], openapi, where)
            if body or operation.get("parameters"):
                answer = operation["responses"].get("422")
                if answer is None:
                    problems.append(f"{where}: 422 not documented")
                else:
                    ref = answer["content"]["application/problem+json"]["schema"]["$ref"]
                    assert ref.endswith("/ValidationProblemOut")
    assert not problems, "\n".join(problems)


# Which model each input schema writes, and the fields of another name or model it writes or finds.
WRITES: dict[str, tuple[type[models.Model], dict[str, tuple[type[models.Model], str]]]] = {
    "PersonIn": (Person, {}),
    "AgencyIn": (Agency, {}),
    "AffiliationIn": (
        Affiliation,
        {
            "agency_external_id": (Agency, "external_id"),
            "person_external_id": (Person, "external_id"),
        },
    ),
    "AffiliationPatch": (Affiliation, {}),
    "CredentialIn": (
        Credential,
        {"holder_external_id": (Person, "external_id"), "program": (CredentialProgram, "code")},
    ),
    "TransitionIn": (StatusEvent, {"expected_status": (Credential, "status")}),
    "MembershipTransitionIn": (StatusEvent, {"expected_status": (Membership, "status")}),
    "CorrectionIn": (Credential, {}),
    "MembershipIn": (
        Membership,
        {
            "membership_type": (MembershipType, "code"),
            "person_external_id": (Person, "external_id"),
            "agency_external_id": (Agency, "external_id"),
        },
    ),
    "SanctionIn": (
        Sanction,
        {"credential_number": (Credential, "number"), "membership_number": (Membership, "number")},
    ),
    "ComplaintIn": (Case, {"respondent_number": (Credential, "number")}),
    "FollowupIn": (Case, {}),
    "FollowupMessageIn": (Case, {}),
    "FollowupDocumentsIn": (Case, {}),  # the files go to documents, checked by their content
    "MemberDisclosureIn": (Disclosure, {}),
    "MemberDisclosureEndIn": (Disclosure, {}),
    "MemberAttestIn": (Disclosure, {}),  # a campaign's id and a yes: no string
    # A review: the outcome is the disclosure's review; the reason goes to the case it opens.
    "DisclosureReviewIn": (Disclosure, {"outcome": (Disclosure, "review")}),
    # Invoices: the payer and the credential are looked up; a payment file is checked row by row.
    "InvoiceIn": (
        Invoice,
        {
            "person_external_id": (Person, "external_id"),
            "agency_external_id": (Agency, "external_id"),
            "credential_number": (Credential, "number"),
        },
    ),
    "PaymentIn": (Invoice, {}),
    "WaiverIn": (Invoice, {"reason": (Invoice, "waive_reason")}),
    "PaymentFileIn": (Invoice, {}),
    "StepIn": (Case, {}),  # the step's texts go to the case's own records, all TextFields
    "AllegationEditIn": (Allegation, {}),  # the text is a TextField; citations look up provisions
    "RespondentIn": (Case, {}),  # register ids and the reason (on the audit event), no column
    # A delivery recorded: the means is the notice's column; the proof becomes a document.
    "DeliveryIn": (Notice, {"means": (Notice, "delivery_means")}),
    # A fine paid: a date and a note (the sanction's payment_note, a TextField).
    "FinePaidIn": (Sanction, {"note": (Sanction, "payment_note")}),
    # A holder's recertification: an activity; its evidence (a file checked by its content); the
    # version of the cycle they submit (no column).
    "ActivityIn": (Activity, {}),
    "EvidenceIn": (Activity, {}),
    "SubmitIn": (RecertificationCycle, {}),
    # A compliance finding answered, closed or taken to a case: texts (TextFields) and its version.
    "FindingAnswerIn": (Finding, {}),
    "FindingCloseIn": (Finding, {}),
    "FindingCaseIn": (Finding, {}),
    # Certification: a decision names the state it leads to; its reason is a TextField.
    "ReviewIn": (Application, {"decision": (Application, "state")}),
    "ResultsIn": (Sitting, {}),  # a CSV file's text, checked row by row, and a flag
}


def _columns(openapi: dict) -> list[tuple[str, str, str, str, int]]:
    """(schema, field, method, path, the column's max_length) for every string input the API
    stores in, or looks up by, a model's CharField, from the schemas the API's operations take."""
    found = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if not body or "application/json" not in body["content"]:
                continue  # a multipart body (a compliance return): its fields are checked apart
            name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert name in WRITES, f"{name} ({method} {path}) writes what? Add it to WRITES"
            model, elsewhere = WRITES[name]
            for field in openapi["components"]["schemas"][name]["properties"]:
                column_model, column = elsewhere.get(field, (model, field))
                try:
                    model_field = column_model._meta.get_field(column)
                except Exception:
                    continue
                if isinstance(model_field, models.CharField):
                    found.append((name, field, method, path, model_field.max_length))
    return found


def test_every_column_the_api_writes_has_the_columns_length_as_its_maximum(openapi):
    columns = _columns(openapi)
    assert len(columns) > 40  # the walk finds them
    wrong = [
        f"{schema}.{field}: {openapi['components']['schemas'][schema]['properties'][field]}"
        f" instead of maxLength {length}"
        for schema, field, _method, _path, length in columns
        if _resolve_length(openapi["components"]["schemas"][schema]["properties"][field]) != length
    ]
    assert not wrong, "\n".join(wrong)


def _resolve_length(prop: dict) -> int | None:
    for option in [prop, *prop.get("anyOf", [])]:
        if option.get("type") == "string":
            return option.get("maxLength")
    return None


def test_one_character_past_each_columns_length_is_422(client, openapi, csec_guild, tokens):
    """The request itself, for every column the API writes: one character too many is refused
    with 422 naming the field; exactly the column's length is not refused for its length."""
    for schema, field, method, path, length in _columns(openapi):
        url = path.format(
            org="guild",
            external_id="x",
            number="x",
            affiliation_id=1,
            disclosure_id=1,
            reference="x",
            notice=1,
            sanction_id=1,
            cycle_id=1,
            activity_id=1,
        )
        if path.startswith(f"{API}/me"):
            headers = {"Authorization": f"Bearer {tokens['member']}"}
        else:
            headers = {"Authorization": f"Bearer {tokens['staff']}"}
        call = getattr(client, method)
        over = call(
            url, {field: "x" * (length + 1)}, content_type="application/json", headers=headers
        )
        assert over.status_code == 422, (schema, field, over.status_code)
        assert too_long(over, field), (schema, field, over.json())
        at = call(url, {field: "x" * length}, content_type="application/json", headers=headers)
        assert at.status_code != 500 and not (at.status_code == 422 and too_long(at, field))


# --- the disclosure edit pages -------------------------------------------------------------------


@pytest.fixture
def disclosure(personas, body):
    user = personas["body_staff"]
    return members.disclosure_save(
        user=user,
        organization=body,
        relationship=Disclosure.Relationship.values[0],
        party_name="Acme Recovery",
        nature="My brother works there.",
        started_on=None,
    )


@pytest.mark.parametrize("door", ["/me/guild/disclosures", "/staff/guild/disclosures"])
@pytest.mark.parametrize("sent", [{}, {"action": "delete"}, {"nature": "Changed"}])
def test_an_edit_that_says_neither_save_nor_end_is_refused_with_a_reason(
    client, personas, disclosure, door, sent
):
    client.force_login(personas["body_staff"])
    response = client.post(f"{door}/{disclosure.pk}/edit", sent)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was changed" in page
    assert "My brother works there." in page  # the form shows the disclosure as it is
    disclosure.refresh_from_db()
    assert disclosure.nature == "My brother works there." and disclosure.current


def test_the_edit_pages_still_save_and_end(client, personas, disclosure):
    client.force_login(personas["body_staff"])
    url = f"/staff/guild/disclosures/{disclosure.pk}/edit"
    changed = {**members_values(disclosure), "nature": "My sister works there.", "action": "save"}
    assert client.post(url, changed).status_code == 302
    assert client.post(url, {"action": "end"}).status_code == 302
    disclosure.refresh_from_db()
    assert disclosure.nature == "My sister works there." and not disclosure.current


def members_values(disclosure: Disclosure) -> dict:
    return {
        "relationship": disclosure.relationship,
        "party_name": disclosure.party_name,
        "nature": disclosure.nature,
    }


def test_a_disclosure_nature_past_its_maximum_is_refused_on_the_page_and_the_api(
    client, personas, body, tokens
):
    BodyRole.objects.get_or_create(user=personas["body_staff"], organization=body, role="staff")
    client.force_login(personas["body_staff"])
    sent = {"relationship": "family", "party_name": "Acme", "nature": "n" * 2_001}
    response = client.post("/staff/guild/disclosures/", sent)
    assert response.status_code == 400 and not Disclosure.objects.exists()
    response = post(
        client,
        f"{API}/me/disclosures",
        sent,
        headers={"Authorization": f"Bearer {tokens['member']}"},
    )
    assert response.status_code == 422 and too_long(response, "nature")
