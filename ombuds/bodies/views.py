"""The one page a body's email links to from outside a session: stopping its reminders."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .mail import reminder_stop, unsubscribe_read


@csrf_exempt  # the signed token is the authority; mail clients' one-click POST has no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (a link checker must not unsubscribe anyone); POST stops the reminders,
    from the page's button or a mail client's one-click request (RFC 8058)."""
    found = unsubscribe_read(token)
    if found is None:
        return render(request, "bodies/unsubscribe.html", {"invalid": True}, status=404)
    organization, email, kind = found
    context = {"organization": organization, "email": email, "kind": kind}
    if request.method == "POST":
        reminder_stop(organization, email, kind)
        return render(request, "bodies/unsubscribe.html", {**context, "done": True})
    return render(request, "bodies/unsubscribe.html", context)
