"""A case's documents (their opening on the record) and its notices as printable documents, for
the body's people who see the case."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from ombuds.cases import services
from ombuds.cases.models import Document, Notice
from ombuds.cases.respondent_page import file_response
from ombuds.cases.staff_views.common import case_or_404, case_roles_required
from ombuds.core.http import private


@case_roles_required
def case_document(request: HttpRequest, organization, reference: str, token: str) -> FileResponse:
    """A case document, to those entitled: the viewing itself goes on the record."""
    case, _roles = case_or_404(request, organization, reference)
    document = get_object_or_404(Document, case=case, token=token, purged_at__isnull=True)
    services.document_viewed(document=document, viewer=request.user)
    return file_response(document)


@case_roles_required
def case_notice(request: HttpRequest, organization, reference: str, pk: int) -> HttpResponse:
    """A notice as a printable document."""
    case, _roles = case_or_404(request, organization, reference)
    notice = get_object_or_404(Notice, case=case, pk=pk)
    return private(
        render(
            request,
            "cases/staff/notice.html",
            {"body": organization, "case": case, "notice": notice},
        )
    )
