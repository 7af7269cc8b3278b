"""Uploaded CSV files waiting to be imported."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from django.conf import settings


def discard_stale_uploads(*, older_than: dt.timedelta = dt.timedelta(hours=24)) -> int:
    """Delete checked CSV files that nobody went on to import (they hold people's contact details)."""
    folder = Path(settings.MEDIA_ROOT) / "imports"
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in folder.glob("*/*.csv"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
