"""Linking the respondent at each door (the case page and its respondent page, the staff API, the
command line), for each role; and the suggestions made on filing, seen by the body's people only,
never by the complainant, the respondent or the public."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ombuds.cases import services
from ombuds.cases.models import Case
from ombuds.register.models import Credential, Person
from ombuds.register.tokens import token_create
from tests.cases.conftest import case_events, file_case, take

pytestmark = pytest.mark.django_db

REASON = "The complainant's description matches her entry."


@pytest.fixture
def bea(espcc) -> Person:
    person = Person.objects.create(
        organization=espcc.org,
        given_name="Beatrice",
        family_name="Weiss",
        city="Springfield",
        email="bea@cesp.example",
    )
    Credential.objects.create(
        program=espcc.credential.program,
        holder=person,
        number="CESP-2001",
        status="active",
        issued_on=dt.date(2023, 1, 5),
        expires_on=espcc.credential.expires_on,
    )
    return person


@pytest.fixture
def case(espcc, bea) -> Case:
    """The reproduction: "Bea Weiss", no number, acknowledged; the recused member recused."""
    filed = file_case(espcc, respondent_person=None, respondent_name="Bea Weiss", recuse=True)
    return take(filed, "acknowledge", espcc.chair)


def page(body, case) -> str:
    return reverse("cases_staff:case", kwargs={"org": body.org.slug, "reference": case.reference})


def respondent_page(body, case) -> str:
    return reverse(
        "cases_staff:case_respondent", kwargs={"org": body.org.slug, "reference": case.reference}
    )


# --- the pages ------------------------------------------------------------------------------------


def test_staff_see_the_suggestion_link_it_and_read_what_changed(client, espcc, case, bea):
    client.force_login(espcc.staff)
    shown = client.get(page(espcc, case)).content.decode()
    assert "Possible register matches" in shown and "Beatrice Weiss" in shown
    assert "CESP CESP-2001 (active)" in shown
    chosen = client.get(respondent_page(espcc, case), {"person": bea.pk})
    assert chosen.status_code == 200
    assert "Link Beatrice Weiss as the respondent" in chosen.content.decode()
    response = client.post(
        respondent_page(espcc, case),
        {"version": case.version, "person": bea.pk, "reason": REASON},
        follow=True,
    )
    text = response.content.decode()
    assert response.redirect_chain[-1][0] == page(espcc, case)
    assert "Steps now open: Ask the holder to cooperate" in text
    assert "No longer open: Refer to another authority" in text
    case.refresh_from_db()
    assert case.respondent_person == bea
    assert services.facts(case)["respondent_is_member"]


def test_the_search_finds_people_by_name_and_number_and_agencies(client, espcc, case, bea):
    client.force_login(espcc.chair)
    by_name = client.get(respondent_page(espcc, case), {"q": "weiss"}).content.decode()
    assert "Beatrice Weiss" in by_name and "Springfield" in by_name
    by_number = client.get(respondent_page(espcc, case), {"q": "cesp 1234"}).content.decode()
    by_number = by_number.split("Search the register")[-1]  # the results, not the suggestions
    assert "Jordan Holder" in by_number and "Beatrice Weiss" not in by_number
    none = client.get(respondent_page(espcc, case), {"q": "Nobody Here"}).content.decode()
    assert "Nobody in ESPCC's register matches" in none


def test_a_form_without_reason_answers_400_and_changes_nothing(client, espcc, case, bea):
    client.force_login(espcc.staff)
    response = client.post(
        respondent_page(espcc, case), {"version": case.version, "person": bea.pk, "reason": ""}
    )
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    case.refresh_from_db()
    assert case.respondent_person is None


def test_a_stale_form_is_refused(client, espcc, case, bea):
    client.force_login(espcc.staff)
    response = client.post(
        respondent_page(espcc, case), {"version": case.version - 1, "person": bea.pk, "reason": "x"}
    )
    assert response.status_code == 400
    assert "changed since this page was opened" in response.content.decode()


def test_unlinking_from_the_page(client, espcc):
    case = file_case(espcc)
    client.force_login(espcc.admin)
    response = client.post(
        respondent_page(espcc, case), {"version": case.version, "reason": REASON}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.respondent_person is None
    assert case_events(case)[-1] == "case.respondent_unlinked"


@pytest.mark.parametrize(
    "who,get_status,post_status",
    [
        ("ethics_chair", 200, 302),
        ("investigator", 200, 302),
        ("staff", 200, 302),
        ("administrator", 200, 302),
        ("committee_member", 403, 403),
        ("recused_member", 404, 404),
    ],
)
def test_who_may_link_on_the_page(client, espcc, case, bea, who, get_status, post_status):
    client.force_login(espcc.people[who])
    assert client.get(respondent_page(espcc, case)).status_code == get_status
    posted = client.post(
        respondent_page(espcc, case), {"version": case.version, "person": bea.pk, "reason": REASON}
    )
    assert posted.status_code == post_status
    case.refresh_from_db()
    assert (case.respondent_person == bea) == (post_status == 302)


def test_the_committee_sees_the_suggestion_without_a_link(client, espcc, case):
    client.force_login(espcc.committee)
    shown = client.get(page(espcc, case)).content.decode()
    assert "Beatrice Weiss" in shown
    assert respondent_page(espcc, case) not in shown


def test_another_bodys_staff_and_the_anonymous(client, espcc, csec, case, bea):
    assert client.get(respondent_page(espcc, case)).status_code == 302  # to sign in
    client.force_login(csec.staff)
    assert client.get(respondent_page(espcc, case)).status_code == 403  # no role on ESPCC
    own_body = reverse(
        "cases_staff:case_respondent", kwargs={"org": csec.org.slug, "reference": case.reference}
    )
    assert client.get(own_body).status_code == 404
    assert client.post(own_body, {"version": 1, "person": bea.pk, "reason": "x"}).status_code == 404


# --- never shown to the parties or the public ------------------------------------------------------


def test_suggestions_never_reach_the_complainant_the_respondent_or_the_public(client, espcc, bea):
    anonymous = services.case_file(
        organization=espcc.org,
        complaint=services.Complaint(
            what_happened="She was rude to me.",
            respondent_name="Bea Weiss",
            anonymous=True,
            passphrase="correct horse battery",
            provisions=[espcc.provision("3.2")],
        ),
    )
    assert anonymous.case.respondent_suggestions.exists()
    followup = client.post(
        reverse("cases:followup", kwargs={"org": espcc.org.slug}),
        {"receipt_code": anonymous.receipt_code, "passphrase": "correct horse battery"},
        follow=True,
    )
    assert followup.status_code == 200
    assert "Beatrice" not in followup.content.decode()
    api = client.post(
        f"/api/v1/bodies/{espcc.org.slug}/complaints",
        {
            "what_happened": "She shouted at me.",
            "respondent_name": "Bea Weiss",
            "respondent_kind": "person",
            "complainant_name": "Pat Doe",
        },
        content_type="application/json",
    )
    assert api.status_code == 201
    assert "Beatrice" not in api.content.decode() and "Weiss" not in api.content.decode()
    filed = Case.objects.get(reference=api.json()["reference"])
    assert filed.respondent_person is None and filed.respondent_suggestions.exists()
    # The respondent reads the case through their link once notified: nothing of the suggestions.
    take(filed, "acknowledge", espcc.chair)
    services.respondent_link(
        case=filed, person=bea, reason=REASON, acting_user=espcc.staff, expected_version=None
    )
    filed.refresh_from_db()
    filed.allegations.update(verbatim=False)  # drafted by the body
    take(filed, "request_cooperation", espcc.chair)
    token = filed.notices.get(recipient_role="respondent").link_token
    respondent = client.get(reverse("cases:respondent", kwargs={"token": token}))
    assert respondent.status_code == 200
    assert "Possible register matches" not in respondent.content.decode()


# --- the API --------------------------------------------------------------------------------------


def api_path(body, case) -> str:
    return f"/api/v1/bodies/{body.org.slug}/cases/{case.reference}/respondent"


def bearer(user, body, scopes=None) -> dict:
    token = token_create(user=user, organization=body.org, name="sync", scopes=scopes)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_api_searches_and_links(client, espcc, case, bea):
    headers = bearer(espcc.staff, espcc)
    read = client.get(api_path(espcc, case), {"q": "Weiss"}, **headers)
    assert read.status_code == 200
    body = read.json()
    assert body["respondent"] is None
    assert [c["name"] for c in body["suggested"]] == ["Beatrice Weiss"]
    assert body["results"][0]["holds"] == ["CESP CESP-2001 (active)"]
    put = client.put(
        api_path(espcc, case),
        {"person_id": bea.pk, "reason": REASON, "expected_version": case.version},
        content_type="application/json",
        **headers,
    )
    assert put.status_code == 200, put.content
    assert put.json()["respondent_is_member"] is True
    assert "Ask the holder to cooperate" in put.json()["steps_opened"]
    stale = client.put(
        api_path(espcc, case),
        {"reason": REASON, "expected_version": case.version},
        content_type="application/json",
        **headers,
    )
    assert stale.status_code == 409


def test_the_api_refusals(client, espcc, csec, case, bea):
    headers = bearer(espcc.staff, espcc)

    def put(data, **kwargs):
        return client.put(
            api_path(espcc, case),
            {"expected_version": case.version, "reason": REASON, **data},
            content_type="application/json",
            **(kwargs or headers),
        )

    assert put({"person_id": bea.pk, "reason": " "}).status_code == 400
    assert put({"person_id": 999999}).status_code == 404  # no such person
    assert put({"agency_id": csec.member_agency.pk}).status_code == 404  # another body's
    assert put({"person_id": bea.pk, "agency_id": 1}).status_code == 400
    assert put({"person_id": bea.pk}, HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert put({"person_id": bea.pk}, **bearer(csec.staff, csec)).status_code == 403
    read_only = bearer(espcc.admin, espcc, scopes=["cases:read"])
    assert client.get(api_path(espcc, case), **read_only).status_code == 200
    assert put({"person_id": bea.pk}, **read_only).status_code == 403
    case.refresh_from_db()
    assert case.respondent_person is None


def test_the_api_hides_a_case_from_the_recused(client, espcc, case, django_user_model):
    from ombuds.bodies.models import BodyRole

    rex = django_user_model.objects.create_user("rex-staff", "rex@example.org")
    BodyRole.objects.create(user=rex, organization=espcc.org, role="staff")
    services.recusal_record(case=case, user=rex, reason="Conflict", acting_user=espcc.chair)
    assert client.get(api_path(espcc, case), **bearer(rex, espcc)).status_code == 404


# --- the command line -----------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("cases", *args, stdout=out)
    return out.getvalue()


def test_the_command_links_and_unlinks(espcc, case, bea):
    said = run(
        "link", case.reference, "--person", str(bea.pk), "--reason", REASON, "--as",
        espcc.investigator.username, "--expected-version", str(case.version),
    )  # fmt: skip
    assert "Steps now open: Ask the holder to cooperate" in said
    said = run("link", case.reference, "--unlink", "--reason", REASON, "--as", espcc.staff.username)
    assert "not linked to the register" in said
    assert case_events(case)[-2:] == ["case.respondent_linked", "case.respondent_unlinked"]


@pytest.mark.parametrize(
    "who,refusal",
    [("committee_member", "only the"), ("recused_member", "no case")],
)
def test_the_command_refuses_who_may_not(espcc, case, bea, who, refusal):
    with pytest.raises(CommandError, match=refusal):
        run(
            "link", case.reference, "--person", str(bea.pk), "--reason", REASON,
            "--as", espcc.people[who].username,
        )  # fmt: skip


def test_the_command_refuses_bad_input_in_one_line(espcc, csec, case, bea):
    with pytest.raises(CommandError, match=r"no person .* in ESPCC's register"):
        run("link", case.reference, "--person", "999999", "--reason", "x", "--as", "espcc-staff")
    with pytest.raises(CommandError, match="changed since"):
        run(
            "link", case.reference, "--person", str(bea.pk), "--reason", REASON,
            "--as", "espcc-staff", "--expected-version", str(case.version - 1),
        )  # fmt: skip
    with pytest.raises(CommandError, match="no case"):
        run("link", case.reference, "--unlink", "--reason", "x", "--as", csec.staff.username)
