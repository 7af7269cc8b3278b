"""The holder's recertification pages under /me/<body>/recertification/: their own cycles only (another
holder's, and anyone else's, answer 404), progress by category, activities sent with evidence, the
evidence an audit asks for, the cycle submitted; every form's errors at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.core.changes import version_of
from ombuds.register import recert_audit
from ombuds.register import recertification as recert
from ombuds.register.models import (
    Activity,
    Credential,
    CredentialProgram,
    Person,
    RecertificationCycle,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def program(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        required_units=Decimal("10"),
        unit_categories={"ethics": 2, "practice": 6},
    )


def _holder(program, django_user_model, username: str, number: str):
    user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw")
    person = Person.objects.create(
        organization=program.organization, given_name=username.title(), family_name="H", user=user
    )
    credential = Credential.objects.create(
        program=program,
        holder=person,
        number=number,
        status="active",
        issued_on=dt.date(2024, 1, 1),
        expires_on=dt.date(2027, 1, 1),
    )
    return user, recert.cycle_open(credential=credential)


@pytest.fixture
def wen(program, django_user_model):
    return _holder(program, django_user_model, "wen", "CGP-1")


@pytest.fixture
def ola(program, django_user_model):
    return _holder(program, django_user_model, "ola", "CGP-2")


def pdf(name: str = "certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 attended", content_type="application/pdf")


def url(name: str, org: str = "guild", **kwargs) -> str:
    return reverse(f"me:{name}", kwargs={"org": org, **kwargs})


def _send(client, cycle, **fields):
    data = {
        "activity-category": "practice",
        "activity-title": "Trauma-informed interviewing",
        "activity-provider": "Guild Academy",
        "activity-completed_on": "2025-05-01",
        "activity-units": "8",
        **{f"activity-{k}": v for k, v in fields.items()},
    }
    return client.post(url("recert_activity_new", pk=cycle.pk), data)


def _submit(client, cycle, *, version: str | None = None, confirm: bool = True):
    cycle = RecertificationCycle.objects.get(pk=cycle.pk)
    data = {"submit-version": version or version_of(cycle)}
    if confirm:
        data["submit-confirm"] = "on"
    return client.post(url("recert_submit", pk=cycle.pk), data)


def _activity(cycle, holder, *, evidence=None, category="practice", units="8", title="Workshop"):
    return recert.activity_submit(
        cycle=cycle,
        category=category,
        title=title,
        units=Decimal(units),
        completed_on=dt.date(2025, 5, 1),
        evidence=evidence,
        acting_user=holder,
        as_holder=True,
    )


# --- who sees what -------------------------------------------------------------------------------


def test_the_holder_sees_their_cycles_and_progress_by_category(client, wen, ola):
    user, cycle = wen
    _activity(cycle, user, units="4")
    client.force_login(user)
    html = client.get(url("recert")).content.decode()
    assert url("recert_cycle", pk=cycle.pk) in html
    assert url("recert_cycle", pk=ola[1].pk) not in html
    html = client.get(url("recert_cycle", pk=cycle.pk)).content.decode()
    assert "0 of 10 units approved, 4 awaiting review." in html
    assert (
        "Still needed, counting those awaiting review: 4 of 10 units; ethics: 0 of 2; "
        "practice: 4 of 6." in html
    )
    assert '<th scope="row">practice</th>' in html
    assert '<td data-label="Awaiting review">4</td>' in html
    assert '<table class="stack">' in html  # rows stack on a phone


def test_the_home_links_to_the_cycle(client, wen):
    user, cycle = wen
    client.force_login(user)
    html = client.get(reverse("me:home")).content.decode()
    assert url("recert_cycle", pk=cycle.pk) in html
    assert url("recert") in html


@pytest.mark.parametrize(
    "persona",
    [
        "other_holder",
        "body_staff",
        "body_admin",
        "other_body_admin",
        "committee_member",
        "signed_in_no_role",
        "superuser",
    ],
)
def test_nobody_else_opens_or_changes_a_holders_cycle(client, wen, ola, personas, persona):
    user, cycle = wen
    activity = _activity(cycle, user, evidence=pdf())
    bare = _activity(cycle, user, title="No evidence", category="ethics", units="2")
    client.force_login(ola[0] if persona == "other_holder" else personas[persona])
    for response in (
        client.get(url("recert_cycle", pk=cycle.pk)),
        client.get(url("recert_evidence", pk=activity.pk)),
        _send(client, cycle, title="Planted"),
        _submit(client, cycle),
        client.post(
            url("recert_evidence_add", pk=bare.pk), {f"evidence-{bare.pk}-evidence": pdf()}
        ),
    ):
        assert response.status_code == 404
    assert Activity.objects.filter(cycle=cycle).count() == 2
    bare.refresh_from_db()
    assert not bare.evidence
    assert RecertificationCycle.objects.get(pk=cycle.pk).submitted_at is None


def test_the_list_is_404_to_someone_who_holds_no_credential_there(client, personas, wen):
    client.force_login(personas["signed_in_no_role"])
    assert client.get(url("recert")).status_code == 404
    assert client.get(url("recert", org="nope")).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, wen):
    _user, cycle = wen
    for response in (client.get(url("recert")), client.get(url("recert_cycle", pk=cycle.pk))):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _send(client, cycle).status_code == 302
    assert not Activity.objects.exists()


def test_a_holder_of_another_body_finds_nothing_through_it(client, wen, other_body):
    user, cycle = wen
    client.force_login(user)
    assert client.get(url("recert", org="other")).status_code == 404
    assert client.get(url("recert_cycle", org="other", pk=cycle.pk)).status_code == 404


def test_the_pages_are_kept_by_no_cache(client, wen):
    user, cycle = wen
    client.force_login(user)
    response = client.get(url("recert_cycle", pk=cycle.pk))
    assert "no-store" in response["Cache-Control"]


# --- sending activities and evidence ---------------------------------------------------------


def test_the_holder_sends_an_activity_with_evidence(client, wen, settings):
    user, cycle = wen
    client.force_login(user)
    response = _send(client, cycle, evidence=pdf())
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("recert_cycle", pk=cycle.pk) + f"#activity-{activity.pk}"
    assert (activity.review, activity.units) == ("submitted", Decimal(8))
    assert Event.objects.get(action="register.activity_submitted").actor == user
    download = client.get(url("recert_evidence", pk=activity.pk))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 attended"
    assert download["Content-Disposition"] == 'attachment; filename="certificate.pdf"'


def test_the_activity_form_shows_every_error_at_once(client, wen):
    user, cycle = wen
    client.force_login(user)
    response = client.post(
        url("recert_activity_new", pk=cycle.pk),
        {"activity-category": "cooking", "activity-evidence": SimpleUploadedFile("x.pdf", b"hi")},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert '<div class="error-summary" role="alert" tabindex="-1"' in html
    # category, title, completed on, units, evidence
    assert html.count('class="error-text" id="id_activity-') == 5
    assert "The file x.pdf is named as .pdf but its content is plain text" in html
    assert "<title>Error: " in html
    assert not Activity.objects.exists()


def test_a_submitted_cycle_takes_no_more_activities(client, wen):
    user, cycle = wen
    _activity(cycle, user, units="8")
    _activity(cycle, user, category="ethics", units="2", title="Ethics")
    client.force_login(user)
    assert _submit(client, cycle).status_code == 302
    html = client.get(url("recert_cycle", pk=cycle.pk)).content.decode()
    assert "awaiting the body's decision" in html
    assert url("recert_activity_new", pk=cycle.pk) not in html
    response = _send(client, cycle, title="Late")
    assert response.status_code == 400
    assert (
        "You have submitted this cycle: it takes no more activities." in response.content.decode()
    )


def test_the_holder_adds_the_evidence_an_audit_asks_for(client, wen, personas, program):
    user, cycle = wen
    bare = _activity(cycle, user, units="8")
    _activity(cycle, user, category="ethics", units="2", title="Ethics", evidence=pdf())
    recert.cycle_submit(cycle=cycle, acting_user=user, as_holder=True)
    recert_audit.audit_draw(program=program, fraction="1", acting_user=personas["body_staff"])
    client.force_login(user)
    html = client.get(url("recert_cycle", pk=cycle.pk)).content.decode()
    assert "Your cycle was drawn for audit." in html
    assert url("recert_evidence_add", pk=bare.pk) in html
    field = f"evidence-{bare.pk}-evidence"
    response = client.post(url("recert_evidence_add", pk=bare.pk), {field: pdf("notes.pdf")})
    assert response.status_code == 302
    bare.refresh_from_db()
    assert bare.evidence.name.endswith("notes.pdf")
    html = client.get(url("recert_cycle", pk=cycle.pk)).content.decode()
    assert url("recert_evidence_add", pk=bare.pk) not in html


def test_evidence_sent_without_a_file_is_refused_with_the_reason(client, wen):
    user, cycle = wen
    bare = _activity(cycle, user)
    client.force_login(user)
    response = client.post(url("recert_evidence_add", pk=bare.pk), {})
    assert response.status_code == 400
    assert f'href="#id_evidence-{bare.pk}-evidence"' in response.content.decode()


# --- submitting the cycle --------------------------------------------------------------------


def test_the_holder_submits_the_cycle_once_it_is_covered(client, wen):
    user, cycle = wen
    _activity(cycle, user, units="8")
    client.force_login(user)
    html = client.get(url("recert_cycle", pk=cycle.pk)).content.decode()
    assert "You can submit the cycle once the activities you sent cover the requirements." in html
    assert url("recert_submit", pk=cycle.pk) not in html
    response = _submit(client, cycle)
    assert response.status_code == 400
    assert (
        "The activities sent do not cover the requirements yet: 8 of 10 units; ethics: 0 of 2."
        in (response.content.decode())
    )
    _activity(cycle, user, category="ethics", units="2", title="Ethics")
    assert (
        url("recert_submit", pk=cycle.pk)
        in client.get(url("recert_cycle", pk=cycle.pk)).content.decode()
    )
    response = _submit(client, cycle, confirm=False)
    assert response.status_code == 400
    assert "Confirm that the activities are accurate and complete." in response.content.decode()
    assert _submit(client, cycle).status_code == 302
    submitted = RecertificationCycle.objects.get(pk=cycle.pk)
    assert submitted.submitted_by == user
    assert Event.objects.get(action="register.cycle_submitted").actor == user


def test_a_submission_from_a_stale_page_is_refused(client, wen):
    user, cycle = wen
    _activity(cycle, user, units="8")
    _activity(cycle, user, category="ethics", units="2", title="Ethics")
    stale = version_of(RecertificationCycle.objects.get(pk=cycle.pk))
    RecertificationCycle.objects.get(pk=cycle.pk).save()
    client.force_login(user)
    response = _submit(client, cycle, version=stale)
    assert response.status_code == 400
    assert "The cycle changed since you opened the page" in response.content.decode()
    assert RecertificationCycle.objects.get(pk=cycle.pk).submitted_at is None


def test_the_cycle_page_keeps_a_fixed_number_of_queries(client, wen, django_assert_max_num_queries):
    user, cycle = wen
    for n in range(12):
        _activity(cycle, user, units="1", title=f"Session {n}", evidence=pdf() if n % 2 else None)
    client.force_login(user)
    with django_assert_max_num_queries(8):
        assert client.get(url("recert_cycle", pk=cycle.pk)).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(url("recert")).status_code == 200
