"""Ombuds' own deployment checks, shown by `ombuds check --deploy` beside Django's.

Each names a setting that is wrong for a production site, with the one line that puts it right.
They are deploy checks only (Django's ``deploy=True``): a developer's machine may run with the
defaults. Most apply only with DEBUG off, which is what production means here.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.core.cache import cache
from django.core.checks import Tags, Warning, register

from ombuds.core.http import FORWARDED_SEEN_KEY

# Backends that do not deliver mail: they print it, keep it in memory or in files, or drop it.
# Password-reset links, invitations and respondents' personal links would end up in the logs.
UNDELIVERED_MAIL = {
    "django.core.mail.backends.console.EmailBackend": "prints every message to the log",
    "django.core.mail.backends.locmem.EmailBackend": "keeps every message in memory",
    "django.core.mail.backends.filebased.EmailBackend": "writes every message to a file",
    "django.core.mail.backends.dummy.EmailBackend": "drops every message",
}

MASTER_KEY_BYTES = 32


def _proxies() -> int:
    return int(getattr(settings, "OMBUDS_TRUSTED_PROXIES", 0) or 0)


@register(Tags.security, deploy=True)
def check_trusted_proxies(app_configs=None, **kwargs) -> list[Warning]:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and _proxies() <= 0:
        return [
            Warning(
                "SECURE_PROXY_SSL is on (a proxy in front of Ombuds) but OMBUDS_TRUSTED_PROXIES is"
                " 0: every client counts as the proxy's address, so each rate limit is one bucket"
                " for the whole site (20 wrong sign-ins lock everyone out).",
                hint="Set OMBUDS_TRUSTED_PROXIES to the number of proxies that append to"
                " X-Forwarded-For (1 for one nginx or Caddy).",
                id="ombuds.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_forwarded_requests(app_configs=None, **kwargs) -> list[Warning]:
    """What the running site saw: a request carrying X-Forwarded-For while no proxy is trusted
    (noted in the shared cache by ombuds.core.http.ForwardedWithoutTrustedProxies)."""
    if _proxies() > 0:
        return []
    try:
        seen = cache.get(FORWARDED_SEEN_KEY)
    except Exception:  # the check reports settings; a cache that is down is not its subject
        return []
    if not seen:
        return []
    return [
        Warning(
            f"A request carried X-Forwarded-For (at {seen}) but OMBUDS_TRUSTED_PROXIES is 0: a proxy"
            " stands in front of Ombuds and every client counts as its address in the rate limits.",
            hint="Set OMBUDS_TRUSTED_PROXIES to the number of proxies in front of Ombuds.",
            id="ombuds.W002",
        )
    ]


@register(Tags.security, deploy=True)
def check_email_backend(app_configs=None, **kwargs) -> list[Warning]:
    what = UNDELIVERED_MAIL.get(settings.EMAIL_BACKEND)
    if settings.DEBUG or not what:
        return []
    return [
        Warning(
            f"The email backend {settings.EMAIL_BACKEND} {what}: invitations, password-reset"
            " links and respondents' personal links are not delivered and may end up in the logs.",
            hint="Set OMBUDS_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with"
            " OMBUDS_EMAIL_HOST, _PORT, _USER, _PASSWORD, _TLS and _FROM.",
            id="ombuds.W003",
        )
    ]


def master_key_problem(value: str) -> str | None:
    """Why this OMBUDS_MASTER_KEY cannot serve, or None."""
    if not value:
        return "OMBUDS_MASTER_KEY is not set"
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return "OMBUDS_MASTER_KEY is not base64"
    if len(raw) != MASTER_KEY_BYTES:
        return f"OMBUDS_MASTER_KEY is {len(raw)} bytes, not {MASTER_KEY_BYTES}"
    return None


@register(Tags.security, deploy=True)
def check_master_key(app_configs=None, **kwargs) -> list[Warning]:
    problem = master_key_problem(getattr(settings, "OMBUDS_MASTER_KEY", "") or "")
    if settings.DEBUG or problem is None:
        return []
    return [
        Warning(
            f"{problem}: the key that wraps each body's data keys must be a secret of its own.",
            hint="Generate one with: python3 -c 'import base64, secrets;"
            " print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'"
            " and give it as OMBUDS_MASTER_KEY_FILE; keep a copy apart from the backups.",
            id="ombuds.W004",
        )
    ]


@register(Tags.security, deploy=True)
def check_database(app_configs=None, **kwargs) -> list[Warning]:
    engine = settings.DATABASES.get("default", {}).get("ENGINE", "")
    if settings.DEBUG or not engine.endswith("sqlite3"):
        return []
    return [
        Warning(
            "The database is SQLite: one process writes at a time, and a body's cases, register"
            " and audit log rest on one file.",
            hint="Set DATABASE_URL=postgres://USER@HOST:5432/NAME (docs/deployment.md).",
            id="ombuds.W005",
        )
    ]


@register(deploy=True)
def check_time_zone(app_configs=None, **kwargs) -> list[Warning]:
    if settings.DEBUG or getattr(settings, "OMBUDS_TIME_ZONE_SET", True):
        return []
    return [
        Warning(
            f"TIME_ZONE is not set (it is {settings.TIME_ZONE} by default): deadlines, dates on"
            " notices and the daily work's hour follow it.",
            hint="Set TIME_ZONE to the body's zone, e.g. TIME_ZONE=Europe/Dublin (or UTC, explicitly).",
            id="ombuds.W006",
        )
    ]


@register(Tags.security, deploy=True)
def check_previous_master_key(app_configs=None, **kwargs) -> list[Warning]:
    if not getattr(settings, "OMBUDS_MASTER_KEY_PREVIOUS_FILE", ""):
        return []
    return [
        Warning(
            "OMBUDS_MASTER_KEY_PREVIOUS_FILE is set: a master key being replaced still opens the"
            " data keys, so whoever took it can still read them.",
            hint="Run `ombuds keys rewrap`, then remove OMBUDS_MASTER_KEY_PREVIOUS_FILE (`ombuds"
            " keys status` says when nothing is left under the previous key).",
            id="ombuds.W007",
        )
    ]
