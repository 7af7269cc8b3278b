"""The body's review of its holders' conflict-of-interest disclosures (CESP 3.8), at every door:
the staff pages (list, filters, CSV, review), the API (disclosures:read, disclosures:write) and
`ombuds members disclosures list|review`. One service writes every review: the disclosure locked,
a stale review refused, the audit event written; a referral opens a case through cases' filing
service. The holder sees the outcome on their own page; nobody else's."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.bodies.models import BodyRole
from ombuds.cases.models import Case
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.members import disclosure_review as review_service
from ombuds.members import services
from ombuds.members.disclosure_review import Review, ReviewRefused, disclosure_review
from ombuds.members.models import Disclosure
from ombuds.register.models import Person
from ombuds.register.tokens import token_create
from tests.cases import conftest as case_fixtures

pytestmark = pytest.mark.django_db

espcc = case_fixtures.espcc
csec = case_fixtures.csec

LIST = "/staff/espcc/disclosures/holders/"
CSV = "/staff/espcc/disclosures/holders.csv"


def page(d: Disclosure) -> str:
    return f"/staff/espcc/disclosures/holders/{d.pk}/"


@pytest.fixture
def holder(espcc, django_user_model):
    """ESPCC's credential holder Jordan, with an account."""
    user = django_user_model.objects.create_user("jordan", "jordan@example.org", "pw")
    Person.objects.filter(pk=espcc.holder.pk).update(user=user)
    return user


def disclose(user, body, party="Acme Staffing", relationship="employment", **kwargs):
    return services.disclosure_save(
        user=user,
        organization=body.org,
        relationship=relationship,
        party_name=party,
        nature=kwargs.pop("nature", "I am paid by them to place their clients."),
        **kwargs,
    )


@pytest.fixture
def disclosure(espcc, holder):
    return disclose(holder, espcc)


def events(action: str) -> int:
    return Event.objects.filter(action=action).count()


# --- the service --------------------------------------------------------------------------------


def test_acknowledging_records_the_outcome_and_its_event(espcc, disclosure):
    done = disclosure_review(
        organization=espcc.org,
        disclosure=disclosure,
        review=Review("acknowledged", note="Thank you: keep it current."),
        acting_user=espcc.staff,
        expected_version=version_of(disclosure),
    )
    assert done.review == "acknowledged" and done.reviewed_by == espcc.staff
    assert done.review_note == "Thank you: keep it current." and done.reviewed_at
    event = Event.objects.get(action="disclosure.reviewed")
    assert event.data["outcome"] == "acknowledged" and event.data["previous"] == "pending"
    assert event.actor == espcc.staff
    assert verify().ok


def test_a_refusal_names_every_problem_and_writes_nothing(espcc, disclosure):
    with pytest.raises(ReviewRefused) as refused:
        disclosure_review(
            organization=espcc.org,
            disclosure=disclosure,
            review=Review("conditions", note="x" * 2001),
            acting_user=espcc.committee,
        )
    assert refused.value.problems == [
        "You do not review disclosures made to ESPCC.",
        "Say what the conditions are.",
        "Write the note in 2000 characters or fewer.",
    ]
    disclosure.refresh_from_db()
    assert disclosure.review == "pending" and events("disclosure.reviewed") == 0


def test_a_review_of_a_disclosure_changed_meanwhile_is_refused(espcc, holder, disclosure):
    read = version_of(disclosure)
    disclose(holder, espcc, disclosure=disclosure, nature="I now sit on their board.")
    with pytest.raises(ChangedMeanwhile):
        disclosure_review(
            organization=espcc.org,
            disclosure=disclosure,
            review=Review("acknowledged"),
            acting_user=espcc.staff,
            expected_version=read,
        )
    assert Disclosure.objects.get(pk=disclosure.pk).review == "pending"


def test_conditions_are_shown_to_the_holder_and_a_change_asks_for_another_look(
    client, espcc, holder, disclosure
):
    disclosure_review(
        organization=espcc.org,
        disclosure=disclosure,
        review=Review("conditions", conditions="Do not take clients Acme refers to you."),
        acting_user=espcc.chair,
    )
    client.force_login(holder)
    own = client.get("/me/espcc/disclosures/").content.decode()
    assert "Conditions set on" in own and "Do not take clients Acme refers to you." in own
    disclose(holder, espcc, disclosure=Disclosure.objects.get(pk=disclosure.pk), nature="Less.")
    changed = Disclosure.objects.get(pk=disclosure.pk)
    assert changed.changed_since_review and changed.review == "conditions"
    assert "the body will look at it again" in client.get("/me/espcc/disclosures/").content.decode()
    disclosure_review(
        organization=espcc.org,
        disclosure=changed,
        review=Review("acknowledged"),
        acting_user=espcc.staff,
    )
    again = Disclosure.objects.get(pk=disclosure.pk)
    assert not again.changed_since_review and again.review_conditions == ""


