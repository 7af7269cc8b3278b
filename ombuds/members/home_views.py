"""The member's own pages under /me/: their home, the complaints they answer from their account, and
their API tokens. Each shows the signed-in user's own records only; anything else answers 404.

The respondent's page from the account is the very page their personal link opens
(`ombuds.cases.respondent_page`), with the same rules for what a respondent sees and does;
their actions go on the record under their account.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from ombuds.cases.respondent_page import respondent_file, respondent_page
from ombuds.core.http import private
from ombuds.members import selectors
from ombuds.members.forms import TokenForm
from ombuds.register.models import ApiToken
from ombuds.register.tokens import TokenError, default_expiry, token_create, token_revoke


def _respondent_label(user) -> str:
    return f"{user.get_full_name() or user.get_username()} (respondent, signed in)"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return private(
        render(request, "members/home/home.html", {"home": selectors.member_home(request.user)})
    )


@login_required
@csrf_protect
@never_cache
def case(request: HttpRequest, reference: str) -> HttpResponse:
    """The respondent's page of one of their cases, from their account: 404 unless the user answers
    it as respondent and the procedure has notified them."""
    found = selectors.respondent_case_get(request.user, reference)
    if found is None:
        raise Http404("no such case")
    notices = selectors.respondent_notices(found)
    response = respondent_page(
        request,
        found,
        acting_user=request.user,
        actor_label=_respondent_label(request.user),
        template="members/home/case.html",
        # The link's page serves documents under its own addresses; this one, under the account's.
        document_url=lambda d: reverse(
            "me:case_document", kwargs={"reference": found.reference, "doc": d.token}
        ),
        context={"notices": notices},
    )
    return private(response)


@login_required
@never_cache
def case_document(request: HttpRequest, reference: str, doc: str) -> HttpResponse:
    found = selectors.respondent_case_get(request.user, reference)
    if found is None:
        raise Http404("no such case")
    return respondent_file(
        found, doc, viewer=request.user, viewer_label=_respondent_label(request.user)
    )


# --- API tokens -----------------------------------------------------------------------------------


@login_required
@csrf_protect
def tokens(request: HttpRequest) -> HttpResponse:
    """The member's API tokens: make one (its secret shown on this answer only) and revoke them."""
    bodies = selectors.member_bodies(request.user)
    form = TokenForm(request.POST if request.method == "POST" else None, bodies=bodies)
    secret, made = "", None
    if request.method == "POST" and form.is_valid():
        try:
            made, secret = token_create(
                user=request.user,
                organization=form.cleaned_data["body"],
                name=form.cleaned_data["name"],
                scope=ApiToken.Scope.MEMBER,
            )
        except TokenError as exc:
            form.add_error(None, f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        else:
            form = TokenForm(bodies=bodies)
    own = selectors.api_tokens(request.user)
    return private(
        render(
            request,
            "members/home/tokens.html",
            {
                "form": form,
                "tokens": own,
                "secret": secret,
                "made": made,
                "bodies": bodies,
                "expiry": default_expiry(),
                "today": timezone.localdate(),
            },
            status=400 if form.errors else 200,
        )
    )


@login_required
@require_POST
@csrf_protect
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.api_token_get(request.user, pk)
    if token is None:
        raise Http404("no such token")
    if token.revoked_at is None:
        token_revoke(token=token, acting_user=request.user)
        messages.success(request, f"The token “{token.name}” is revoked: it no longer works.")
    return redirect("me:tokens")
