"""Sending notices by email: an outbox. The notice row is committed by the change that made it;
sending it then takes three steps, none of which holds a lock while the mail server is talked to:

1. **claim** (a short transaction): a pending notice becomes *sending*, with the time of the claim,
   one more attempt and its Message-ID (stable: the same notice always carries the same one, so a
   copy can be recognised downstream), and that is committed;
2. **send**, outside any transaction;
3. **mark** (a second short transaction): *sent*; or, when the server refused it, *pending* again
   with the error (the retry sends it later), *failed* after NOTICE_ATTEMPTS.

A notice that is *sending* is never sent again by a retry: the server may have accepted it. When
the mark could not be written (the database went away just after the server accepted the mail),
the notice stays *sending*; once its claim is older than CLAIM_TIMEOUT a retry marks it *outcome
unknown*, and nobody sends it again without a person deciding to (docs/deployment.md, "Mail").

`send_notice_task` lives here, beside what it runs, so that making a notice can queue it without
importing `ombuds.cases.tasks` (which imports the services): `ombuds.cases.tasks` re-exports it, and
a task queued under that name before still runs."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_tasks import task

from ombuds.bodies.mail import body_message
from ombuds.cases.models import Notice
from ombuds.cases.notices import link_filled
from ombuds.cases.rules import PROCEDURE_LINK_TEMPLATES
from ombuds.cases.selectors import procedure_of
from ombuds.cases.services.base import lock_case, record_event
from ombuds.cases.services.deadlines import delivery_settle

logger = logging.getLogger(__name__)

NOTICE_ATTEMPTS = 5
# How long a claimed notice may stay "sending" before a retry takes its outcome as unknown: far
# longer than any mail server takes to answer (Django's SMTP backend waits EMAIL_TIMEOUT).
CLAIM_TIMEOUT = dt.timedelta(minutes=15)
# How often the mark "sent" is tried again when the database refuses it (the mail went out).
MARK_TRIES = 3


def notice_message_id(notice: Notice) -> str:
    """The notice's Message-ID: the same for every attempt, unguessable from the outside (it says
    nothing of the case), so that the mail server's log and the recipient's mailbox can tell a copy
    of the same notice."""
    digest = salted_hmac("ombuds.cases.notice-message-id", str(notice.pk), algorithm="sha256")
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "ombuds.invalid"
    return f"<notice-{notice.pk}.{digest.hexdigest()[:20]}@{domain}>"


def _claim(notice_id: int, now: dt.datetime) -> Notice | str:
    """Claim a pending notice for sending (committed before the mail server is called); or say why
    there is nothing to send. A claim left behind past CLAIM_TIMEOUT becomes "outcome unknown"."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None:
            return "nothing to send"
        if notice.status == Notice.Status.SENDING:
            if notice.claimed_at and notice.claimed_at > now - CLAIM_TIMEOUT:
                return "being sent"
            notice.status = Notice.Status.UNKNOWN
            notice.last_error = (
                "The mail server may have accepted this notice, but it was never marked sent "
                f"(Message-ID {notice.message_id}). Check the mail server's log before sending "
                "it again."
            )
            notice.save(update_fields=["status", "last_error", "updated_at"])
            logger.error("notice %s: outcome unknown (%s)", notice.pk, notice.message_id)
            return "outcome unknown"
        if notice.status != Notice.Status.PENDING:
            return "nothing to send"
        notice.status, notice.claimed_at = Notice.Status.SENDING, now
        notice.attempts += 1
        notice.message_id = notice.message_id or notice_message_id(notice)
        notice.save(update_fields=["status", "claimed_at", "attempts", "message_id", "updated_at"])
        return notice


def _mark(notice: Notice, **changes: object) -> int:
    """Write the outcome of this claim (and only this one: a claim taken over is left alone)."""
    with transaction.atomic():
        return Notice.objects.filter(
            pk=notice.pk, status=Notice.Status.SENDING, claimed_at=notice.claimed_at
        ).update(updated_at=timezone.now(), **changes)


