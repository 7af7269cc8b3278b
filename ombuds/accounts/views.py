"""Members' account pages: accepting an invitation, signing in (rate-limited), the second factor,
the account page with its sessions, password change and reset, and the staff's invite button.

Every change goes through `ombuds.accounts.services`; these views collect input and show results.
Every page here is private: never cached, and its address never sent on to another site.
"""

from __future__ import annotations

import base64
import re
from functools import wraps
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from ombuds.accounts import forms, services
from ombuds.accounts.models import AccountSession
from ombuds.accounts.policy import has_second_factor, needs_second_factor, second_factor_required
from ombuds.accounts.sessions import sessions_active
from ombuds.bodies.access import body_or_404
from ombuds.bodies.selectors import is_body_staff
from ombuds.core.http import private
from ombuds.core.throttle import throttle_hit
from ombuds.register.models import Person

# Where a member lands once their account is open (their own pages, `me:home`).
MEMBER_HOME = "/me/"
# Recovery codes just made, kept in the session until the page that shows them once.
FRESH_CODES_KEY = "_ombuds_fresh_recovery_codes"


def _next(request: HttpRequest, default: str = "") -> str:
    """The ?next= address if it stays on this site, else ``default`` (the sign-in default)."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default or resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return reverse(name) + "?" + urlencode({"next": next_url})


def signed_in(view):
    """Anonymous visitors go to sign in first; every answer is private."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return private(view(request, *args, **kwargs))

    return wrapper


def _rate_limited(request: HttpRequest, throttled) -> HttpResponse:
    response = render(request, "accounts/rate_limited.html", {"throttled": throttled}, status=429)
    response["Retry-After"] = str(throttled.retry_after)
    return private(response)


# --- signing in ---------------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """Django's sign-in, counted per client (OMBUDS_SIGN_IN_ATTEMPTS_PER_HOUR) so that passwords
    cannot be guessed at speed; whoever must pass a second factor goes straight on to it."""

    form_class = forms.SignInForm

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        throttled = throttle_hit(request, "sign_in")
        if throttled is not None:
            return _rate_limited(request, throttled)
        return super().post(request, *args, **kwargs)

    def get_success_url(self) -> str:
        url = super().get_success_url()
        user = self.request.user
        if second_factor_required(user):
            name = "accounts:two_factor" if has_second_factor(user) else "accounts:two_factor_setup"
            return _with_next(name, url)
        return url

    def render_to_response(self, context, **kwargs) -> HttpResponse:
        form = context.get("form")
        if form is not None and form.errors:
            kwargs.setdefault("status", 400)
        return private(super().render_to_response(context, **kwargs))


class PasswordResetView(auth_views.PasswordResetView):
    """Asking for a reset link, counted with the sign-in attempts so that nobody can send a flood of
    emails. The link in the email is built from the request's own address."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        throttled = throttle_hit(request, "sign_in")
        if throttled is not None:
            return _rate_limited(request, throttled)
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choosing a new password from the emailed link; every session of the account then ends."""

    form_class = forms.SetPasswordForm

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed(user=form.user, keep=None, how="reset")
        return response

    def render_to_response(self, context, **kwargs) -> HttpResponse:
        return private(super().render_to_response(context, **kwargs))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password while signed in; every other session of the account ends."""

    form_class = forms.PasswordChangeForm

    def form_valid(self, form) -> HttpResponse:
        old_key = self.request.session.session_key
        # Saves the password and keeps this session signed in under a new key (cycle_key).
        response = super().form_valid(form)
        new_key = self.request.session.session_key
        if old_key and new_key and old_key != new_key:
            AccountSession.objects.filter(session_key=old_key).update(session_key=new_key)
        services.password_changed(user=form.user, keep=new_key, how="change")
        return response

    def render_to_response(self, context, **kwargs) -> HttpResponse:
        return private(super().render_to_response(context, **kwargs))


# --- invitations ---------------------------------------------------------------------------------


def accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open the account an invitation offers, choosing its password; or, for a visitor already
    signed in, link their existing account to the register record instead."""
    try:
        invitation = services.invitation_for(token)
    except services.InvitationRefused as refused:
        return private(
            render(
                request,
                "accounts/invitation_refused.html",
                {"refused": refused},
                status=404 if refused.reason == "unknown" else 410,
            )
        )
    person = invitation.person
    candidate = get_user_model()(
        username=invitation.email,
        email=invitation.email,
        first_name=person.given_name[:150],
        last_name=person.family_name[:150],
    )
    is_signed_in = request.user.is_authenticated
    posted = request.method == "POST"
    form = forms.AcceptForm(request.POST if posted and not is_signed_in else None, user=candidate)
    link_form = forms.LinkForm(request.POST if posted and is_signed_in else None)
    if posted and is_signed_in:
        try:
            services.invitation_accept(token=token, password="", user=request.user)
        except services.InvitationRefused as refused:
            for problem in refused.problems:
                link_form.add_error(None, problem)
        else:
            messages.success(
                request,
                f"Your account is now linked to your record with {invitation.organization.name}.",
            )
            return redirect(MEMBER_HOME)
    elif posted and form.is_valid():
        try:
            user = services.invitation_accept(token=token, password=form.cleaned_data["password1"])
        except services.InvitationRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                f"Your account is open. You sign in with {user.get_username()} and your password.",
            )
            return redirect(MEMBER_HOME)
    return private(
        render(
            request,
            "accounts/accept.html",
            {
                "invitation": invitation,
                "body": invitation.organization,
                "person": person,
                "form": form,
                "link_form": link_form,
            },
            status=400 if form.errors or link_form.errors else 200,
        )
    )


@require_POST
def invite(request: HttpRequest, org: str, person: int) -> HttpResponse:
    """Invite a register record's person to open their account (the body's staff only)."""
    organization = body_or_404(org)
    if not request.user.is_authenticated or not is_body_staff(request.user, organization):
        raise PermissionDenied("Only the body's staff invite people to open an account.")
    record = get_object_or_404(Person, pk=person, organization=organization)
    try:
        invitation, _token = services.invitation_create(person=record, invited_by=request.user)
    except services.InvitationRefused as refused:
        messages.error(request, "No invitation sent: " + "; ".join(refused.problems) + ".")
    else:
        messages.success(
            request,
            f"Invitation sent to {invitation.email}. Its link works once, until "
            f"{invitation.expires_at:%-d %B %Y %H:%M} UTC.",
        )
    return redirect("register_staff:person", org=organization.slug, pk=record.pk)


# --- the second factor ---------------------------------------------------------------------------


@signed_in
def two_factor(request: HttpRequest) -> HttpResponse:
    """Pass the second factor: the authenticator's code, or a recovery code (once each)."""
    user = request.user
    next_url = _next(request)
    if user.is_verified():
        return redirect(next_url)
    if not has_second_factor(user):
        return redirect(_with_next("accounts:two_factor_setup", next_url))
    form = forms.CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                device = services.second_factor_verify(user=user, code=form.cleaned_data["code"])
            except services.SecondFactorRefused as refused:
                for problem in refused.problems:
                    form.add_error("code", problem)
                if refused.reason == "throttled":
                    status = 429
            else:
                otp_login(request, device)
                if isinstance(device, StaticDevice):
                    left = services.recovery_codes_left(user)
                    messages.warning(
                        request,
                        f"You used a recovery code: {left} left. "
                        + (
                            "Make new ones on your account page."
                            if left <= 3
                            else "Each works once."
                        ),
                    )
                return redirect(next_url)
    return render(
        request, "accounts/two_factor.html", {"form": form, "next": next_url}, status=status
    )


def _secret_text(device) -> str:
    """The device's secret in base32, in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(re.findall(".{1,4}", secret))


@signed_in
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: a QR code (and its secret, to type), confirmed with a code."""
    user = request.user
    next_url = _next(request)
    replacing = has_second_factor(user)
    if replacing and not user.is_verified():
        # Whoever knows only the password must not put their own phone in place of the owner's.
        return redirect(_with_next("accounts:two_factor", next_url))
    device = services.totp_device_start(user=user)
    form = forms.SetupCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                codes = services.totp_device_confirm(
                    user=user, device=device, code=form.cleaned_data["code"]
                )
            except services.SecondFactorRefused as refused:
                for problem in refused.problems:
                    form.add_error("code", problem)
                if refused.reason == "throttled":
                    status = 429
            else:
                device.refresh_from_db()
                otp_login(request, device)
                request.session[FRESH_CODES_KEY] = codes
                messages.success(request, "Your second factor is set up.")
                return redirect(_with_next("accounts:recovery_codes", next_url))
    # segno writes only path data (no text) for our own otpauth address: safe to put in the page.
    # Its own width and height (5 px a module) keep it a scannable size without any stylesheet.
    qr_svg = mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=5, light="#fff"))
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": qr_svg,
            "secret": _secret_text(device),
            "replacing": replacing,
            "required": needs_second_factor(user),
        },
        status=status,
    )


