"""Who is alive: each worker process writes its heartbeat row, and a worker counts as gone when its
heartbeat is older than OMBUDS_WORKER_SILENT_AFTER, or when it ran on this machine and its process
no longer exists (a `kill -9` is seen at once, not after the silence)."""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.conf import settings
from django.utils import timezone

from ombuds.operations.models import WorkerHeartbeat

HOSTNAME = socket.gethostname()[:255]


def heartbeat_start(worker_id: str) -> WorkerHeartbeat:
    now = timezone.now()
    beat, _created = WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": HOSTNAME, "pid": os.getpid(), "started_at": now, "seen_at": now},
    )
    return beat


def heartbeat(worker_id: str) -> None:
    """Say this worker is alive (its row comes back if something removed it)."""
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=timezone.now()):
        heartbeat_start(worker_id)


def heartbeat_stop(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def silent_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OMBUDS_WORKER_SILENT_AFTER)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def is_gone(beat: WorkerHeartbeat, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    if beat.seen_at < now - silent_after():
        return True
    return beat.hostname == HOSTNAME and not _process_exists(beat.pid)


def last_heartbeat() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-seen_at").first()


def live_workers(*, now: dt.datetime | None = None) -> list[WorkerHeartbeat]:
    now = now or timezone.now()
    recent = WorkerHeartbeat.objects.filter(seen_at__gte=now - silent_after())
    return [beat for beat in recent if not is_gone(beat, now=now)]