def test_a_referral_opens_a_case_about_the_holder_citing_the_provision(espcc, disclosure):
    done = disclosure_review(
        organization=espcc.org,
        disclosure=disclosure,
        review=Review(
            "referred", reason="Placing clients with a paying employer.", citations=["3.2"]
        ),
        acting_user=espcc.staff,
    )
    case = Case.objects.get()
    assert done.review_case == case and done.review == "referred"
    assert case.respondent_person == espcc.holder and case.channel == "staff"
    assert [p.citation for p in case.allegations.get().provisions.all()] == ["3.2"]
    assert "Placing clients with a paying employer." in case.what_happened
    assert "Acme Staffing" in case.what_happened
    assert Event.objects.get(action="disclosure.reviewed").data["case"] == case.reference
    with pytest.raises(ReviewRefused, match="already referred"):
        disclosure_review(
            organization=espcc.org,
            disclosure=done,
            review=Review("referred", reason="Again.", citations=["3.2"]),
            acting_user=espcc.staff,
        )
    assert Case.objects.count() == 1


def test_a_referral_cites_3_8_unless_told_and_is_refused_when_the_code_lacks_it(espcc, disclosure):
    with pytest.raises(ReviewRefused) as refused:
        disclosure_review(
            organization=espcc.org,
            disclosure=disclosure,
            review=Review("referred", reason="Conflict not managed."),
            acting_user=espcc.staff,
        )
    assert refused.value.problems == ["The code in force has no provision 3.8 to cite."]
    assert not Case.objects.exists() and events("disclosure.reviewed") == 0


def test_only_the_disclosures_of_people_in_the_register_are_listed(espcc, csec, holder, disclosure):
    own = disclose(espcc.committee, espcc, party="A neighbour")  # one of the body's people
    elsewhere = Person.objects.create(
        organization=csec.org, given_name="Ola", family_name="Other", user=holder
    )
    theirs = disclose(holder, csec, party="Someone at CSEC")
    assert elsewhere and list(review_service.disclosures_for_review(espcc.org)) == [disclosure]
    assert review_service.disclosure_for_review(espcc.org, own.pk) is None
    assert review_service.disclosure_for_review(espcc.org, theirs.pk) is None
    with pytest.raises(ReviewRefused, match="No such disclosure"):
        disclosure_review(
            organization=espcc.org,
            disclosure=theirs,
            review=Review("acknowledged"),
            acting_user=espcc.staff,
        )


# --- the pages ----------------------------------------------------------------------------------


@pytest.fixture
def other_admin(csec):
    return csec.admin


@pytest.mark.parametrize(
    "who, status",
    [
        ("anonymous", 302),
        ("holder", 403),
        ("committee", 403),
        ("investigator", 403),
        ("other_admin", 403),
        ("staff", 200),
        ("admin", 200),
        ("chair", 200),
        ("superuser", 200),
    ],
)
def test_who_opens_the_review_pages(
    client, espcc, holder, disclosure, other_admin, django_user_model, who, status
):
    users = {
        "holder": holder,
        "committee": espcc.committee,
        "investigator": espcc.investigator,
        "other_admin": other_admin,
        "staff": espcc.staff,
        "admin": espcc.admin,
        "chair": espcc.chair,
        "superuser": django_user_model.objects.create_superuser("root", "r@example.org", "pw"),
    }
    if who != "anonymous":
        client.force_login(users[who])
    for url in (LIST, CSV, page(disclosure)):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 200:
            assert "no-store" in response["Cache-Control"]
    posted = client.post(page(disclosure), {"outcome": "acknowledged", "version": "x"})
    assert posted.status_code == (status if status != 200 else 400)
    assert Disclosure.objects.get(pk=disclosure.pk).review == "pending"


def test_another_bodys_disclosure_answers_404(client, espcc, csec, holder):
    Person.objects.create(organization=csec.org, given_name="Jo", family_name="Two", user=holder)
    theirs = disclose(holder, csec)
    client.force_login(espcc.staff)
    assert client.get(page(theirs)).status_code == 404
    client.force_login(csec.staff)
    assert client.get(f"/staff/csec/disclosures/holders/{theirs.pk}/").status_code == 200


