"""The body's published keys and status lists, the public verification page, the certificate as a
PDF, the holder's download and the staff's issue button. Thin: the work is in services and
selectors."""

from __future__ import annotations

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ombuds.bodies.access import body_or_404, body_staff_required
from ombuds.bodies.models import Organization
from ombuds.core.throttle import throttle_hit
from ombuds.credentials import documents, pdf, selectors, services, statuslist
from ombuds.credentials.forms import VerifyForm
from ombuds.register import public
from ombuds.register.models import Credential
from ombuds.register.views import certificate_holds


def _public_json(document: dict, content_type: str = "application/json") -> HttpResponse:
    response = JsonResponse(document, content_type=content_type, json_dumps_params={"indent": 2})
    response["Access-Control-Allow-Origin"] = "*"  # verifiers fetch these from anywhere
    response["Cache-Control"] = "public, max-age=300"
    return response


def did_document(request: HttpRequest, org: str) -> HttpResponse:
    organization = body_or_404(org)
    keys = services.published_keys(organization)
    return _public_json(documents.did_document(organization.slug, keys), "application/did+json")


def jwks(request: HttpRequest, org: str) -> HttpResponse:
    organization = body_or_404(org)
    return _public_json(documents.jwk_set(organization.slug, services.published_keys(organization)))


@require_http_methods(["GET", "HEAD"])
def status_list(request: HttpRequest, org: str, purpose: str) -> HttpResponse:
    """The signed list as the register is now; the ETag lets a verifier ask cheaply again."""
    organization = body_or_404(org)
    if purpose not in statuslist.PURPOSES:
        raise Http404("No such status list")
    token = services.status_list_token(organization, purpose)
    etag = '"' + hashlib.sha256(token.encode("ascii")).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(token, content_type="application/jwt")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"  # revalidate every time: a suspension shows at once
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest, org: str) -> HttpResponse:
    organization = body_or_404(org)
    form, result = VerifyForm(), None
    if request.method == "POST":
        throttled = throttle_hit(request, "lookup")
        if throttled:
            response = render(
                request,
                "register/rate_limited.html",
                {"body": organization, "throttled": throttled},
                status=429,
            )
            response["Retry-After"] = str(throttled.retry_after)
            return response
        form = VerifyForm(request.POST, request.FILES)
        if form.is_valid():
            result = selectors.verify_for_body(organization, form.text)
    response = render(
        request,
        "credentials/verify.html",
        {
            "body": organization,
            "form": form,
            "result": result,
            "did": documents.body_did(organization.slug),
        },
        status=400 if form.errors else 200,
    )
    response["X-Robots-Tag"] = "noindex, noarchive"
    response["Cache-Control"] = "no-store"
    return response


def certificate_pdf(request: HttpRequest, org: str, number: str) -> HttpResponse:
    """The certificate as a PDF, for a credential valid today; anything else goes to the page that
    states its status."""
    organization = body_or_404(org)
    throttled = throttle_hit(request, "lookup")
    if throttled:
        return HttpResponse(throttled.retry_text, status=429, content_type="text/plain")
    found = public.credential_verify(number, organization=organization)
    if found is None:
        raise Http404("No such credential")
    page = reverse(
        "register:certificate", kwargs={"org": organization.slug, "number": found.number}
    )
    if not certificate_holds(found, timezone.localdate()):
        return redirect(page)
    try:
        content = pdf.certificate_pdf(
            body=found.body,
            holder=found.holder,
            credential=found.credential
            + (f" ({found.credential_abbreviation})" if found.credential_abbreviation else ""),
            number=found.number,
            issued_on=found.issued_on,
            expires_on=found.expires_on,
            conditions=found.conditions,
            verification_url=request.build_absolute_uri(
                reverse(
                    "register:credential", kwargs={"org": organization.slug, "number": found.number}
                )
            ),
        )
    except pdf.CannotWrite:
        return redirect(page)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{found.number}.pdf"'
    response["X-Robots-Tag"] = "noindex, noarchive"
    response["Cache-Control"] = "no-store"
    return response


def _token_response(issued, number: str) -> HttpResponse:
    response = HttpResponse(issued.token, content_type="application/jwt")
    response["Content-Disposition"] = f'attachment; filename="credential-{number}.jwt"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def holder_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The holder's own verifiable credential (issued, or issued again with new dates, on asking)."""
    credential = selectors.holder_credential(request.user, pk)
    if credential is None:
        raise Http404("No such credential of yours")
    try:
        issued = services.credential_vc_issue(credential=credential, acting_user=request.user)
    except services.IssueRefused as exc:
        messages.error(request, f"No verifiable credential: {exc}.")
        return redirect("me:home")
    return _token_response(issued, credential.number)


@body_staff_required
@require_POST
def staff_issue(request: HttpRequest, organization: Organization, number: str) -> HttpResponse:
    credential = Credential.objects.filter(
        program__organization=organization, number=number
    ).first()
    if credential is None:
        raise Http404("No such credential")
    try:
        issued = services.credential_vc_issue(credential=credential, acting_user=request.user)
    except services.IssueRefused as exc:
        return HttpResponse(
            json.dumps({"detail": str(exc)}), status=409, content_type="application/json"
        )
    return _token_response(issued, credential.number)
