"""An account's sessions: recorded as they are used, listed to their owner, ended everywhere."""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from ombuds.accounts.models import AccountSession
from ombuds.cases import followup_session
from ombuds.core.throttle import client_address, rate_counts_purge

# The session remembers which key its row was last touched under, and when, so most requests write
# nothing, and a session whose key changed (a password change anywhere, the admin's too) is put on
# the account's list under its new key at its next request.
SEEN_KEY = "_ombuds_seen"


def seen_mark(session_key: str, now: dt.datetime) -> str:
    return f"{session_key} {now.isoformat()}"


def seen_recently(
    mark: str | None, session_key: str, now: dt.datetime, every: dt.timedelta
) -> bool:
    """Whether the session's row was touched under this key less than ``every`` ago."""
    key, _, at = (mark or "").partition(" ")
    if key != session_key or not at:
        return False
    try:
        return now - dt.datetime.fromisoformat(at) < every
    except ValueError:
        return False


def _client_ip(request: HttpRequest) -> str | None:
    address = client_address(request)
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address


def session_seen(
    *, user: Any, session_key: str, request: HttpRequest, now: dt.datetime | None = None
) -> AccountSession:
    """Record that this session was used now (creating its row the first time)."""
    now = now or timezone.now()
    row, created = AccountSession.objects.get_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "last_seen_at": now,
            "ip_address": _client_ip(request),
            "user_agent": request.headers.get("User-Agent", "")[:300],
        },
    )
    if not created:
        AccountSession.objects.filter(pk=row.pk).update(last_seen_at=now)
    return row


def sessions_active(user: Any) -> list[AccountSession]:
    """The account's sessions still signed in: not ended, and not expired (a session's expiry moves
    on each time it is saved, which `AccountSessionMiddleware` does whenever it marks it seen)."""
    expired_before = timezone.now() - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return list(
        AccountSession.objects.filter(
            user=user, ended_at__isnull=True, last_seen_at__gt=expired_before
        )
    )


@transaction.atomic
def sessions_end(user: Any, *, keep: str | None = None) -> int:
    """Sign the account out of every session but ``keep`` (the current one, if given); the number
    ended. The sessions are deleted from the session store, so their cookies stop working at once."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    rows = AccountSession.objects.select_for_update().filter(user=user, ended_at__isnull=True)
    for row in rows.exclude(session_key=keep or ""):
        store(session_key=row.session_key).delete()
        row.ended_at = timezone.now()
        row.save(update_fields=["ended_at"])
        ended += 1
    return ended


def on_signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """user_logged_in: the new session goes on the account's list at once, and a complainant's
    session open in this browser ends (`ombuds.cases.followup_session`)."""
    followup_session.end_on_sign_in_or_out(request)
    session = getattr(request, "session", None)
    if session is None:
        return
    if not session.session_key:
        session.save()
    now = timezone.now()
    session_seen(user=user, session_key=session.session_key, request=request, now=now)
    session[SEEN_KEY] = seen_mark(session.session_key, now)


def on_signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """user_logged_out: the session leaves the account's list, and a complainant's session open in
    this browser ends."""
    followup_session.end_on_sign_in_or_out(request)
    session = getattr(request, "session", None)
    if user is None or session is None or not session.session_key:
        return
    AccountSession.objects.filter(
        user=user, session_key=session.session_key, ended_at__isnull=True
    ).update(ended_at=timezone.now())


# What the complaint pages kept in Django's session before they had a cookie of their own
# (`ombuds.cases.followup_session`): removed from the sessions that still hold it.
_COMPLAINT_KEYS = ("ombuds:filed", "ombuds:followup-case", "ombuds:receipt:")


def _complaint_keys_removed(store: Any, model: Any) -> int:
    """Remove what the complaint pages once kept from every session still in the store; how many
    sessions held some."""
    cleaned = 0
    for key, data in model.objects.values_list("session_key", "session_data").iterator():
        found = [name for name in store().decode(data) if name.startswith(_COMPLAINT_KEYS)]
        if not found:
            continue
        session = store(session_key=key)
        for name in found:
            session.pop(name, None)
        session.save()
        cleaned += 1
    return cleaned


def sessions_clear_expired(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily work (`ombuds.operations.daily`): expired sessions leave the session store, as
    Django's ``clearsessions`` does (`SessionStore.clear_expired`), and the accounts' session list
    forgets the sessions that are over (signed out, or expired), with their address and browser;
    the rate limits' counts of windows over go too (each new window deletes them as well, but a
    quiet site would keep its last ones), and what the complaint pages kept in sessions before
    they had their own cookie is removed."""
    now = timezone.now()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    model = getattr(store, "get_model_class", None)  # the database-backed engines
    expired = model().objects.filter(expire_date__lt=now).count() if model else 0
    try:
        store.clear_expired()
    except NotImplementedError:  # an engine whose sessions expire by themselves (the cache)
        expired = 0
    expired_before = now - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    over, _ = AccountSession.objects.filter(
        Q(ended_at__isnull=False) | Q(last_seen_at__lt=expired_before)
    ).delete()
    legacy = _complaint_keys_removed(store, model()) if model else 0
    return {
        "expired sessions cleared": expired,
        "ended sessions forgotten": over,
        "sessions rid of complaint keys": legacy,
        "old rate counts deleted": rate_counts_purge(now),
    }
