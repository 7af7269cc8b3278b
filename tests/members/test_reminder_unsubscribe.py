"""Email as a body sends it: the attestation reminder has a text and an HTML part with the same
words, replies go to the body's contact address, and the recipient can stop reminders (one click,
RFC 8058) without stopping what is due or a case's notices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from ombuds.bodies.mail import Stoppable, body_message, unsubscribe_token
from ombuds.bodies.models import MailOptOut
from ombuds.members import attestations as svc
from ombuds.members.models import AttestationReminder
from tests.members.conftest import start

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when a test runs, not when the module is collected


def _reminders(world):
    world.body.contact_email = "ethics@guild.example"
    world.body.save()
    start(
        world, audience="agency_staff", due_on=TODAY() + dt.timedelta(days=14), reminder_days=[14]
    )
    svc.reminders_send(today=TODAY())
    assert mail.outbox, "the campaign reminds someone"
    return mail.outbox


def test_reminder_has_html_and_text_reply_to_the_body_and_a_way_to_stop(world):
    message = _reminders(world)[0]
    assert message.reply_to == ["ethics@guild.example"]
    assert world.body.name in message.from_email
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body and f'href="{url}"' in html
    # The same words in both parts: the attest link is in each.
    attest_link = next(w for w in message.body.split() if "/attest" in w)
    assert attest_link in message.body and f'href="{attest_link}"' in html


def test_the_link_asks_first_then_one_click_stops_only_that_address(world, client):
    outbox = _reminders(world)
    first, others = outbox[0], outbox[1:]
    url = first.extra_headers["List-Unsubscribe"].strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and b"Stop these reminders" in page.content
    assert not MailOptOut.objects.exists(), "a link checker's GET must not unsubscribe"
    # A mail client's one-click POST: no CSRF token, the body RFC 8058 prescribes.
    done = client.post("/" + path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"Reminders stopped" in done.content
    (row,) = MailOptOut.objects.all()
    assert row.email == first.to[0].lower() and row.kind == Stoppable.ATTESTATION

    # The next reminder day reaches the others, not the one who stopped them.
    mail.outbox.clear()
    AttestationReminder.objects.all().delete()
    svc.reminders_send(today=TODAY())
    sent_to = {m.to[0] for m in mail.outbox}
    assert first.to[0] not in sent_to
    assert sent_to == {m.to[0] for m in others}


def test_an_altered_link_stops_nothing(world, client):
    token = unsubscribe_token(world.body, "someone@example.org", Stoppable.ATTESTATION)
    forged = token[:3] + ("A" if token[3] != "A" else "B") + token[4:]
    assert forged != token
    response = client.post(f"/mail/unsubscribe/{forged}/")
    assert response.status_code == 404
    assert not MailOptOut.objects.exists()


def test_a_notice_that_cannot_be_stopped_carries_no_unsubscribe(world):
    world.body.contact_email = "ethics@guild.example"
    message = body_message(world.body, "Notice of a complaint", "Text", ["r@example.org"])
    assert "List-Unsubscribe" not in message.extra_headers
    assert message.reply_to == ["ethics@guild.example"]
    assert message.alternatives[0][1] == "text/html"


def test_the_html_part_escapes_what_the_text_holds(world):
    message = body_message(
        world.body, "S", "<script>x</script> see https://a.example/x.", ["r@e.org"]
    )
    html = message.alternatives[0][0]
    assert "<script>x" not in html and "&lt;script&gt;" in html
    assert 'href="https://a.example/x"' in html
