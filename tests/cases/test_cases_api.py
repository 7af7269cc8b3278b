"""The cases API: public intake (rate-limited, idempotent by submission key), the anonymous
follow-up, and staff reading cases and taking steps with a token for their body."""

from __future__ import annotations

import pytest

from ombuds.bodies.models import BodyRole
from ombuds.cases import services
from ombuds.cases.models import Allegation, BodyProcedure, Case, Message, Recusal
from ombuds.register.models import Credential, CredentialProgram, Person
from ombuds.register.tokens import token_create

pytestmark = pytest.mark.django_db

API = "/api/v1/bodies"
COMPLAINTS = f"{API}/guild/complaints"
FOLLOWUP = f"{COMPLAINTS}/follow-up"
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def csec_guild(body, published):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    return body


@pytest.fixture
def chair(body, django_user_model):
    user = django_user_model.objects.create_user("cora", "cora@example.org", "pw")
    BodyRole.objects.create(user=user, organization=body, role="ethics_chair")
    return user


@pytest.fixture
def staff_token(personas, body):
    return token_create(user=personas["body_staff"], organization=body, name="case sync")[1]


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def post(client, path: str, data: dict, **kwargs):
    return client.post(path, data, content_type="application/json", **kwargs)


NAMED = {
    "what_happened": "They kept my payments for three months.",
    "respondent_name": "Acme Recovery",
    "complainant_name": "Pat Doe",
    "complainant_email": "pat@example.org",
    "complainant_relation": "client",
}
ANONYMOUS = {
    "what_happened": "They shouted at me on the phone.",
    "respondent_name": "Acme Recovery",
    "anonymous": True,
    "passphrase": PASSPHRASE,
}


def file_case(organization, **fields) -> Case:
    values = {
        "what_happened": "They kept my payments.",
        "respondent_name": "Acme Recovery",
        "complainant_name": "Pat Doe",
    }
    values.update(fields)
    return services.case_file(
        organization=organization, complaint=services.Complaint(**values)
    ).case


# --- public intake --------------------------------------------------------------------------------


def test_a_named_complaint_is_filed(client, csec_guild, published):
    response = post(client, COMPLAINTS, {**NAMED, "provisions": ["1.1(a)", "1.2"]})
    assert response.status_code == 201
    body = response.json()
    assert body["receipt_code"] == "" and body["duplicate"] is False
    case = Case.objects.get(reference=body["reference"])
    assert case.channel == "web" and case.complainant_name == "Pat Doe"
    assert case.complainant_relation == "client" and case.state == "received"
    assert sorted(p.citation for p in Allegation.objects.get(case=case).provisions.all()) == [
        "1.1(a)",
        "1.2",
    ]


def test_an_anonymous_complaint_gets_its_receipt_code_once(client, csec_guild):
    response = post(client, COMPLAINTS, {**ANONYMOUS, "submission_key": "k-anon"})
    assert response.status_code == 201
    code = response.json()["receipt_code"]
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.anonymous and case.receipt_code == code and case.complainant_name == ""
    # Sent again with the same key: the same case, and the code is not given out again.
    again = post(client, COMPLAINTS, {**ANONYMOUS, "submission_key": "k-anon"})
    assert again.status_code == 200
    # A retry after a lost answer, with the same passphrase, gets its receipt code again.
    assert again.json() == {"reference": case.reference, "receipt_code": code, "duplicate": True}


def test_the_same_submission_key_makes_one_case(client, csec_guild):
    first = post(client, COMPLAINTS, {**NAMED, "submission_key": "form-123"})
    second = post(client, COMPLAINTS, {**NAMED, "submission_key": "form-123"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["reference"] == second.json()["reference"]
    assert second.json()["duplicate"] is True
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "reasons"),
    [
        ({"what_happened": " ", "complainant_name": ""}, ["Say what happened.", "Give your name"]),
        (
            {"provisions": ["1.1(a)", "9.9", "nonsense"]},
            ["Not in the code in force: 9.9, nonsense"],
        ),
        ({"respondent_number": "XYZ-404"}, ["No credential or membership numbered XYZ-404"]),
        ({"complainant_email": "not-an-address"}, ["is not an email address"]),
        ({"complainant_relation": "landlord"}, ["Say how you relate"]),
        ({"happened_on": "2999-01-01"}, ["cannot be in the future"]),
        (
            {"anonymous": True, "passphrase": "short", "consent_to_share": True},
            ["at least 10 characters", "cannot share the complainant's identity"],
        ),
        (
            {"provisions": ["9.9"], "respondent_number": "XYZ-404"},
            ["Not in the code in force: 9.9", "XYZ-404"],
        ),
    ],
)
def test_a_refused_complaint_says_why(client, csec_guild, change, reasons):
    response = post(client, COMPLAINTS, {**NAMED, **change})
    assert response.status_code == 400
    detail = response.json()["detail"]
    for reason in reasons:
        assert reason in detail
    assert not Case.objects.exists()