def test_staff_review_on_the_page_and_the_holder_sees_it(client, espcc, holder, disclosure):
    client.force_login(espcc.staff)
    response = client.get(page(disclosure))
    assert "Not reviewed yet" in response.content.decode()
    response = client.post(
        page(disclosure), {"outcome": "conditions", "version": version_of(disclosure)}
    )
    assert response.status_code == 400
    assert "Say what the conditions are." in response.content.decode()
    response = client.post(
        page(disclosure),
        {
            "outcome": "conditions",
            "conditions": "Tell each client referred by Acme.",
            "note": "Noted with thanks.",
            "version": version_of(disclosure),
        },
    )
    assert response.status_code == 302
    client.force_login(holder)
    mine = client.get(f"/me/espcc/disclosures/{disclosure.pk}/edit").content.decode()
    assert "Tell each client referred by Acme." in mine and "Noted with thanks." in mine


def test_a_stale_page_is_refused_and_shows_the_disclosure_as_it_is(
    client, espcc, holder, disclosure
):
    client.force_login(espcc.staff)
    read = version_of(disclosure)
    disclose(holder, espcc, disclosure=disclosure, nature="Now also a shareholder.")
    response = client.post(page(disclosure), {"outcome": "acknowledged", "version": read})
    assert response.status_code == 400
    body = response.content.decode()
    assert "changed since you read it" in body and "Now also a shareholder." in body
    assert version_of(Disclosure.objects.get(pk=disclosure.pk)) in body
    assert Disclosure.objects.get(pk=disclosure.pk).review == "pending"


