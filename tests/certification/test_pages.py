"""The candidate's pages and the staff's application pages, role by role: who sees what, what each
form does, and the error summary for bad input."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ombuds.certification import workflow
from ombuds.certification.models import Application
from ombuds.register.models import Person
from tests.certification.conftest import PDF, eligible, fresh, submitted

pytestmark = pytest.mark.django_db

STAFF_ALLOWED = {"body_admin", "body_staff", "superuser"}
PERSONAS = [
    "public",
    "signed_in_no_role",
    "committee_member",
    "other_body_admin",
    "body_staff",
    "body_admin",
    "superuser",
]


def _as(client, personas, who):
    if personas[who] is not None:
        client.force_login(personas[who])
    return client


def test_the_programmes_page_says_what_is_asked_and_links_to_apply(client, requirements, body):
    page = client.get(reverse("certification:programmes", kwargs={"org": body.slug}))
    assert page.status_code == 200
    text = page.content.decode()
    assert "A degree and 100 hours" in text
    assert reverse("certification:apply", kwargs={"org": body.slug, "program": "cgp"}) in text


def test_a_visitor_applies_with_name_and_email_and_is_sent_a_link(client, requirements, body):
    url = reverse("certification:apply", kwargs={"org": body.slug, "program": "cgp"})
    page = client.post(url, {"given_name": "Dee", "family_name": "Lo", "email": "dee@example.org"})
    assert page.status_code == 200
    assert "Check your email" in page.content.decode()
    assert Application.objects.get(person__email="dee@example.org").state == workflow.DRAFT
    assert "/accounts/invitation/" in mail.outbox[-1].body


def test_a_visitors_bad_identity_shows_every_problem_at_once(client, requirements, body):
    url = reverse("certification:apply", kwargs={"org": body.slug, "program": "cgp"})
    page = client.post(url, {"given_name": "", "family_name": "", "email": "not-an-address"})
    assert page.status_code == 400
    text = page.content.decode()
    assert 'class="error-summary"' in text
    assert "Give your given name" in text and "Give your family name" in text
    assert not Person.objects.exists()


def test_a_signed_in_candidate_starts_and_lands_on_their_application(
    client, requirements, body, candidate
):
    client.force_login(candidate)
    url = reverse("certification:apply", kwargs={"org": body.slug, "program": "cgp"})
    answer = client.post(url)
    application = Application.objects.get(person__user=candidate)
    assert answer.url == reverse("certification:application", kwargs={"pk": application.pk})


def test_a_programme_without_requirements_has_no_apply_page(client, program, body):
    url = reverse("certification:apply", kwargs={"org": body.slug, "program": "cgp"})
    assert client.get(url).status_code == 404


def test_the_candidate_fills_in_saves_a_document_and_submits(client, requirements, body, candidate):
    client.force_login(candidate)
    client.post(reverse("certification:apply", kwargs={"org": body.slug, "program": "cgp"}))
    application = Application.objects.get(person__user=candidate)
    url = reverse("certification:application", kwargs={"pk": application.pk})
    answer = client.post(
        url,
        {
            "given_name": "Cara",
            "family_name": "Ng",
            "email": "cara@example.org",
            "evidence-education-level": "degree",
            "evidence-education-details": "BA 2019",
            "evidence-experience-amount": "1,200",
            "evidence-experience-details": "Acme",
            "document-education": SimpleUploadedFile("diploma.pdf", PDF, "application/pdf"),
        },
    )
    assert answer.status_code == 302
    application = fresh(application)
    assert application.evidence["experience"]["amount"] == "1200"
    assert application.documents.count() == 1
    page = client.get(url).content.decode()
    assert "diploma.pdf" in page and "Review the declarations and submit" in page
    submit = reverse("certification:submit", kwargs={"pk": application.pk})
    form = client.get(submit)
    assert "I keep the examination confidential" in form.content.decode()
    answer = client.post(
        submit,
        {
            "declaration-accurate": "on",
            "agreement": "on",
            "code_version": form.context["form"].initial["code_version"],
            "version": form.context["form"].initial["version"],
        },
    )
    assert answer.status_code == 302
    assert fresh(application).state == workflow.SUBMITTED


def test_a_refused_document_is_on_its_field_and_nothing_is_saved(
    client, requirements, body, candidate
):
    client.force_login(candidate)
    client.post(reverse("certification:apply", kwargs={"org": body.slug, "program": "cgp"}))
    application = Application.objects.get(person__user=candidate)
    page = client.post(
        reverse("certification:application", kwargs={"pk": application.pk}),
        {
            "given_name": "Cara",
            "family_name": "Changed",
            "email": "cara@example.org",
            "evidence-experience-amount": "lots",
            "document-education": SimpleUploadedFile("diploma.exe", b"MZ\x00\x01", "x/y"),
        },
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "Give a number of hours" in text
    assert "is not one of the formats taken" in text
    assert fresh(application).family_name == "Ng"
    assert not application.documents.exists()


def test_submitting_without_the_declarations_says_so(client, requirements, body, candidate):
    client.force_login(candidate)
    client.post(reverse("certification:apply", kwargs={"org": body.slug, "program": "cgp"}))
    application = Application.objects.get(person__user=candidate)
    page = client.post(reverse("certification:submit", kwargs={"pk": application.pk}), {})
    assert page.status_code == 400
    assert "Confirm the declaration" in page.content.decode()


@pytest.mark.parametrize("who", ["signed_in_no_role", "body_staff", "superuser"])
def test_nobody_else_opens_a_candidates_application(client, requirements, candidate, personas, who):
    application = submitted(requirements.program, candidate)
    document = application.documents.get()
    client.force_login(personas[who])
    for url in (
        reverse("certification:application", kwargs={"pk": application.pk}),
        reverse("certification:submit", kwargs={"pk": application.pk}),
        reverse("certification:document", kwargs={"pk": application.pk, "token": document.token}),
    ):
        assert client.get(url).status_code == 404


def test_the_public_is_sent_to_sign_in(client, requirements, candidate):
    application = submitted(requirements.program, candidate)
    answer = client.get(reverse("certification:application", kwargs={"pk": application.pk}))
    assert answer.status_code == 302 and "/accounts/login/" in answer.url


def test_the_candidate_downloads_their_own_document(client, requirements, candidate):
    application = submitted(requirements.program, candidate)
    document = application.documents.get()
    client.force_login(candidate)
    answer = client.get(
        reverse("certification:document", kwargs={"pk": application.pk, "token": document.token})
    )
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == PDF
    assert "no-store" in answer["Cache-Control"]


def test_the_candidate_sees_where_it_stands_and_the_reason(
    client, requirements, candidate, personas
):
    application = submitted(requirements.program, candidate)
    from tests.certification.conftest import review

    review(application, "more_information", personas["body_staff"], reason="Send a transcript.")
    client.force_login(candidate)
    page = client.get(reverse("certification:application", kwargs={"pk": application.pk}))
    text = page.content.decode()
    assert "More information needed" in text and "Send a transcript." in text
    mine = client.get(reverse("certification:mine")).content.decode()
    assert application.reference in mine and "Answer by" in mine


# --- staff ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", PERSONAS)
def test_staff_pages_are_the_bodys_staffs_only(client, requirements, candidate, personas, who):
    application = submitted(requirements.program, candidate)
    org = requirements.program.organization.slug
    _as(client, personas, who)
    for url in (
        reverse("certification_staff:applications", kwargs={"org": org}),
        reverse("certification_staff:application", kwargs={"org": org, "pk": application.pk}),
        reverse("certification_staff:windows", kwargs={"org": org}),
        reverse("certification_staff:incidents", kwargs={"org": org}),
    ):
        answer = client.get(url)
        if who == "public":
            assert answer.status_code == 302
        elif who in STAFF_ALLOWED:
            assert answer.status_code == 200
        else:
            assert answer.status_code == 403


@pytest.mark.parametrize("who", ["committee_member", "other_body_admin", "signed_in_no_role"])
def test_a_review_by_someone_without_the_staff_role_is_refused(
    client, requirements, candidate, personas, who
):
    application = submitted(requirements.program, candidate)
    client.force_login(personas[who])
    url = reverse(
        "certification_staff:review",
        kwargs={"org": requirements.program.organization.slug, "pk": application.pk},
    )
    assert client.post(url, {"decision": "complete"}).status_code == 403
    assert fresh(application).state == workflow.SUBMITTED


def test_staff_review_from_the_page(client, requirements, candidate, personas):
    application = submitted(requirements.program, candidate)
    org = requirements.program.organization.slug
    client.force_login(personas["body_staff"])
    page = client.get(
        reverse("certification_staff:application", kwargs={"org": org, "pk": application.pk})
    )
    text = page.content.decode()
    assert "A degree and 100 hours" in text and "diploma.pdf" in text
    version = page.context["review_form"].initial["version"]
    url = reverse("certification_staff:review", kwargs={"org": org, "pk": application.pk})
    refused = client.post(url, {"decision": "refused", "reason": "", "version": version})
    assert refused.status_code == 400
    assert "needs a reason" in refused.content.decode()
    assert client.post(url, {"decision": "complete", "version": version}).status_code == 302
    stale = client.post(url, {"decision": "eligible", "version": version})
    assert stale.status_code == 400 and "changed since you opened it" in stale.content.decode()
    assert fresh(application).state == workflow.COMPLETE


def test_staff_download_an_applications_document_of_their_body_only(
    client, requirements, candidate, personas
):
    application = submitted(requirements.program, candidate)
    token = application.documents.get().token
    client.force_login(personas["body_staff"])
    url = reverse(
        "certification_staff:document",
        kwargs={
            "org": requirements.program.organization.slug,
            "pk": application.pk,
            "token": token,
        },
    )
    assert client.get(url).status_code == 200
    client.force_login(personas["other_body_admin"])
    other = reverse(
        "certification_staff:document",
        kwargs={"org": "other", "pk": application.pk, "token": token},
    )
    assert client.get(other).status_code == 404


def test_the_staff_list_runs_a_fixed_number_of_queries(
    client, requirements, personas, django_user_model, django_assert_max_num_queries
):
    program = requirements.program
    for n in range(30):
        user = django_user_model.objects.create_user(f"c{n}@example.org", f"c{n}@example.org", "pw")
        Person.objects.create(
            organization=program.organization,
            given_name="C",
            family_name=str(n),
            email=user.email,
            user=user,
        )
        submitted(program, user)
    client.force_login(personas["body_staff"])
    url = reverse("certification_staff:applications", kwargs={"org": program.organization.slug})
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert page.content.decode().count("-A-") >= 30


def test_an_eligible_candidate_books_a_sitting(client, requirements, candidate, personas, window):
    application = eligible(requirements.program, candidate, personas["body_staff"])
    client.force_login(candidate)
    answer = client.post(
        reverse("certification:book", kwargs={"pk": application.pk}), {"window": window.pk}
    )
    assert answer.status_code == 302
    assert application.sittings.filter(window=window, result="").exists()
