"""The candidate's pages: the body's programmes and how to apply (public), starting an application
(from an account, or without one: then an invitation confirms the address), the application itself
(filled in, documents, submitted with the declarations and the attestation, withdrawn, a sitting
booked) under /me/applications/, and the public report of an exam-security incident. Each page
shows the signed-in user's own application only; anyone else's answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ombuds.bodies.access import body_or_404
from ombuds.certification import selectors, services, workflow
from ombuds.certification.forms import (
    ApplicationForm,
    BookForm,
    IdentityForm,
    SubmitForm,
    VersionForm,
    initial_of,
    refusal_onto,
)
from ombuds.certification.models import Application
from ombuds.certification.services.common import sentence
from ombuds.codes.selectors import current_version
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.core.http import private
from ombuds.core.throttle import throttle_hit


def _posted(request: HttpRequest) -> tuple:
    """What a form is bound to: the POST and its files, or nothing (an empty POST is bound too,
    so that it is checked, not shown blank)."""
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _url(application: Application) -> str:
    return reverse("certification:application", kwargs={"pk": application.pk})


def _own(request: HttpRequest, pk: int) -> Application:
    application = selectors.own_application(request.user, pk)
    if application is None:
        raise Http404("No such application")
    return application


def programmes(request: HttpRequest, org: str) -> HttpResponse:
    """The body's credentials that take applications: what each asks, and where to apply."""
    body = body_or_404(org)
    return render(
        request, "certification/programmes.html", {"body": body, "offers": selectors.offers(body)}
    )