def test_a_complaint_of_the_wrong_shape_is_422(client, csec_guild):
    response = post(client, COMPLAINTS, {"respondent_name": "Acme"})
    assert response.status_code == 422
    assert not Case.objects.exists()


def test_a_body_that_takes_no_complaints(client, body, other_body):
    assert post(client, COMPLAINTS, NAMED).status_code == 404
    assert post(client, f"{API}/nowhere/complaints", NAMED).status_code == 404
    BodyProcedure.objects.create(
        organization=body, procedure_key="csec-article-5", taking_complaints=False
    )
    response = post(client, COMPLAINTS, NAMED)
    assert response.status_code == 404
    assert "does not take complaints" in response.json()["detail"]
    assert not Case.objects.exists()


def test_complaints_are_rate_limited(client, csec_guild, settings):
    settings.OMBUDS_COMPLAINTS_PER_HOUR = 2
    for n in range(2):
        assert post(client, COMPLAINTS, {**NAMED, "submission_key": f"k{n}"}).status_code == 201
    response = post(client, COMPLAINTS, {**NAMED, "submission_key": "k2"})
    assert response.status_code == 429
    retry = int(response["Retry-After"])
    assert 0 < retry <= 3600
    assert "Too many requests" in response.json()["detail"]
    assert Case.objects.count() == 2
    # Another client is not held back.
    other = post(client, COMPLAINTS, {**NAMED, "submission_key": "k3"}, REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 201


def test_a_limit_of_zero_turns_the_limit_off(client, csec_guild, settings):
    settings.OMBUDS_COMPLAINTS_PER_HOUR = 0
    for n in range(25):
        assert post(client, COMPLAINTS, {**NAMED, "submission_key": f"k{n}"}).status_code == 201


# --- the anonymous follow-up ----------------------------------------------------------------------


@pytest.fixture
def anonymous_case(client, csec_guild):
    response = post(client, COMPLAINTS, ANONYMOUS)
    return Case.objects.get(reference=response.json()["reference"]), response.json()["receipt_code"]


def test_the_follow_up_reads_the_complaint(client, anonymous_case, chair):
    case, code = anonymous_case
    services.case_step(case=case, step="acknowledge", acting_user=chair)
    services.message_post(case=case, audience="internal", body="INTERNAL ONLY", acting_user=chair)
    services.message_post(
        case=case, audience="complainant", body="We are looking at it.", acting_user=chair
    )
    response = post(client, FOLLOWUP, {"receipt_code": code.lower(), "passphrase": PASSPHRASE})
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == case.reference and body["state"] == "chair_review"
    assert body["state_label"] == "With the Chair"
    assert [m["body"] for m in body["messages"]] == ["We are looking at it."]
    assert any("acknowledged" in n["body"] for n in body["notices"])
    assert "INTERNAL ONLY" not in response.content.decode()


def test_a_wrong_code_and_a_wrong_passphrase_get_the_same_answer(client, anonymous_case):
    _case, code = anonymous_case
    wrong_code = post(
        client, FOLLOWUP, {"receipt_code": "AAAA-BBBB-CCCC", "passphrase": PASSPHRASE}
    )
    wrong_pass = post(client, FOLLOWUP, {"receipt_code": code, "passphrase": "not the phrase"})
    other_body = post(
        client,
        f"{API}/other/complaints/follow-up",
        {"receipt_code": code, "passphrase": PASSPHRASE},
    )
    assert wrong_code.status_code == wrong_pass.status_code == other_body.status_code == 404

    # The same problem, but for `instance`: the path each request itself named.
    def said(response) -> dict:
        return {k: v for k, v in response.json().items() if k != "instance"}

    assert said(wrong_code) == said(wrong_pass) == said(other_body)


def test_the_follow_up_is_rate_limited(client, anonymous_case, settings):
    settings.OMBUDS_FOLLOWUP_ATTEMPTS_PER_HOUR = 3
    case, code = anonymous_case
    for _ in range(3):
        assert post(
            client, FOLLOWUP, {"receipt_code": code, "passphrase": "guess"}
        ).status_code == (404)
    # Even the right passphrase waits now: guessing is stopped, not just slowed.
    response = post(client, FOLLOWUP, {"receipt_code": code, "passphrase": PASSPHRASE})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    response = post(
        client,
        f"{FOLLOWUP}/messages",
        {"receipt_code": code, "passphrase": PASSPHRASE, "body": "Hi"},
    )
    assert response.status_code == 429
    assert not Message.objects.filter(case=case).exists()


def test_the_complainant_writes_through_the_follow_up(client, anonymous_case):
    case, code = anonymous_case
    response = post(
        client,
        f"{FOLLOWUP}/messages",
        {"receipt_code": code, "passphrase": PASSPHRASE, "body": "I have more evidence."},
    )
    assert response.status_code == 201
    assert [m["body"] for m in response.json()["messages"]] == ["I have more evidence."]
    message = Message.objects.get(case=case)
    assert message.from_party and message.audience == "complainant"
    assert message.author_label == "anonymous complainant"
    empty = post(
        client,
        f"{FOLLOWUP}/messages",
        {"receipt_code": code, "passphrase": PASSPHRASE, "body": " "},
    )
    assert empty.status_code == 400 and "write the message" in empty.json()["detail"]
    wrong = post(
        client, f"{FOLLOWUP}/messages", {"receipt_code": code, "passphrase": "nope", "body": "x"}
    )
    assert wrong.status_code == 404
    assert Message.objects.filter(case=case).count() == 1


# --- staff ----------------------------------------------------------------------------------------


def test_staff_list_the_bodys_cases(client, csec_guild, other_body, staff_token, chair):
    first = file_case(csec_guild, respondent_name="Acme Recovery")
    second = file_case(csec_guild, respondent_name="Beta Collections")
    services.case_step(case=second, step="acknowledge", acting_user=chair)
    BodyProcedure.objects.create(organization=other_body, procedure_key="espcc-ethics")
    file_case(other_body, respondent_name="Elsewhere")
    response = client.get(f"{API}/guild/cases", headers=auth(staff_token))
    assert response.status_code == 200
    assert [c["reference"] for c in response.json()] == [second.reference, first.reference]
    response = client.get(f"{API}/guild/cases?state=received", headers=auth(staff_token))
    assert [c["reference"] for c in response.json()] == [first.reference]
    response = client.get(f"{API}/guild/cases?respondent=beta", headers=auth(staff_token))
    assert [c["respondent"] for c in response.json()] == ["Beta Collections"]


def test_staff_read_a_case_with_the_steps_open_to_them(client, csec_guild, published, staff_token):
    case = file_case(csec_guild, provisions=[published.provisions.get(citation="2.1")])
    response = client.get(f"{API}/guild/cases/{case.reference}", headers=auth(staff_token))
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == case.version and body["state"] == "received"
    assert body["respondent_is_member"] is False
    assert body["allegations"][0]["provisions"] == ["2.1"]
    assert [d["name"] for d in body["deadlines"]] == ["acknowledge"]
    assert [s["name"] for s in body["steps"]] == ["acknowledge"]  # staff do not dismiss


def test_staff_take_a_step(client, csec_guild, staff_token):
    case = file_case(csec_guild)
    response = post(
        client,
        f"{API}/guild/cases/{case.reference}/steps",
        {"step": "acknowledge", "expected_version": case.version},
        headers=auth(staff_token),
    )
    assert response.status_code == 200
    assert response.json()["state"] == "chair_review"
    assert response.json()["version"] == case.version + 1
    case.refresh_from_db()
    assert case.state == "chair_review" and case.acknowledged_at is not None


def test_a_stale_expected_version_is_409_and_changes_nothing(
    client, csec_guild, staff_token, chair
):
    case = file_case(csec_guild)
    read_at = case.version
    services.message_post(case=case, audience="internal", body="Seen.", acting_user=chair)
    response = post(
        client,
        f"{API}/guild/cases/{case.reference}/steps",
        {"step": "acknowledge", "expected_version": read_at},
        headers=auth(staff_token),
    )
    assert response.status_code == 409
    assert "changed since" in response.json()["detail"]
    case.refresh_from_db()
    assert case.state == "received"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"step": "dismiss", "inputs": {"ground": "withdrawn", "reasons": "x"}}, "taken by"),
        ({"step": "fly"}, "has no step called 'fly'"),
        ({"step": "notify_agency"}, "cannot be taken while the case is"),
        ({"step": "no_answer"}, "cannot be taken while the case is"),
    ],
)
def test_a_refused_step_is_400_with_the_reason(client, csec_guild, staff_token, payload, reason):
    case = file_case(csec_guild)
    response = post(
        client,
        f"{API}/guild/cases/{case.reference}/steps",
        {**payload, "expected_version": case.version},
        headers=auth(staff_token),
    )
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    case.refresh_from_db()
    assert case.state == "received" and case.version == 1


