"""Who sees what: every role against every staff case page and API endpoint, and which of the
procedure's steps each role is offered on the case page.

Pages answer a sign-in redirect to the anonymous, 403 to someone with no role on the body, and 404
for a case the viewer is recused from or that belongs to another body (looked up in the body of the
URL only). The API answers 401 without a live token. Only administrators, staff and superusers can
hold a token (`ombuds.register.tokens`), so the chair, investigators and committee members have no
API access at all: their rows say 401.
"""

from __future__ import annotations

import contextlib
import re

import pytest

from ombuds.bodies.models import BodyRole
from ombuds.cases import services
from ombuds.cases.models import BodyProcedure, Case, Document, Notice, Recusal
from ombuds.register.tokens import TokenError, token_create

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"

# Every persona of the matrix: (username, body, role). "public" is anonymous.
PERSONAS = {
    "public": None,
    "no_role": ("nora", None, None),
    "other_body_admin": ("olga", "other", "administrator"),
    "committee_member": ("carl", "guild", "committee_member"),
    "ethics_chair": ("cora", "guild", "ethics_chair"),
    "investigator": ("ivan", "guild", "investigator"),
    "staff": ("sam", "guild", "staff"),
    "administrator": ("alice", "guild", "administrator"),
    "superuser": ("root", None, None),
    "recused_committee_member": ("rita", "guild", "committee_member"),
    "recused_staff": ("rex", "guild", "staff"),
}
ROLES = list(PERSONAS)


@pytest.fixture
def world(body, other_body, published, django_user_model):
    """The guild (CSEC procedure) with one case, a document and a notice; the other body with a
    case of its own; and a user for every persona, the recused two recused from the guild's case."""
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    BodyProcedure.objects.create(organization=other_body, procedure_key="espcc-ethics")
    users = {"public": None}
    bodies = {"guild": body, "other": other_body}
    for key, spec in PERSONAS.items():
        if spec is None:
            continue
        username, slug, role = spec
        if key == "superuser":
            users[key] = django_user_model.objects.create_superuser(username, "r@example.org", "p")
            continue
        users[key] = django_user_model.objects.create_user(username, f"{username}@example.org")
        if role:
            BodyRole.objects.create(user=users[key], organization=bodies[slug], role=role)
    case = services.case_file(
        organization=body,
        complaint=services.Complaint(
            what_happened="They kept my payments.",
            respondent_name="Acme Recovery",
            complainant_name="Pat Doe",
            complainant_email="pat@example.org",
        ),
    ).case
    other_case = services.case_file(
        organization=other_body,
        complaint=services.Complaint(
            what_happened="Rude.", respondent_name="Someone", complainant_name="Lee"
        ),
    ).case
    document = services.document_add(
        case=case, name="evidence.pdf", data=PDF, kind="evidence", acting_user=users["superuser"]
    )
    for key in ("recused_committee_member", "recused_staff"):
        Recusal.objects.create(case=case, user=users[key], reason="A conflict of interest.")
    tokens = {}
    for key, user in users.items():
        if user is None:
            continue
        organization = other_body if key == "other_body_admin" else body
        # Only administrators, staff and superusers hold tokens.
        with contextlib.suppress(TokenError):
            tokens[key] = token_create(user=user, organization=organization, name="matrix")[1]
    return {
        "users": users,
        "case": Case.objects.get(pk=case.pk),
        "other_case": other_case,
        "document": document,
        "notice": Notice.objects.get(case=case, template="receipt"),
        "tokens": tokens,
    }


def sign_in(client, world, role: str) -> None:
    user = world["users"][role]
    if user is not None:
        client.force_login(user)


def _pages(world) -> dict[str, str]:
    case = world["case"]
    base = f"/staff/guild/cases/{case.reference}/"
    return {
        "inbox": "/staff/guild/cases/",
        "case": base,
        "document": f"{base}documents/{world['document'].token}",
        "notice": f"{base}notices/{world['notice'].pk}",
        "complaint_entry": "/staff/guild/cases/new",
    }