def _mark_sent(notice: Notice) -> bool:
    """Mark the notice sent, trying again a few times: the server accepted it, so it must never be
    sent again. When the database keeps refusing, the notice stays "sending" (never re-sent) and
    the log says which Message-ID went out."""
    for attempt in range(MARK_TRIES):
        try:
            # Sent: the link now lives in the recipient's mailbox only.
            _mark(
                notice,
                status=Notice.Status.SENT,
                sent_at=timezone.now(),
                link_token="",
                last_error="",
            )
            return True
        except DatabaseError:
            logger.warning(
                "notice %s sent; marking it sent failed (try %d)", notice.pk, attempt + 1
            )
            time.sleep(0.2 * (attempt + 1))
    logger.error(
        "notice %s was accepted by the mail server (Message-ID %s) but could not be marked sent; "
        "it will show as 'outcome unknown' and is not sent again",
        notice.pk,
        notice.message_id,
    )
    return False


def notice_send(notice_id: int) -> str:
    """Send one notice, holding no lock and no transaction while the mail server is called: "sent",
    "failed" (counted; retried later, or failed for good after NOTICE_ATTEMPTS, shown on the case),
    "being sent" (claimed by another sender), "outcome unknown" or "nothing to send"."""
    claimed = _claim(notice_id, timezone.now())
    if isinstance(claimed, str):
        return claimed
    notice = claimed
    # The recipient's personal link (the respondent's or a named complainant's), email only.
    text = link_filled(notice)
    message = body_message(
        notice.case.organization,
        notice.subject,
        text,
        [notice.recipient_email],
        headers={"Message-ID": notice.message_id},
    )
    try:
        message.send()
    except Exception as exc:  # any transport error: keep it and try again later
        error = str(exc)[:1000] or exc.__class__.__name__
        failed = notice.attempts >= NOTICE_ATTEMPTS
        _mark(
            notice,
            status=Notice.Status.FAILED if failed else Notice.Status.PENDING,
            claimed_at=None,
            last_error=error,
        )
        logger.warning("notice %s not sent (attempt %d): %s", notice.pk, notice.attempts, error)
        return "failed"
    if _mark_sent(notice) and notice.recipient_role == "respondent":
        _delivered_by_email(notice)
    return "sent"


def _delivered_by_email(notice: Notice) -> None:
    """A notice to the respondent went out by email: delivered today. For one with their link,
    what waited for its delivery follows (deadlines counting from it start, the complainant's
    notice held until then goes). A failure here is logged, never taken for a failed send: the
    mail went out, and the daily clock settles what waits (`deliveries_settle_missed`)."""
    today = timezone.localdate()
    try:
        with transaction.atomic():
            case = lock_case(notice.case, None)
            Notice.objects.filter(pk=notice.pk, delivered_on=None).update(
                delivered_on=today, delivery_means=Notice.Means.EMAIL
            )
            released: list[int] = []
            if notice.template in PROCEDURE_LINK_TEMPLATES:
                released = delivery_settle(case, procedure_of(case), today)
            record_event(
                case,
                "case.notice_delivered",
                {"notice": notice.pk, "template": notice.template, "means": "email", "on": today},
                user=None,
                label="",
            )
    except Exception:  # the mail went out: never turn that into a failure of the send
        logger.exception("notice %s sent; what waited for its delivery was not settled", notice.pk)
        return
    for pk in released:
        try:
            send_notice_task.enqueue(pk)
        except Exception:  # a queue that is down: the retry sends it
            logger.exception("notice %s released but not queued", pk)


def notices_retry() -> int:
    """Try again every notice still waiting, and settle claims left behind past CLAIM_TIMEOUT as
    "outcome unknown" (the daily tick and the worker call this). Returns how many went out."""
    sent = 0
    stale = timezone.now() - CLAIM_TIMEOUT
    for pk in Notice.objects.filter(
        status=Notice.Status.SENDING, claimed_at__lte=stale
    ).values_list("pk", flat=True):
        notice_send(pk)
    for pk in Notice.objects.filter(status=Notice.Status.PENDING).values_list("pk", flat=True):
        sent += notice_send(pk) == "sent"
    return sent


@task()
def send_notice_task(notice_id: int) -> str:
    """Send one notice by email; a failure is counted and retried by `notices_retry_task`."""
    return notice_send(notice_id)