@signed_in
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once; POST makes a new set (in a session that passed the second
    factor), and the old ones stop working."""
    user = request.user
    next_url = _next(request, reverse("accounts:security"))
    if not user.is_verified():
        name = "accounts:two_factor" if has_second_factor(user) else "accounts:two_factor_setup"
        return redirect(_with_next(name, request.get_full_path()))
    if request.method == "POST":
        try:
            codes = services.recovery_codes_regenerate(user=user)
        except services.SecondFactorRefused as refused:
            messages.error(request, " ".join(refused.problems))
            return redirect("accounts:security")
        request.session[FRESH_CODES_KEY] = codes
        messages.success(request, "You have new recovery codes; the old ones no longer work.")
        return redirect(_with_next("accounts:recovery_codes", next_url))
    fresh = request.session.pop(FRESH_CODES_KEY, None) or []
    codes = [services.recovery_code_display(code) for code in fresh]
    text = "".join(
        [
            f"Ombuds recovery codes for {user.get_username()}\n",
            "Each code works once, in place of your authenticator app's code.\n\n",
            *(f"{code}\n" for code in codes),
        ]
    )
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": codes,
            "codes_text": text,
            "left": services.recovery_codes_left(user),
            "next": next_url,
        },
    )


# --- the account page ----------------------------------------------------------------------------

_BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
]
_SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
]


def browser_label(user_agent: str) -> str:
    """A short name for the browser and system a user agent string names ("Firefox on Linux")."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


@signed_in
def security(request: HttpRequest) -> HttpResponse:
    """The account page: password, second factor, recovery codes and the sessions signed in."""
    user = request.user
    if request.method == "POST" and request.POST.get("action") == "remove_second_factor":
        if has_second_factor(user) and not user.is_verified():
            return redirect(_with_next("accounts:two_factor", reverse("accounts:security")))
        try:
            services.second_factor_remove(user=user, acting_user=user)
        except services.SecondFactorRefused as refused:
            messages.error(request, " ".join(refused.problems))
        else:
            messages.success(request, "Your second factor is turned off.")
        return redirect("accounts:security")
    if request.method == "POST":
        messages.error(request, "Unknown action: reload the page and try again.")
        return redirect("accounts:security")
    current = request.session.session_key
    sessions = [
        {
            "row": row,
            "current": row.session_key == current,
            "browser": browser_label(row.user_agent),
        }
        for row in sessions_active(user)
    ]
    sessions.sort(key=lambda s: not s["current"])
    has_2fa = has_second_factor(user)
    return render(
        request,
        "accounts/security.html",
        {
            "has_second_factor": has_2fa,
            "required": needs_second_factor(user),
            "codes_left": services.recovery_codes_left(user) if has_2fa else 0,
            "sessions": sessions,
            "others": sum(1 for s in sessions if not s["current"]),
            "records": Person.objects.filter(user=user).select_related("organization"),
        },
    )


@require_POST
@signed_in
def sessions_end(request: HttpRequest) -> HttpResponse:
    """Sign out of every other session ("others"), or of every session, this one too ("all")."""
    user = request.user
    scope = request.POST.get("scope", "")
    if scope == "all":
        ended = services.sessions_sign_out(user=user, keep=None, acting_user=user, reason="all")
        logout(request)
        messages.success(
            request,
            f"You are signed out everywhere ({ended} session{'s' * (ended != 1)}).",
        )
        return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
    if scope == "others":
        ended = services.sessions_sign_out(
            user=user, keep=request.session.session_key, acting_user=user, reason="others"
        )
        messages.success(
            request,
            f"Signed out of {ended} other session{'s' * (ended != 1)}; this one stays signed in.",
        )
    else:
        messages.error(request, "Unknown action: reload the page and try again.")
    return redirect("accounts:security")