OK, LOGIN, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404

# Role → what each page answers. The recused see the inbox (without the case) but not the case.
PAGE_MATRIX = {
    #                         inbox      case       document   notice     complaint entry
    "public": (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    "no_role": (FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "other_body_admin": (FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "committee_member": (OK, OK, OK, OK, FORBIDDEN),
    "ethics_chair": (OK, OK, OK, OK, OK),
    "investigator": (OK, OK, OK, OK, FORBIDDEN),
    "staff": (OK, OK, OK, OK, OK),
    "administrator": (OK, OK, OK, OK, OK),
    "superuser": (OK, OK, OK, OK, OK),
    "recused_committee_member": (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN),
    "recused_staff": (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK),
}
PAGES = ["inbox", "case", "document", "notice", "complaint_entry"]


@pytest.mark.parametrize("role", ROLES)
def test_pages(client, world, role):
    sign_in(client, world, role)
    responses = {page: client.get(path) for page, path in _pages(world).items()}
    answered = tuple(responses[page].status_code for page in PAGES)
    assert answered == PAGE_MATRIX[role], dict(zip(PAGES, answered, strict=True))
    for page, response in responses.items():
        if response.status_code == LOGIN:
            assert response["Location"].startswith("/accounts/login/?next=")
        if page == "inbox" and response.status_code == OK:
            listed = [c.reference for c in response.context["cases"]]
            assert listed == ([] if role.startswith("recused") else [world["case"].reference])
            assert world["other_case"].reference not in response.content.decode()
            # The link to enter a complaint is offered to those who may.
            entry = PAGE_MATRIX[role][PAGES.index("complaint_entry")] == OK
            assert ("/staff/guild/cases/new" in response.content.decode()) == entry
        if page == "document" and response.status_code == OK:
            assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", ROLES)
def test_posting_to_a_case_needs_the_same_access_as_reading_it(client, world, role):
    sign_in(client, world, role)
    case = world["case"]
    response = client.post(f"/staff/guild/cases/{case.reference}/", {"action": "take"})
    expected = PAGE_MATRIX[role][PAGES.index("case")]
    assert response.status_code == (302 if expected == OK else expected)
    handler = Case.objects.get(pk=case.pk).handler
    assert handler == (world["users"][role] if expected == OK else None)


def test_another_bodys_admin_does_not_find_this_bodys_case_through_their_own_body(client, world):
    client.force_login(world["users"]["other_body_admin"])
    case, document = world["case"], world["document"]
    assert client.get("/staff/other/cases/").status_code == 200
    assert client.get(f"/staff/other/cases/{case.reference}/").status_code == 404
    assert (
        client.get(f"/staff/other/cases/{case.reference}/documents/{document.token}").status_code
        == 404
    )
    assert (
        client.get(f"/staff/other/cases/{case.reference}/notices/{world['notice'].pk}").status_code
        == 404
    )
    own = world["other_case"]
    assert client.get(f"/staff/other/cases/{own.reference}/").status_code == 200
    # Nor the guild's document by its token under the other body's own case.
    assert (
        client.get(f"/staff/other/cases/{own.reference}/documents/{document.token}").status_code
        == 404
    )


def test_a_document_download_is_on_the_record_only_when_served(client, world):
    from ombuds.audit.models import Event

    for role in ("no_role", "other_body_admin", "recused_committee_member", "committee_member"):
        client.force_login(world["users"][role])
        client.get(_pages(world)["document"])
    viewed = Event.objects.filter(action="case.document_viewed")
    assert [e.actor.username for e in viewed] == ["carl"]


# --- the API --------------------------------------------------------------------------------------

UNAUTHORISED = 401
API_MATRIX = {
    #                      list          read          step
    "public": (UNAUTHORISED, UNAUTHORISED, UNAUTHORISED),
    "no_role": (UNAUTHORISED, UNAUTHORISED, UNAUTHORISED),
    "other_body_admin": (FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "committee_member": (UNAUTHORISED, UNAUTHORISED, UNAUTHORISED),
    "ethics_chair": (UNAUTHORISED, UNAUTHORISED, UNAUTHORISED),
    "investigator": (UNAUTHORISED, UNAUTHORISED, UNAUTHORISED),
    "staff": (OK, OK, OK),
    "administrator": (OK, OK, OK),
    "superuser": (OK, OK, OK),
    "recused_committee_member": (UNAUTHORISED, UNAUTHORISED, UNAUTHORISED),
    "recused_staff": (OK, NOT_FOUND, NOT_FOUND),
}


def _api(client, world, role: str, endpoint: str, org: str = "guild"):
    token = world["tokens"].get(role)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    case = world["case"]
    base = f"/api/v1/bodies/{org}/cases"
    if endpoint == "list":
        return client.get(base, headers=headers)
    if endpoint == "read":
        return client.get(f"{base}/{case.reference}", headers=headers)
    return client.post(
        f"{base}/{case.reference}/steps",
        {"step": "acknowledge", "expected_version": case.version},
        content_type="application/json",
        headers=headers,
    )


def test_who_holds_a_token(world):
    assert set(world["tokens"]) == {
        "other_body_admin",
        "staff",
        "administrator",
        "superuser",
        "recused_staff",
    }


@pytest.mark.parametrize("role", ROLES)
def test_api(client, world, role):
    endpoints = ["list", "read", "step"]
    responses = {endpoint: _api(client, world, role, endpoint) for endpoint in endpoints}
    answered = tuple(responses[e].status_code for e in endpoints)
    assert answered == API_MATRIX[role], dict(zip(endpoints, answered, strict=True))
    for endpoint, response in responses.items():
        if response.status_code != OK:
            assert "detail" in response.json()
        elif endpoint == "list":
            listed = [c["reference"] for c in response.json()]
            assert listed == ([] if role.startswith("recused") else [world["case"].reference])
        elif endpoint == "step":
            assert response.json()["state"] == "chair_review"
    if responses["step"].status_code != OK:
        assert Case.objects.get(pk=world["case"].pk).state == "received"


def test_the_api_lists_no_case_to_the_recused(client, world):
    response = _api(client, world, "recused_staff", "list")
    assert response.status_code == 200 and response.json() == []


def test_another_bodys_token_does_not_find_this_bodys_case_through_its_own_body(client, world):
    for endpoint in ("read", "step"):
        response = _api(client, world, "other_body_admin", endpoint, org="other")
        assert response.status_code == 404, endpoint
    listed = _api(client, world, "other_body_admin", "list", org="other").json()
    assert [c["reference"] for c in listed] == [world["other_case"].reference]


# --- which steps each role is offered -------------------------------------------------------------


def offered(client, world, role: str, case: Case) -> tuple[set[str], bool]:
    """The steps a role is offered on the case page, and whether it may decide allegations."""
    client.force_login(world["users"][role])
    html = client.get(f"/staff/{case.organization.slug}/cases/{case.reference}/").content.decode()
    return set(re.findall(r'value="step:(\w+)"', html)), 'value="determination"' in html


def _take(case: Case, user, name: str, **inputs) -> Case:
    return services.case_step(case=case, step=name, acting_user=user, inputs=inputs)


CASE_ROLES = ["committee_member", "ethics_chair", "investigator", "staff", "administrator"]

# CSEC, a complaint about an agency that is not a member.
OFFERED = {
    "received": {
        "committee_member": set(),
        "ethics_chair": {"acknowledge", "dismiss"},  # only the chair dismisses
        "investigator": set(),
        "staff": {"acknowledge"},
        "administrator": {"acknowledge"},
    },
    "chair_review": {
        "committee_member": set(),
        "ethics_chair": {"dismiss", "notify_agency", "refer"},
        "investigator": set(),
        "staff": set(),
        "administrator": set(),
    },
    "investigation": {
        "committee_member": set(),
        "ethics_chair": {"to_committee", "refer", "close_non_member"},
        "investigator": {"to_committee"},
        "staff": set(),
        "administrator": set(),
    },
    # Before the committee, nothing decided yet: no step, but the deciders decide allegations.
    "committee": {role: set() for role in CASE_ROLES},
    "committee_decided": {
        "committee_member": {"findings_non_member"},
        "ethics_chair": {"findings_non_member"},
        "investigator": set(),
        "staff": set(),
        "administrator": set(),
    },
}
DECIDERS = {"committee_member", "ethics_chair"}


def test_the_steps_each_role_is_offered_as_the_case_goes_on(client, world):
    chair = world["users"]["ethics_chair"]
    case = world["case"]

    def check(stage: str, case: Case) -> None:
        for role in CASE_ROLES:
            steps, deciding = offered(client, world, role, case)
            assert steps == OFFERED[stage][role], (stage, role, steps)
            assert deciding == (stage.startswith("committee") and role in DECIDERS), (stage, role)

    check("received", case)
    case = _take(case, chair, "acknowledge")
    check("chair_review", case)
    services.allegation_edit(
        case=case,
        allegation=case.allegations.get(),
        text="The agency kept payments owed to its client.",
        provisions=[],
        expected_version=case.version,
        acting_user=chair,
    )
    case.refresh_from_db()
    case = _take(case, chair, "notify_agency")
    services.respondent_answer(case=case, body="We deny it.", files=[])
    case = _take(case, chair, "investigate")
    check("investigation", case)
    case = _take(case, world["users"]["investigator"], "to_committee", summary="Kept payments.")
    check("committee", case)
    allegation = case.allegations.get()
    services.determination_record(
        allegation=allegation,
        determination="upheld",
        reasons="Proven.",
        acting_user=world["users"]["committee_member"],
    )
    check("committee_decided", Case.objects.get(pk=case.pk))


def test_the_superuser_is_offered_what_an_administrator_is(client, world):
    steps, deciding = offered(client, world, "superuser", world["case"])
    assert steps == OFFERED["received"]["administrator"] and not deciding


def test_espcc_staff_may_ask_a_holder_to_cooperate_but_only_the_chair_dismisses(
    client, world, other_body, django_user_model
):
    """The other body follows ESPCC's procedure: in review, staff and the chair ask a credential
    holder to cooperate; only the chair dismisses or refers."""
    from ombuds.register.models import Credential, CredentialProgram, Person

    program = CredentialProgram.objects.create(
        organization=other_body, code="cesp", name="CESP", abbreviation="CESP"
    )
    holder = Person.objects.create(organization=other_body, given_name="Hol", family_name="Der")
    Credential.objects.create(program=program, holder=holder, number="CESP-1", status="active")
    chair = django_user_model.objects.create_user("oscar")
    BodyRole.objects.create(user=chair, organization=other_body, role="ethics_chair")
    staff = django_user_model.objects.create_user("otto")
    BodyRole.objects.create(user=staff, organization=other_body, role="staff")
    case = services.case_file(
        organization=other_body,
        complaint=services.Complaint(
            what_happened="x", respondent_person=holder, complainant_name="Lee"
        ),
    ).case
    case = _take(case, chair, "acknowledge")
    for user, expected in (
        (chair, {"dismiss", "request_cooperation"}),
        (staff, {"request_cooperation"}),
    ):
        client.force_login(user)
        html = client.get(f"/staff/other/cases/{case.reference}/").content.decode()
        assert set(re.findall(r'value="step:(\w+)"', html)) == expected


def test_documents_are_not_served_across_cases_even_to_a_superuser(client, world):
    other_doc = services.document_add(
        case=world["other_case"],
        name="o.pdf",
        data=PDF,
        kind="evidence",
        acting_user=world["users"]["superuser"],
    )
    client.force_login(world["users"]["superuser"])
    case = world["case"]
    response = client.get(f"/staff/guild/cases/{case.reference}/documents/{other_doc.token}")
    assert response.status_code == 404
    assert Document.objects.count() == 2
