"""The staff recertification pages: who may open them and the evidence, recording and reviewing
activities, closing a cycle, and the first cycle a certification opens by itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ombuds.register import recertification as recert
from ombuds.register.models import (
    Activity,
    Credential,
    CredentialProgram,
    Person,
    RecertificationCycle,
)
from ombuds.register.services import credential_transition

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)
ISSUED = dt.date(2024, 1, 1)
EXPIRES = dt.date(2027, 1, 1)
STAFF = {"body_staff", "body_admin", "superuser"}
PERSONAS = [
    "public",
    "signed_in_no_role",
    "committee_member",
    "other_body_admin",
    "body_staff",
    "body_admin",
    "superuser",
]


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
        cycle_months=36,
        required_units=Decimal("10"),
        unit_categories={"ethics": 2, "practice": 6},
    )


@pytest.fixture
def credential(make_credential) -> Credential:
    return make_credential("active", issued_on=ISSUED, expires_on=EXPIRES)


@pytest.fixture
def cycle(credential) -> RecertificationCycle:
    return recert.cycle_open(credential=credential)


def _pdf(
    name: str = "certificate.pdf", content: bytes = b"%PDF-1.4 attended"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def submit(cycle, *, category="practice", units="4", title="Workshop", evidence=None) -> Activity:
    return recert.activity_submit(
        cycle=cycle,
        category=category,
        title=title,
        units=Decimal(units),
        completed_on=dt.date(2025, 5, 1),
        evidence=evidence,
    )


@pytest.fixture
def activity(cycle) -> Activity:
    return submit(cycle, evidence=_pdf())


@pytest.fixture
def foreign_activity(other_body) -> Activity:
    """An activity, with evidence, on a credential of another body."""
    program = CredentialProgram.objects.create(
        organization=other_body,
        code="ocp",
        name="Other Council Practitioner",
        abbreviation="OCP",
        required_units=Decimal("5"),
    )
    holder = Person.objects.create(organization=other_body, given_name="Ola", family_name="Berg")
    credential = Credential.objects.create(
        program=program,
        holder=holder,
        number="OCP-1",
        status="active",
        issued_on=ISSUED,
        expires_on=EXPIRES,
    )
    return submit(recert.cycle_open(credential=credential), category="any", evidence=_pdf())


@pytest.fixture
def staff(client, personas):
    client.force_login(personas["body_staff"])
    return client


def _url(name: str, org: str = "guild", **kwargs) -> str:
    return reverse(f"register_staff:{name}", kwargs={"org": org, **kwargs})


def _record(client, cycle, **fields):
    data = {
        "activity-category": "practice",
        "activity-title": "Trauma-informed interviewing",
        "activity-provider": "Guild Academy",
        "activity-completed_on": "2025-05-01",
        "activity-units": "4",
        **{f"activity-{k}": v for k, v in fields.items()},
    }
    return client.post(_url("activity_new", pk=cycle.pk), data)


def _review(client, activity, decision: str, reason: str = "", org: str = "guild"):
    prefix = f"review-{activity.pk}"
    return client.post(
        _url("activity_review", org=org, pk=activity.pk),
        {f"{prefix}-decision": decision, f"{prefix}-reason": reason},
    )


def _close(client, cycle, outcome: str, reason: str = ""):
    return client.post(
        _url("cycle_close", pk=cycle.pk), {"close-outcome": outcome, "close-reason": reason}
    )


def _evidence_files(settings) -> list:
    root = settings.MEDIA_ROOT / "evidence"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- who may open what ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_bodys_staff_open_the_recertification_pages_and_evidence(
    client, personas, credential, cycle, activity, persona
):
    user = personas[persona]
    if user is not None:
        client.force_login(user)
    for url in [
        _url("credential", pk=credential.pk),
        _url("cycle", pk=cycle.pk),
        _url("cycle_open", pk=credential.pk),
        _url("activity_evidence", pk=activity.pk),
    ]:
        response = client.get(url)
        if user is None:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        else:
            assert response.status_code == (200 if persona in STAFF else 403), url


@pytest.mark.parametrize(
    "persona", ["public", "signed_in_no_role", "committee_member", "other_body_admin"]
)
def test_nobody_without_the_role_reviews_records_or_closes(
    client, personas, cycle, activity, persona, settings
):
    user = personas[persona]
    if user is not None:
        client.force_login(user)
    files_before = _evidence_files(settings)
    responses = [
        _review(client, activity, "approve"),
        _record(client, cycle, evidence=_pdf("other.pdf")),
        _close(client, cycle, "exempt", "Illness"),
        client.post(_url("cycle_open", pk=cycle.credential_id)),
    ]
    for response in responses:
        assert response.status_code == (302 if user is None else 403)
    activity.refresh_from_db()
    cycle.refresh_from_db()
    assert activity.review == "submitted" and cycle.outcome == "open"
    assert Activity.objects.count() == 1 and _evidence_files(settings) == files_before


def test_another_bodys_staff_find_nothing_through_their_own_body(
    client, personas, cycle, activity, foreign_activity
):
    """Staff of the other body, asking through their own body, get 404: nothing says it exists."""
    client.force_login(personas["other_body_admin"])
    assert client.get(_url("cycle", org="other", pk=cycle.pk)).status_code == 404
    assert client.get(_url("activity_evidence", org="other", pk=activity.pk)).status_code == 404
    assert _review(client, activity, "approve", org="other").status_code == 404
    activity.refresh_from_db()
    assert activity.review == "submitted"
    # Their own body's evidence they can read; and our staff cannot read theirs.
    assert (
        client.get(_url("activity_evidence", org="other", pk=foreign_activity.pk)).status_code
        == 200
    )
    client.force_login(personas["body_staff"])
    assert client.get(_url("activity_evidence", pk=foreign_activity.pk)).status_code == 404
    assert client.get(_url("cycle", pk=foreign_activity.cycle_id)).status_code == 404
    assert _review(client, foreign_activity, "approve").status_code == 404
    foreign_activity.refresh_from_db()
    assert foreign_activity.review == "submitted"


def test_evidence_is_a_download_that_is_never_sniffed(staff, activity):
    response = staff.get(_url("activity_evidence", pk=activity.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 attended"
    assert response["Content-Disposition"] == 'attachment; filename="certificate.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_an_activity_without_evidence_has_none_to_download(staff, cycle):
    bare = submit(cycle)
    assert staff.get(_url("activity_evidence", pk=bare.pk)).status_code == 404


# --- the credential page --------------------------------------------------------------------


def test_the_credential_page_lists_the_cycles_with_their_progress(staff, credential, cycle):
    recert.activity_review(activity=submit(cycle, units="4"), approve=True)
    submit(cycle, category="ethics", units="1.5")
    html = staff.get(_url("credential", pk=credential.pk)).content.decode()
    assert '<h2 id="recertification">Recertification</h2>' in html
    assert _url("cycle", pk=cycle.pk) in html
    assert "1 Jan 2024 to 1 Jan 2027" in html
    assert '<td data-label="Approved">4</td>' in html
    assert '<td data-label="Awaiting review">1.5</td>' in html
    assert '<td data-label="Required">10</td>' in html
    assert "ethics: 0 of 2; practice: 4 of 6" in html
    # One cycle is open: no second one is offered.
    assert _url("cycle_open", pk=credential.pk) not in html


def test_staff_open_a_cycle_from_the_credential_page_once(staff, credential):
    html = staff.get(_url("credential", pk=credential.pk)).content.decode()
    assert "No recertification cycle yet." in html
    assert f'action="{_url("cycle_open", pk=credential.pk)}"' in html
    response = staff.post(_url("cycle_open", pk=credential.pk), {"cycle-starts_on": ""})
    cycle = RecertificationCycle.objects.get(credential=credential)
    assert response.status_code == 302 and response["Location"] == _url("cycle", pk=cycle.pk)
    assert (cycle.starts_on, cycle.due_on, cycle.required_units) == (ISSUED, EXPIRES, Decimal(10))
    # The form sent a second time (or from a page opened before) says so, and opens nothing.
    response = staff.post(_url("cycle_open", pk=credential.pk), {"cycle-starts_on": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert f"Credential {credential.number} already has an open cycle." in html
    assert _url("cycle", pk=cycle.pk) in html
    assert RecertificationCycle.objects.filter(credential=credential).count() == 1


def test_a_cycle_is_not_opened_on_a_credential_that_is_not_active(staff, make_credential):
    inactive = make_credential("inactive", issued_on=ISSUED, expires_on=EXPIRES)
    html = staff.get(_url("credential", pk=inactive.pk)).content.decode()
    assert "A cycle can be opened only while the credential is active." in html
    response = staff.post(_url("cycle_open", pk=inactive.pk), {"cycle-starts_on": ""})
    assert response.status_code == 400
    assert "is inactive, not active" in response.content.decode()
    assert not RecertificationCycle.objects.exists()


def test_a_start_after_the_expiry_is_refused_with_the_reason(staff, credential):
    response = staff.post(_url("cycle_open", pk=credential.pk), {"cycle-starts_on": "2027-02-01"})
    assert response.status_code == 400
    assert "The cycle would be due before it starts." in response.content.decode()
    assert not RecertificationCycle.objects.exists()


# --- recording an activity ------------------------------------------------------------------


def test_staff_record_an_activity_with_its_evidence(staff, cycle, settings, personas):
    response = _record(staff, cycle, evidence=_pdf())
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("cycle", pk=cycle.pk) + f"#activity-{activity.pk}"
    assert (activity.title, activity.provider, activity.units, activity.review) == (
        "Trauma-informed interviewing",
        "Guild Academy",
        Decimal(4),
        "submitted",
    )
    [stored] = _evidence_files(settings)
    # Ciphertext on disk (ombuds.core.encrypted), the uploaded bytes through the storage.
    assert b"attended" not in stored.read_bytes()
    name = stored.relative_to(settings.MEDIA_ROOT).as_posix()
    with default_storage.open(name) as f:
        assert f.read() == b"%PDF-1.4 attended"
    assert str(stored).startswith(str(settings.MEDIA_ROOT / "evidence" / "guild"))
    html = staff.get(_url("cycle", pk=cycle.pk)).content.decode()
    assert "Trauma-informed interviewing" in html and "Guild Academy" in html
    assert _url("activity_evidence", pk=activity.pk) in html
    assert "Awaiting review" in html


def test_the_record_form_offers_the_cycles_categories_and_sends_files(staff, cycle):
    html = staff.get(_url("cycle", pk=cycle.pk)).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert '<option value="ethics">ethics</option>' in html
    assert '<option value="practice">practice</option>' in html
    assert '<label for="id_activity-evidence">Evidence' in html


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        (
            SimpleUploadedFile("run.exe", b"MZ\x90\x00"),
            "The file run.exe is not one of the formats taken (PDF, PNG image, JPEG image, plain text, "
            "Word document, OpenDocument text).",
        ),
        (
            SimpleUploadedFile("certificate.pdf", b"attended"),
            "The file certificate.pdf is named as .pdf but its content is plain text",
        ),
        (
            SimpleUploadedFile("huge.pdf", b"0" * (recert.EVIDENCE_MAX_BYTES + 1)),
            "The evidence is larger than 10 MB.",
        ),
    ],
    ids=["type", "content", "size"],
)
def test_bad_evidence_is_refused_with_the_reason_and_nothing_is_written(
    staff, cycle, settings, evidence, message
):
    response = _record(staff, cycle, evidence=evidence)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'href="#id_activity-evidence"' in html  # the error summary leads to the field
    assert not Activity.objects.exists()
    assert _evidence_files(settings) == []


def test_the_record_form_shows_every_error_at_once(staff, cycle):
    response = staff.post(_url("activity_new", pk=cycle.pk), {"activity-category": "cooking"})
    html = response.content.decode()
    assert response.status_code == 400
    # category (not one of the cycle's), title, completed on, units
    assert html.count('class="error-text" id="id_activity-') == 4
    assert "There are problems" in html
    assert not Activity.objects.exists()


def test_an_activity_outside_the_cycle_or_in_the_future_is_refused(staff, cycle):
    response = _record(staff, cycle, completed_on="2026-06-02")
    assert response.status_code == 400
    assert "The date cannot be in the future." in response.content.decode()
    response = _record(staff, cycle, completed_on="2023-12-31")
    assert "must be completed within the cycle, 1 January 2024 to 1 January 2027" in (
        response.content.decode()
    )
    assert not Activity.objects.exists()


def test_a_record_form_sent_twice_records_the_activity_once(staff, cycle):
    assert _record(staff, cycle).status_code == 302
    response = _record(staff, cycle)
    assert response.status_code == 400
    assert "This activity is already recorded on this cycle" in response.content.decode()
    assert Activity.objects.count() == 1


def test_nothing_is_recorded_on_a_closed_cycle(staff, cycle):
    recert.cycle_close(cycle=cycle, outcome="non_compliant", reason="No units")
    response = _record(staff, cycle)
    assert response.status_code == 400
    assert "The cycle is closed (non-compliant)." in response.content.decode()
    assert not Activity.objects.exists()


# --- review ---------------------------------------------------------------------------------


def test_staff_approve_an_activity_and_its_units_count(staff, cycle, activity, personas):
    response = _review(staff, activity, "approve")
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.review, activity.reviewed_by) == ("approved", personas["body_staff"])
    assert recert.cycle_progress(cycle).earned == Decimal(4)
    html = staff.get(_url("cycle", pk=cycle.pk)).content.decode()
    assert '<td data-label="Review">Approved</td>' in html
    assert f'<td data-label="Reviewer">{personas["body_staff"]}, ' in html
    assert f'id="review-{activity.pk}"' not in html  # no longer awaiting review


def test_a_stale_second_approval_says_what_happened(staff, activity):
    assert _review(staff, activity, "approve").status_code == 302
    response = _review(staff, activity, "reject", "Not relevant")
    assert response.status_code == 400
    assert "“Workshop”: this activity was already approved." in response.content.decode()
    activity.refresh_from_db()
    assert (activity.review, activity.review_reason) == ("approved", "")


def test_a_rejection_needs_its_reason(staff, activity):
    response = _review(staff, activity, "reject", "  ")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Give the reason for rejecting; the holder reads it." in html
    assert f'href="#id_review-{activity.pk}-reason"' in html
    activity.refresh_from_db()
    assert activity.review == "submitted"


def test_staff_reject_an_activity_with_a_reason_the_page_shows(staff, cycle, activity):
    response = _review(staff, activity, "reject", "The course is not on ethics.")
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.review, activity.review_reason) == ("rejected", "The course is not on ethics.")
    html = staff.get(_url("cycle", pk=cycle.pk)).content.decode()
    assert '<td data-label="Reason">The course is not on ethics.</td>' in html


def test_a_review_without_a_decision_is_refused(staff, activity):
    response = staff.post(_url("activity_review", pk=activity.pk), {})
    assert response.status_code == 400
    assert "Choose Approve or Reject." in response.content.decode()


# --- closing the cycle ----------------------------------------------------------------------


def test_the_cycle_page_says_what_is_missing(staff, cycle, activity):
    recert.activity_review(activity=activity, approve=True)
    html = staff.get(_url("cycle", pk=cycle.pk)).content.decode()
    assert "cannot be closed as compliant" in html
    assert "<li>6 more approved units (4 of 10)</li>" in html
    assert "<li>ethics: 0 of 2 approved</li>" in html
    assert "<li>practice: 4 of 6 approved</li>" in html


def test_compliant_is_refused_while_the_requirements_are_not_met(
    staff, cycle, activity, credential
):
    recert.activity_review(activity=activity, approve=True)
    response = _close(staff, cycle, "compliant")
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        "Requirements not met: 4.0 of 10.0 units approved; ethics: 0 of 2; practice: 4.0 of 6."
        in html
    )
    cycle.refresh_from_db()
    credential.refresh_from_db()
    assert cycle.outcome == "open" and credential.expires_on == EXPIRES


def test_compliant_when_met_extends_the_credential_and_opens_the_next_cycle(
    staff, cycle, credential, personas
):
    for category, units in (("ethics", "2"), ("practice", "6"), ("practice", "2")):
        recert.activity_review(
            activity=submit(cycle, category=category, units=units, title=f"{category} {units}"),
            approve=True,
        )
    html = staff.get(_url("cycle", pk=cycle.pk)).content.decode()
    assert "The requirements are met" in html
    response = _close(staff, cycle, "compliant")
    assert response.status_code == 302
    assert response["Location"] == _url("credential", pk=credential.pk)
    cycle.refresh_from_db()
    credential.refresh_from_db()
    assert (cycle.outcome, cycle.decided_by) == ("compliant", personas["body_staff"])
    assert credential.expires_on == dt.date(2030, 1, 1)
    following = RecertificationCycle.objects.get(credential=credential, outcome="open")
    assert (following.starts_on, following.due_on) == (EXPIRES, dt.date(2030, 1, 1))
    page = staff.get(response["Location"]).content.decode()
    assert "The credential now expires 1 January 2030 and the next cycle is open." in page
    assert _url("cycle", pk=following.pk) in page
    # The form sent again: a clear refusal, not a second extension.
    again = _close(staff, cycle, "compliant")
    assert again.status_code == 400
    assert "The cycle is already closed." in again.content.decode()
    credential.refresh_from_db()
    assert credential.expires_on == dt.date(2030, 1, 1)


def test_non_compliant_and_exempt_need_a_reason(staff, cycle):
    response = _close(staff, cycle, "exempt")
    assert response.status_code == 400
    assert "Say why the cycle is closed this way." in response.content.decode()
    response = _close(staff, cycle, "non_compliant", "No units sent")
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.outcome, cycle.outcome_reason) == ("non_compliant", "No units sent")
    assert not RecertificationCycle.objects.filter(outcome="open").exists()
    html = staff.get(_url("cycle", pk=cycle.pk)).content.decode()
    assert "No units sent" in html and "Close the cycle" not in html


# --- bounded queries ------------------------------------------------------------------------


def _fill(cycle, n: int, reviewer) -> None:
    for i in range(n):
        activity = submit(
            cycle,
            category=("ethics", "practice")[i % 2],
            units="1",
            title=f"Course {i}",
            evidence=_pdf(f"c{i}.pdf") if i % 3 == 0 else None,
        )
        if i % 3 == 1:
            recert.activity_review(activity=activity, approve=True, acting_user=reviewer)


@pytest.mark.parametrize("n", [3, 30])
def test_the_cycle_page_runs_the_same_number_of_queries_however_many_activities(
    staff, cycle, personas, django_assert_max_num_queries, n
):
    _fill(cycle, n, personas["body_admin"])
    with django_assert_max_num_queries(7):
        response = staff.get(_url("cycle", pk=cycle.pk))
    assert response.content.decode().count('data-label="Title"') == n


@pytest.mark.parametrize("n", [3, 30])
def test_the_credential_page_stays_bounded_however_many_cycles(
    staff, credential, personas, django_assert_max_num_queries, n
):
    for i in range(n):
        old = RecertificationCycle.objects.create(
            credential=credential,
            starts_on=dt.date(1900 + i, 1, 1),
            due_on=dt.date(1900 + i, 12, 31),
            required_units=Decimal(1),
            outcome="exempt",
        )
        Activity.objects.create(
            cycle=old, category="practice", title="Old", completed_on=old.starts_on, units=1
        )
    with django_assert_max_num_queries(12):
        response = staff.get(_url("credential", pk=credential.pk))
    assert response.content.decode().count('data-label="Cycle"') == n


# --- the first cycle opens by itself --------------------------------------------------------


def test_certifying_a_candidate_opens_a_cycle_due_at_the_expiry(make_credential):
    candidate = make_credential("candidate")
    credential_transition(
        credential=candidate,
        to_status="active",
        effective_date=dt.date(2026, 5, 1),
        reason="Passed the examination",
    )
    candidate.refresh_from_db()
    cycle = RecertificationCycle.objects.get(credential=candidate)
    assert candidate.expires_on == dt.date(2029, 5, 1)
    assert (cycle.outcome, cycle.starts_on, cycle.due_on) == (
        "open",
        dt.date(2026, 5, 1),
        candidate.expires_on,
    )
    assert (cycle.required_units, cycle.required_by_category) == (
        Decimal(10),
        {"ethics": 2, "practice": 6},
    )


def test_certifying_on_the_staff_page_shows_the_new_cycle(staff, make_credential):
    candidate = make_credential("candidate")
    response = staff.post(
        _url("credential", pk=candidate.pk),
        {
            "to_status": "active",
            "effective_date": "2026-05-01",
            "reason": "Passed the examination",
            "expected_status": "candidate",
        },
        follow=True,
    )
    cycle = RecertificationCycle.objects.get(credential=candidate)
    html = response.content.decode()
    assert _url("cycle", pk=cycle.pk) in html and "1 May 2026 to 1 May 2029" in html


def test_no_cycle_opens_when_the_program_requires_no_units(body, make_credential):
    plain = CredentialProgram.objects.create(
        organization=body, code="plain", name="Plain", abbreviation="PL"
    )
    candidate = make_credential("candidate", program=plain)
    credential_transition(
        credential=candidate,
        to_status="active",
        effective_date=dt.date(2026, 5, 1),
        reason="Passed",
    )
    candidate.refresh_from_db()
    assert candidate.status == "active" and candidate.expires_on is not None
    assert not RecertificationCycle.objects.exists()


def test_reinstating_an_expired_credential_opens_a_cycle_when_none_is_open(make_credential):
    expired = make_credential("expired", issued_on=ISSUED, expires_on=dt.date(2026, 1, 1))
    RecertificationCycle.objects.create(
        credential=expired,
        starts_on=ISSUED,
        due_on=dt.date(2026, 1, 1),
        required_units=Decimal(10),
        outcome="non_compliant",
        outcome_reason="No units",
    )
    credential_transition(
        credential=expired,
        to_status="active",
        effective_date=dt.date(2026, 5, 1),
        reason="Requirements met late",
        expires_on=dt.date(2029, 5, 1),
    )
    cycle = RecertificationCycle.objects.get(credential=expired, outcome="open")
    assert (cycle.starts_on, cycle.due_on) == (dt.date(2026, 5, 1), dt.date(2029, 5, 1))


def test_reinstatement_does_not_open_a_second_cycle(make_credential):
    expired = make_credential("expired", issued_on=ISSUED, expires_on=dt.date(2026, 1, 1))
    still_open = RecertificationCycle.objects.create(
        credential=expired, starts_on=ISSUED, due_on=dt.date(2026, 1, 1), required_units=10
    )
    credential_transition(
        credential=expired,
        to_status="active",
        effective_date=dt.date(2026, 5, 1),
        reason="Requirements met late",
        expires_on=dt.date(2029, 5, 1),
    )
    assert list(RecertificationCycle.objects.filter(credential=expired)) == [still_open]