def test_a_step_missing_its_inputs_is_400(client, csec_guild, body, staff_token, chair):
    program = CredentialProgram.objects.create(organization=body, code="cgp", name="CGP")
    holder = Person.objects.create(organization=body, given_name="Mel", family_name="Member")
    Credential.objects.create(program=program, holder=holder, number="CGP-7", status="active")
    case = file_case(csec_guild, respondent_person=holder, respondent_name="")
    case = services.case_step(case=case, step="acknowledge", acting_user=chair)
    case = services.case_step(
        case=case, step="request_efforts", acting_user=chair, inputs={"message": "Send them."}
    )
    response = post(
        client,
        f"{API}/guild/cases/{case.reference}/steps",
        {
            "step": "efforts_received",
            "inputs": {"note": "By post"},
            "expected_version": case.version,
        },
        headers=auth(staff_token),
    )
    assert response.status_code == 400
    assert "needs: Proof of efforts to resolve" in response.json()["detail"]
    case.refresh_from_db()
    assert case.state == "awaiting_efforts" and case.efforts_proven_at is None


def test_a_superuser_acts_as_an_administrator(client, csec_guild, body, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    token = token_create(user=admin, organization=body, name="x")[1]
    case = file_case(csec_guild)
    read = client.get(f"{API}/guild/cases/{case.reference}", headers=auth(token))
    assert [s["name"] for s in read.json()["steps"]] == ["acknowledge"]
    response = post(
        client,
        f"{API}/guild/cases/{case.reference}/steps",
        {"step": "dismiss", "inputs": {"ground": "withdrawn"}, "expected_version": case.version},
        headers=auth(token),
    )
    assert response.status_code == 400 and "taken by: ethics chair" in response.json()["detail"]


def test_a_recused_user_or_another_bodys_case_is_404(
    client, csec_guild, other_body, personas, staff_token
):
    case = file_case(csec_guild)
    BodyProcedure.objects.create(organization=other_body, procedure_key="espcc-ethics")
    elsewhere = file_case(other_body)
    for reference in (elsewhere.reference, "GOE-1999-0001"):
        assert (
            client.get(f"{API}/guild/cases/{reference}", headers=auth(staff_token)).status_code
            == 404
        )
    Recusal.objects.create(case=case, user=personas["body_staff"], reason="Conflict.")
    assert (
        client.get(f"{API}/guild/cases/{case.reference}", headers=auth(staff_token)).status_code
        == 404
    )
    response = post(
        client,
        f"{API}/guild/cases/{case.reference}/steps",
        {"step": "acknowledge", "expected_version": case.version},
        headers=auth(staff_token),
    )
    assert response.status_code == 404
    assert client.get(f"{API}/guild/cases", headers=auth(staff_token)).json() == []
    case.refresh_from_db()
    assert case.state == "received"


def test_tokens(client, csec_guild, staff_token, other_body, personas):
    case = file_case(csec_guild)
    path = f"{API}/guild/cases/{case.reference}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=auth("omb_nope_nope")).status_code == 401
    assert client.get(f"{API}/other/cases", headers=auth(staff_token)).status_code == 403
    # A token whose owner has lost the staff role no longer works.
    BodyRole.objects.filter(user=personas["body_staff"]).delete()
    assert client.get(path, headers=auth(staff_token)).status_code == 401


def test_a_member_respondent_is_reported(client, csec_guild, body, staff_token):
    program = CredentialProgram.objects.create(organization=body, code="cgp", name="CGP")
    holder = Person.objects.create(organization=body, given_name="Mel", family_name="Member")
    Credential.objects.create(program=program, holder=holder, number="CGP-7", status="active")
    response = post(client, COMPLAINTS, {**NAMED, "respondent_number": "cgp-7"})
    assert response.status_code == 201
    reference = response.json()["reference"]
    assert Case.objects.get(reference=reference).respondent_person == holder
    read = client.get(f"{API}/guild/cases/{reference}", headers=auth(staff_token))
    assert read.json()["respondent_is_member"] is True


# --- the schema -----------------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_cases_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/v1/bodies/{org}/complaints": {"post"},
        "/api/v1/bodies/{org}/complaints/follow-up": {"post"},
        "/api/v1/bodies/{org}/complaints/follow-up/messages": {"post"},
        "/api/v1/bodies/{org}/cases": {"get"},
        "/api/v1/bodies/{org}/cases/{reference}": {"get"},
        "/api/v1/bodies/{org}/cases/{reference}/steps": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    step = paths["/api/v1/bodies/{org}/cases/{reference}/steps"]["post"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(step["responses"])
    intake = paths["/api/v1/bodies/{org}/complaints"]["post"]
    assert {"201", "200", "400", "404", "429"} <= set(intake["responses"])
    # The staff endpoints ask for the bearer token; the public intake does not.
    assert step.get("security") and not intake.get("security")
