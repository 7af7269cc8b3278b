"""What a production server checks before it serves a request."""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import DatabaseError

from ombuds.audit.services import chain_key_problem
from ombuds.bodies.keys import master_key_mismatch, master_key_pending
from ombuds.operations.static import manifest_path, manifest_present

# WSGI servers read this exit status as "the worker cannot boot" (gunicorn's WORKER_BOOT_ERROR) and
# stop, instead of starting the same failing worker again and again.
BOOT_ERROR = 3


def unservable_reason() -> str | None:
    """Why this process must not serve pages, in one line; None when it may."""
    if not settings.DEBUG and not manifest_present():
        return (
            f"ombuds: static files are not collected ({manifest_path()} is missing): "
            "run `ombuds collectstatic --noinput` before starting the server, or set DEBUG=1"
        )
    try:
        return master_key_mismatch() or chain_key_problem()
    except DatabaseError:
        return None  # no database yet, or not migrated: /healthz says so, not the boot


def startup_notice() -> str | None:
    """What the operator must hear at start without it stopping the process, in one line: data
    keys still wrapped by the previous master key (a rewrap not finished)."""
    try:
        return master_key_pending()
    except DatabaseError:
        return None


def refuse_unservable() -> None:
    """Stop the process with a one-line reason rather than answer every page with a server error."""
    reason = unservable_reason()
    if reason:
        print(reason, file=sys.stderr, flush=True)
        raise SystemExit(BOOT_ERROR)
    notice = startup_notice()
    if notice:
        print(notice, file=sys.stderr, flush=True)
