"""The audit chain's checks: its database backend (always) and, for `ombuds check --deploy`, its
checkpoints. Its key needs no check of its own: it is derived from the master key, which
`ombuds.W004` asks for, unless OMBUDS_AUDIT_KEY is set."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.db import connections

from ombuds.audit.backends import LinksAuditEventsAtCommit


@register()
def audit_backend(app_configs, **kwargs):
    """`record` needs a backend that links a transaction's events as it commits."""
    engine = connections["default"].settings_dict.get("ENGINE", "")
    if isinstance(connections["default"], LinksAuditEventsAtCommit):
        return []
    return [
        Error(
            f"The database backend {engine} does not link audit events: every audited change "
            "would fail.",
            hint="Use a postgres:// or sqlite:// DATABASE_URL (their backends are "
            "ombuds.audit.backends.postgresql and .sqlite3); another backend must mix in "
            "ombuds.audit.backends.LinksAuditEventsAtCommit.",
            id="ombuds.audit.E001",
        )
    ]


@register(deploy=True)
def audit_checkpoints(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    if not settings.OMBUDS_AUDIT_CHECKPOINT_DIR:
        return [
            Warning(
                "No audit checkpoints are written: whoever owns the database could remove the "
                "newest audit events unnoticed.",
                hint="Set OMBUDS_AUDIT_CHECKPOINT_DIR to a directory kept on another machine and "
                "OMBUDS_AUDIT_SIGNING_KEY_FILE to a key made by `ombuds audit keygen FILE`.",
                id="ombuds.audit.W001",
            )
        ]
    if not settings.OMBUDS_AUDIT_SIGNING_KEY_FILE:
        return [
            Warning(
                "OMBUDS_AUDIT_CHECKPOINT_DIR is set but OMBUDS_AUDIT_SIGNING_KEY_FILE is not: the "
                "daily checkpoint fails.",
                hint="Make a key with `ombuds audit keygen FILE` and set "
                "OMBUDS_AUDIT_SIGNING_KEY_FILE to it.",
                id="ombuds.audit.W002",
            )
        ]
    return []
