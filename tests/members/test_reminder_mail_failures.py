"""An attestation reminder the mail server refuses is not counted as sent: its claim is given back
and the next tick sends it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.members import attestations as svc
from ombuds.members.models import AttestationReminder
from tests.members.conftest import start

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when a test runs, not when the module is collected


class DownBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_reminders_the_mail_server_refuses_are_not_counted_and_go_out_next_time(world, settings):
    start(
        world, audience="agency_staff", due_on=TODAY() + dt.timedelta(days=14), reminder_days=[14]
    )
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    assert svc.reminders_send(today=TODAY()) == 0
    assert not AttestationReminder.objects.exists()
    (event,) = Event.objects.filter(action="attestation.reminders_sent")
    assert event.data["sent"] == 0 and event.data["failed"] > 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent = svc.reminders_send(today=TODAY())
    assert sent == event.data["failed"] == len(mail.outbox)
    assert AttestationReminder.objects.count() == sent
    assert svc.reminders_send(today=TODAY()) == 0
