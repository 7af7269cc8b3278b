"""An invitation whose email the mail server refuses is not made: it is refused with the reason
(the page and the bulk run say so), rather than counted as sent with its link lost."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from ombuds.accounts import services
from ombuds.accounts.models import Invitation
from ombuds.audit.models import Event

pytestmark = pytest.mark.django_db


class DownBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_an_invitation_whose_mail_is_refused_is_not_made(person, settings):
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    with pytest.raises(services.InvitationRefused) as refused:
        services.invitation_create(person=person)
    assert refused.value.problems == [
        "the invitation email to lena@example.org could not be sent (mail server down); "
        "try again later"
    ]
    assert not Invitation.objects.exists()
    assert not Event.objects.filter(action="account.invited").exists()


def test_an_invitation_is_sent_with_its_link(person):
    invitation, token = services.invitation_create(person=person)
    (message,) = mail.outbox
    assert message.to == ["lena@example.org"] and token in message.body
    assert Invitation.objects.get() == invitation