def apply(request: HttpRequest, org: str, program: str) -> HttpResponse:
    """Start an application: a signed-in user's opens at once; a visitor gives their name and
    email address, and an invitation sent there opens their account and the application."""
    body = body_or_404(org)
    offer = selectors.offer_get(body, program)
    if offer is None:
        raise Http404("No such programme, or it takes no applications")
    context = {"body": body, "offer": offer}
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                application = services.application_open(program=offer.program, user=request.user)
            except services.CertificationRefused as exc:
                messages.error(request, sentence(str(exc)))
                return redirect("certification:programmes", org=body.slug)
            return redirect(_url(application))
        return render(request, "certification/apply.html", context)
    form = IdentityForm(*_posted(request)[:1])
    if request.method == "POST" and form.is_valid():
        throttled = throttle_hit(request, "application")
        if throttled is not None:
            form.add_error(
                None, f"Too many applications from here: try again in {throttled.retry_text}."
            )
        else:
            try:
                services.application_request(program=offer.program, values=form.cleaned_data)
            except services.CertificationRefused as exc:
                refusal_onto(form, exc)
            else:
                return private(render(request, "certification/check_email.html", context))
    status = 400 if form.errors else 200
    return private(
        render(request, "certification/apply.html", {**context, "form": form}, status=status)
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return private(
        render(
            request,
            "certification/mine.html",
            {"applications": list(selectors.own_applications(request.user))},
        )
    )


def _page(request: HttpRequest, application: Application, *, form=None, status: int = 200):
    spec = services.spec_of(application.requirements)
    editable = application.state in (workflow.DRAFT, workflow.MORE_INFORMATION)
    if form is None and editable:
        form = ApplicationForm(initial=initial_of(application), spec=spec)
    retake = services.retake_of(application, spec)
    windows = selectors.windows_to_book(application)
    booked = [s for s in application.sittings.all() if not s.result and s.voided_at is None]
    return private(
        render(
            request,
            "certification/application.html",
            {
                "body": application.organization,
                "application": application,
                "spec": spec,
                "form": form,
                "editable": editable,
                "version": version_of(application),
                "documents": list(application.documents.all()),
                "problems": services.submit_problems(application, spec) if editable else [],
                "retake": retake,
                "book_form": BookForm(windows=windows) if windows.exists() and not booked else None,
                "booked": booked,
                "withdrawable": application.state in (*workflow.OPEN, workflow.ELIGIBLE),
            },
            status=status,
        )
    )


@login_required
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """The candidate's application: where it stands, and while they may change it, the form
    (identity, evidence, documents) saved all at once."""
    found = _own(request, pk)
    if request.method != "POST":
        return _page(request, found)
    spec = services.spec_of(found.requirements)
    form = ApplicationForm(request.POST, request.FILES, spec=spec)
    if form.is_valid():
        try:
            services.application_save(
                application=found,
                identity=form.identity(),
                evidence=form.evidence(),
                files=form.uploads(),
                expected_version=request.POST.get("version") or None,
                acting_user=request.user,
            )
        except services.CertificationRefused as exc:
            refusal_onto(form, exc)
        except ChangedMeanwhile as exc:
            form.add_error(None, sentence(str(exc)))
        else:
            messages.success(request, "Saved. Submit the application when it is complete.")
            return redirect(_url(found))
    return _page(request, _own(request, pk), form=form, status=400)


@login_required
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The declarations, the code version in force to attest to, and the candidate agreement."""
    found = _own(request, pk)
    spec = services.spec_of(found.requirements)
    version = current_version(found.organization)
    form = SubmitForm(
        request.POST if request.method == "POST" else None,
        spec=spec,
        code_label=version.label if version else "",
        initial={"code_version": version.pk if version else None, "version": version_of(found)},
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["code_version"]
        try:
            services.application_submit(
                application=found,
                confirmed=form.confirmed(),
                agreement=form.cleaned_data["agreement"],
                code_version=version if version and chosen == version.pk else None,
                expected_version=form.cleaned_data["version"] or None,
                acting_user=request.user,
            )
        except services.CertificationRefused as exc:
            refusal_onto(form, exc)
        except ChangedMeanwhile as exc:
            form.add_error(None, sentence(str(exc)))
        else:
            messages.success(request, "Your application is submitted. We wrote to you to confirm.")
            return redirect(_url(found))
    return private(
        render(
            request,
            "certification/submit.html",
            {
                "body": found.organization,
                "application": found,
                "form": form,
                "code": version,
                "spec": spec,
                "problems": services.submit_problems(found, spec),
            },
            status=400 if form.errors else 200,
        )
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    found = _own(request, pk)
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        services.application_withdraw(
            application=found,
            reason=form.cleaned_data.get("reason", ""),
            expected_version=form.cleaned_data.get("version") or None,
            acting_user=request.user,
        )
    except (services.CertificationRefused, ChangedMeanwhile) as exc:
        messages.error(request, sentence(str(exc)))
    else:
        messages.success(request, "Your application is withdrawn.")
    return redirect(_url(found))


@login_required
@require_POST
def document_remove(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    found = _own(request, pk)
    try:
        services.document_remove(application=found, token=token, acting_user=request.user)
    except services.CertificationRefused as exc:
        messages.error(request, sentence(str(exc)))
    else:
        messages.success(request, "The document is removed.")
    return redirect(_url(found))


def document_response(document) -> FileResponse:
    """A kept document, as a download that no cache keeps."""
    try:
        handle = document.file.storage.open(document.file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name or document.token,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return private(response)


@login_required
def document(request: HttpRequest, pk: int, token: str) -> FileResponse:
    found = _own(request, pk)
    kept = next((d for d in found.documents.all() if d.token == token), None)
    if kept is None:
        raise Http404("No such document")
    return document_response(kept)


@login_required
@require_POST
def book(request: HttpRequest, pk: int) -> HttpResponse:
    """Book a sitting in one of the windows open to the candidate."""
    found = _own(request, pk)
    form = BookForm(request.POST, windows=selectors.windows_to_book(found))
    if not form.is_valid():
        messages.error(request, "Choose one of the exam windows listed.")
        return redirect(_url(found))
    try:
        services.sitting_book(
            window=form.cleaned_data["window"], application=found, acting_user=request.user
        )
    except services.CertificationRefused as exc:
        messages.error(request, " ".join(exc.problems))
    else:
        messages.success(request, f"You are booked in {form.cleaned_data['window'].name}.")
    return redirect(_url(found))
