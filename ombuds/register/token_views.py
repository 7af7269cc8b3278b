"""The body's API tokens page for staff: every token of the body with its scopes, expiry and last
use; a staff member makes a token for themselves (its secret shown on that answer only) and revokes
their own; a body administrator revokes any. Everything goes through `ombuds.register.tokens`."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ombuds.bodies.access import body_staff_required
from ombuds.bodies.models import BodyRole, Organization
from ombuds.bodies.selectors import user_roles
from ombuds.core.http import private
from ombuds.register.models import ApiToken
from ombuds.register.tokens import (
    TokenError,
    default_expiry,
    latest_expiry,
    token_create,
    token_revoke,
    token_state,
    tokens_of,
)


class StaffTokenForm(forms.Form):
    name = forms.CharField(
        label="What the token is for",
        max_length=100,
        help_text="For example “nightly HR register sync”.",
        error_messages={
            "required": "Say what the token is for.",
            "max_length": "Say what the token is for in 100 characters or fewer.",
        },
    )
    scopes = forms.MultipleChoiceField(
        label="What the token may do",
        choices=ApiToken.StaffScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only what the program needs: a register sync needs no access to cases.",
        error_messages={"required": "Choose at least one thing the token may do."},
    )
    expires_on = forms.DateField(
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Say when the token stops working.",
            "invalid": "Give the expiry as a date, e.g. 2027-03-01.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = settings.OMBUDS_API_TOKEN_MAX_DAYS
        field = self.fields["expires_on"]
        field.initial = default_expiry()
        field.help_text = (
            f"The token stops working on this day; at most {days} days from today "
            f"({latest_expiry():%-d %B %Y})."
        )

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day <= timezone.localdate():
            raise forms.ValidationError("The expiry must be a day after today.")
        if day > latest_expiry():
            raise forms.ValidationError(
                f"The expiry can be at most {settings.OMBUDS_API_TOKEN_MAX_DAYS} days from today "
                f"({latest_expiry():%-d %B %Y})."
            )
        return day


def _may_revoke_any(user, organization: Organization) -> bool:
    return user.is_superuser or BodyRole.Role.ADMINISTRATOR in user_roles(user, organization)


@body_staff_required
@never_cache
def tokens(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = StaffTokenForm(request.POST if request.method == "POST" else None)
    secret, made = "", None
    if request.method == "POST" and form.is_valid():
        try:
            made, secret = token_create(
                user=request.user,
                organization=organization,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except TokenError as exc:
            form.add_error(None, f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        else:
            form = StaffTokenForm()
    revoke_any = _may_revoke_any(request.user, organization)
    rows = [
        {
            "token": row,
            "state": token_state(row),
            "may_revoke": row.revoked_at is None and (revoke_any or row.user_id == request.user.pk),
        }
        for row in tokens_of(organization)
    ]
    context = {"body": organization, "form": form, "rows": rows, "secret": secret, "made": made}
    return private(
        render(
            request,
            "register/staff/tokens.html",
            context,
            status=400 if form.errors else 200,
        )
    )


@body_staff_required
@require_POST
def token_revoke_view(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    token = tokens_of(organization).filter(pk=pk).first()
    mine = token is not None and token.user_id == request.user.pk
    if token is None or not (mine or _may_revoke_any(request.user, organization)):
        raise Http404("no such token")
    if token_revoke(token=token, acting_user=request.user):
        messages.success(request, f"The token “{token.name}” is revoked: it no longer works.")
    return redirect("register_staff:tokens", org=organization.slug)
