"""The audit chain's deployment checks (`ombuds check --deploy`). Its key needs none of its own: it
is derived from the master key, which `ombuds.W004` asks for, unless OMBUDS_AUDIT_KEY is set."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


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
