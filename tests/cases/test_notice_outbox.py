"""The notices' outbox (ombuds/cases/services/delivery.py): a notice is claimed and committed before
the mail server is called, sent with no lock nor transaction open, then marked; a failure leaves it
pending with its error; a mail the server accepted is never sent twice, even when marking it sent
fails; a claim never settled becomes "outcome unknown" and is not sent again."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ombuds.cases import services
from ombuds.cases.models import Case, Notice
from ombuds.cases.services import delivery
from tests.cases.conftest import file_case

ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


class DownBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


class WatchingBackend(LocmemBackend):
    """A mail server that, while it holds the message, checks that the sender has no transaction
    open, and (on PostgreSQL, from another connection) that neither the notice nor its case is
    locked: someone else can change them meanwhile."""

    seen: list[str] = []

    def send_messages(self, email_messages):
        in_transaction = transaction.get_connection().in_atomic_block
        self.seen.append("in a transaction" if in_transaction else "no transaction")
        if ON_POSTGRES:
            self.seen.append(_other_connection_locks(Notice.objects.get().pk))
        return super().send_messages(email_messages)


def _other_connection_locks(notice_id: int) -> str:
    result: list[str] = []

    def run():
        try:
            with transaction.atomic():
                notice = Notice.objects.select_for_update(nowait=True).get(pk=notice_id)
                Case.objects.select_for_update(nowait=True).filter(pk=notice.case_id).update(
                    checkin_on=timezone.localdate()
                )
            result.append("not locked")
        except DatabaseError:
            result.append("locked")
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return result[0] if result else "no answer"


def _backend(settings, cls: type) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.{cls.__name__}"


def test_a_refused_mail_leaves_the_notice_pending_with_the_error(csec, settings):
    notice = file_case(csec).notices.get()
    _backend(settings, DownBackend)
    assert services.notice_send(notice.pk) == "failed"
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PENDING
    assert notice.attempts == 1
    assert notice.last_error == "mail server down"
    assert notice.claimed_at is None and notice.sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.notices_retry() == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == (Notice.Status.SENT, 2, "")


def test_every_attempt_carries_the_same_message_id(csec, settings):
    notice = file_case(csec).notices.get()
    _backend(settings, DownBackend)
    services.notice_send(notice.pk)
    notice.refresh_from_db()
    first_id = notice.message_id
    assert first_id.startswith(f"<notice-{notice.pk}.") and first_id.endswith(">")
    assert csec.org.slug not in first_id and notice.case.reference not in first_id
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.notice_send(notice.pk)
    (message,) = mail.outbox
    assert message.extra_headers["Message-ID"] == first_id
    assert message.message()["Message-ID"] == first_id


def test_a_mail_accepted_but_not_marked_sent_is_never_sent_again(csec, monkeypatch):
    notice = file_case(csec).notices.get()
    real_mark = delivery._mark

    def database_gone(claimed, **changes):
        if changes.get("status") == Notice.Status.SENT:
            raise DatabaseError("connection lost")
        return real_mark(claimed, **changes)

    monkeypatch.setattr(delivery, "_mark", database_gone)
    monkeypatch.setattr(delivery.time, "sleep", lambda seconds: None)
    assert services.notice_send(notice.pk) == "sent"
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENDING  # the server has it; the mark did not stick

    monkeypatch.setattr(delivery, "_mark", real_mark)
    assert services.notices_retry() == 0
    assert services.notice_send(notice.pk) == "being sent"
    assert len(mail.outbox) == 1  # a recent claim: nobody sends it again

    Notice.objects.filter(pk=notice.pk).update(
        claimed_at=timezone.now() - delivery.CLAIM_TIMEOUT - dt.timedelta(seconds=1)
    )
    assert services.notices_retry() == 0
    notice.refresh_from_db()
    assert notice.status == Notice.Status.UNKNOWN
    assert notice.message_id in notice.last_error
    assert services.notices_retry() == 0
    assert services.notice_send(notice.pk) == "nothing to send"
    assert len(mail.outbox) == 1


def test_a_notice_claimed_by_another_sender_is_left_to_it(csec):
    notice = file_case(csec).notices.get()
    Notice.objects.filter(pk=notice.pk).update(
        status=Notice.Status.SENDING, claimed_at=timezone.now()
    )
    assert services.notices_retry() == 0
    assert services.notice_send(notice.pk) == "being sent"
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_no_transaction_nor_lock_is_held_while_the_mail_server_is_called(csec, settings):
    notice = file_case(csec).notices.get()
    _backend(settings, WatchingBackend)
    WatchingBackend.seen = []
    assert services.notice_send(notice.pk) == "sent"
    expected = ["no transaction"] + (["not locked"] if ON_POSTGRES else [])
    assert WatchingBackend.seen == expected
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT
    assert notice.link_token == ""
