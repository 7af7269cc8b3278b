"""Uploaded CSV files waiting to be imported."""

from __future__ import annotations

import datetime as dt

from django.core.files.storage import default_storage
from django.utils import timezone


def discard_stale_uploads(*, older_than: dt.timedelta = dt.timedelta(hours=24)) -> int:
    """Delete checked CSV files that nobody went on to import (they hold people's contact details).

    Through the uploads' storage, so it is the same on the local disk and in an object store shared
    by several machines (the files wait under imports/<body>/)."""
    cutoff = timezone.now() - older_than
    try:
        folders, _files = default_storage.listdir("imports")
    except FileNotFoundError:  # the local disk before the first upload
        return 0
    removed = 0
    for folder in folders:
        for filename in default_storage.listdir(f"imports/{folder}")[1]:
            name = f"imports/{folder}/{filename}"
            if name.endswith(".csv") and default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                removed += 1
    return removed