def test_the_list_filters_and_exports(client, espcc, holder, django_user_model):
    other = django_user_model.objects.create_user("kim", "kim@example.org", "pw")
    Person.objects.create(
        organization=espcc.org, given_name="Kim", family_name="Lee", external_id="K-9", user=other
    )
    jordan = disclose(holder, espcc, party="=HYPERLINK(1)")
    kim = disclose(other, espcc, party="Kim's brother", relationship="family")
    Disclosure.objects.filter(pk=kim.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    disclosure_review(
        organization=espcc.org,
        disclosure=jordan,
        review=Review("acknowledged"),
        acting_user=espcc.staff,
    )
    client.force_login(espcc.staff)

    def shown(query: str) -> list[str]:
        body = client.get(LIST + query).content.decode()
        return [name for name in ("Jordan Holder", "Kim Lee") if name in body]

    assert shown("") == ["Jordan Holder", "Kim Lee"]
    assert shown("?relationship=family") == ["Kim Lee"]
    assert shown("?review=acknowledged") == ["Jordan Holder"]
    assert shown("?review=pending") == ["Kim Lee"]
    assert shown("?holder=K-9") == ["Kim Lee"]
    assert shown("?holder=jordan") == ["Jordan Holder"]
    since = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    assert shown(f"?made_from={since}") == ["Jordan Holder"]
    assert shown(f"?made_until={since}") == ["Kim Lee"]
    bad = client.get(LIST + "?made_from=yesterday&review=nonsense")
    assert bad.status_code == 400
    assert 'class="error-summary"' in bad.content.decode()

    csv_text = b"".join(client.get(CSV + "?relationship=employment").streaming_content).decode()
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,holder,holder_external_id,made_on,relationship,party_name")
    assert len(lines) == 2 and "Jordan Holder" in lines[1] and "'=HYPERLINK(1)" in lines[1]
    assert ",acknowledged," in lines[1]
    assert client.get(CSV + "?review=nonsense").status_code == 400


def test_the_list_page_runs_a_fixed_number_of_queries(
    client, espcc, django_user_model, django_assert_max_num_queries
):
    def add(n: int) -> None:
        for i in range(n):
            user = django_user_model.objects.create_user(f"h{i}-{n}", f"h{i}{n}@e.org", "pw")
            Person.objects.create(
                organization=espcc.org, given_name=f"H{i}", family_name=f"N{n}", user=user
            )
            review = disclose(user, espcc, party=f"Party {i}")
            if i % 2:
                disclosure_review(
                    organization=espcc.org,
                    disclosure=review,
                    review=Review("acknowledged"),
                    acting_user=espcc.staff,
                )

    client.force_login(espcc.staff)
    add(3)
    with django_assert_max_num_queries(12):
        assert client.get(LIST).status_code == 200
    add(30)
    with django_assert_max_num_queries(12):
        assert client.get(LIST).status_code == 200


# --- the API ------------------------------------------------------------------------------------


def token(user, body, scopes):
    return {
        "Authorization": "Bearer "
        + token_create(user=user, organization=body.org, name="t", scopes=scopes)[1]
    }


def test_the_api_lists_reads_and_reviews(client, espcc, csec, holder, disclosure):
    read = token(espcc.staff, espcc, ["disclosures:read"])
    write = token(espcc.admin, espcc, ["disclosures:write"])
    url = "/api/v1/bodies/espcc/disclosures"
    rows = client.get(url + "?review=pending", headers=read).json()
    assert [r["id"] for r in rows] == [disclosure.pk]
    assert rows[0]["holder_name"] == "Jordan Holder" and rows[0]["review"] == "pending"
    assert client.get(url + "?review=bogus", headers=read).status_code == 400
    one = client.get(f"{url}/{disclosure.pk}", headers=read).json()
    review = f"{url}/{disclosure.pk}/review"
    # Reading is not reviewing.
    assert client.post(review, {}, content_type="application/json", headers=read).status_code == 403
    refused = client.post(
        review, {"outcome": "conditions"}, content_type="application/json", headers=write
    )
    assert refused.status_code == 400 and refused.json()["detail"] == "Say what the conditions are."
    done = client.post(
        review,
        {"outcome": "acknowledged", "expected_version": one["version"]},
        content_type="application/json",
        headers=write,
    )
    assert done.status_code == 200 and done.json()["review"] == "acknowledged"
    stale = client.post(
        review,
        {"outcome": "acknowledged", "expected_version": one["version"]},
        content_type="application/json",
        headers=write,
    )
    assert stale.status_code == 409
    # Another body's token, and another body's disclosure.
    other = token(csec.admin, csec, ["disclosures:write"])
    assert client.get(url, headers=other).status_code == 403
    theirs = client.get(f"/api/v1/bodies/csec/disclosures/{disclosure.pk}", headers=other)
    assert theirs.status_code == 404


def test_the_api_refuses_a_token_whose_owner_no_longer_reviews(client, espcc, disclosure):
    headers = token(espcc.staff, espcc, ["disclosures:read"])
    BodyRole.objects.filter(user=espcc.staff).update(role="investigator")
    BodyRole.objects.create(user=espcc.staff, organization=espcc.org, role="staff")
    assert client.get("/api/v1/bodies/espcc/disclosures", headers=headers).status_code == 200
    BodyRole.objects.filter(user=espcc.staff, role="staff").delete()
    assert client.get("/api/v1/bodies/espcc/disclosures", headers=headers).status_code == 401


# --- the command line ---------------------------------------------------------------------------


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("members", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_the_command_lists_and_reviews(espcc, holder, disclosure):
    listed = run("disclosures", "list", "--org", "espcc", "--as", espcc.staff.username)
    assert f"{disclosure.pk}\t" in listed and "Jordan Holder" in listed and "Not reviewed" in listed
    exported = run("disclosures", "list", "--org", "espcc", "--as", "espcc-staff", "--csv")
    assert exported.splitlines()[0].startswith("id,holder,")
    said = run(
        "disclosures",
        "review",
        str(disclosure.pk),
        "--org",
        "espcc",
        "--as",
        "espcc-ethics-chair",
        "--outcome",
        "referred",
        "--reason",
        "Paid referrals.",
        "--cite",
        "3.2",
    )
    case = Case.objects.get()
    assert (
        said == f"Disclosure {disclosure.pk}: referred to a case; case {case.reference} opened.\n"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--as", "espcc-committee-member", "--outcome", "acknowledged"],
            "is not an administrator",
        ),
        (["--as", "nobody", "--outcome", "acknowledged"], "no user 'nobody'"),
        (["--as", "espcc-staff", "--outcome", "conditions"], "Say what the conditions are."),
        (
            ["--as", "espcc-staff", "--outcome", "acknowledged", "--expected-version", "old"],
            "changed since you read it",
        ),
    ],
    ids=["not-a-reviewer", "no-such-user", "refused", "stale"],
)
def test_the_command_refuses_in_one_line(espcc, disclosure, args, message):
    with pytest.raises(CommandError, match=message):
        run("disclosures", "review", str(disclosure.pk), "--org", "espcc", *args)
    assert Disclosure.objects.get(pk=disclosure.pk).review == "pending"


def test_the_command_does_not_find_another_bodys_disclosure(espcc, csec, holder):
    Person.objects.create(organization=csec.org, given_name="Jo", family_name="Two", user=holder)
    theirs = disclose(holder, csec)
    with pytest.raises(CommandError, match="no disclosure"):
        run(
            "disclosures",
            "review",
            str(theirs.pk),
            "--org",
            "espcc",
            "--as",
            "espcc-staff",
            "--outcome",
            "acknowledged",
        )


def test_the_holder_reads_the_review_through_their_own_api(client, espcc, holder, disclosure):
    disclosure_review(
        organization=espcc.org,
        disclosure=disclosure,
        review=Review("conditions", conditions="Tell each client.", note="Noted."),
        acting_user=espcc.staff,
    )
    secret = token_create(user=holder, organization=espcc.org, name="me", scope="member")[1]
    rows = client.get("/api/v1/me/disclosures", headers={"Authorization": f"Bearer {secret}"})
    (row,) = rows.json()
    assert row["review"] == "conditions" and row["review_conditions"] == "Tell each client."
    assert row["review_note"] == "Noted." and row["reviewed_at"]
