"""Sending notices by email, after the change that made them has committed: one at a time through
the task queue, and again by the retry until they are sent or have failed too often.

`send_notice_task` lives here, beside what it runs, so that making a notice can queue it without
importing `ombuds.cases.tasks` (which imports the services): `ombuds.cases.tasks` re-exports it, and
a task queued under that name before still runs."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from ombuds.cases.models import Notice
from ombuds.cases.notices import LINK_PLACEHOLDER, respondent_url

NOTICE_ATTEMPTS = 5


def notice_send(notice_id: int) -> str:
    """Send one notice; on failure count the attempt and leave it for the retry, or mark it failed
    after NOTICE_ATTEMPTS (shown on the case, never silently lost)."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None or notice.status != Notice.Status.PENDING:
            return "nothing to send"
        text = notice.body
        if notice.link_token:
            text = text.replace(LINK_PLACEHOLDER, respondent_url(notice.link_token))
        try:
            send_mail(
                subject=notice.subject,
                message=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notice.recipient_email],
            )
        except Exception as exc:  # any transport error: keep it and try again later
            notice.attempts += 1
            notice.last_error = str(exc)[:1000] or exc.__class__.__name__
            if notice.attempts >= NOTICE_ATTEMPTS:
                notice.status = Notice.Status.FAILED
            notice.save(update_fields=["attempts", "last_error", "status", "updated_at"])
            return "failed"
        notice.attempts += 1
        notice.status, notice.sent_at = Notice.Status.SENT, timezone.now()
        notice.link_token = ""  # sent: the link now lives in the respondent's mailbox only
        notice.save(update_fields=["attempts", "status", "sent_at", "link_token", "updated_at"])
        return "sent"


def notices_retry() -> int:
    """Try again every notice still waiting (the daily tick and the worker call this)."""
    sent = 0
    for pk in Notice.objects.filter(status=Notice.Status.PENDING).values_list("pk", flat=True):
        sent += notice_send(pk) == "sent"
    return sent


@task()
def send_notice_task(notice_id: int) -> str:
    """Send one notice by email; a failure is counted and retried by `notices_retry_task`."""
    return notice_send(notice_id)
