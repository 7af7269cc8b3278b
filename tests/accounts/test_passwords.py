"""Password reset by email, end to end, and password change: the link is built from the request,
works once, and every other session of the account ends afterwards."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from ombuds.accounts.models import AccountSession
from ombuds.audit.models import Event
from tests.accounts.conftest import PASSWORD, STRONG, sign_in

pytestmark = pytest.mark.django_db

SECURITY = reverse("accounts:security")


def test_a_password_reset_by_email_end_to_end(client, personas, settings):
    settings.ALLOWED_HOSTS = ["ombuds.example.org", "testserver"]
    nora = personas["signed_in_no_role"]
    elsewhere = Client()
    sign_in(elsewhere, nora)
    assert elsewhere.get(SECURITY).status_code == 200

    page = client.get(reverse("password_reset"))
    assert page.status_code == 200 and "Reset your password" in page.content.decode()
    response = client.post(
        reverse("password_reset"), {"email": "NORA@example.org"}, HTTP_HOST="ombuds.example.org"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["nora@example.org"]
    assert message.subject == "Choose a new password for your Ombuds account"
    link = re.search(r"https?://ombuds\.example\.org(/accounts/reset/\S+/)", message.body).group(1)

    form = client.get(link, follow=True, HTTP_HOST="ombuds.example.org")
    assert "Choose a new password" in form.content.decode()
    set_password_url = form.redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {"new_password1": "short", "new_password2": "other"},
        HTTP_HOST="ombuds.example.org",
    )
    text = response.content.decode()
    assert "too short" in text and "didn’t match" in text
    response = client.post(
        set_password_url,
        {"new_password1": STRONG, "new_password2": STRONG},
        HTTP_HOST="ombuds.example.org",
    )
    assert response["Location"] == reverse("password_reset_complete")

    nora.refresh_from_db()
    assert nora.check_password(STRONG)
    # The session elsewhere ended, and left the account's list.
    assert elsewhere.get(SECURITY).status_code == 302
    assert not AccountSession.objects.filter(user=nora, ended_at__isnull=True).exists()
    assert Event.objects.get(action="account.password_changed").data["how"] == "reset"
    # The link worked once.
    again = client.get(link, follow=True, HTTP_HOST="ombuds.example.org")
    assert "This reset link is not working" in again.content.decode()
    assert sign_in(Client(), nora, STRONG).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_changing_the_password_keeps_this_session_and_ends_the_others(personas):
    nora = personas["signed_in_no_role"]
    laptop, phone = Client(HTTP_USER_AGENT="laptop"), Client(HTTP_USER_AGENT="phone")
    sign_in(laptop, nora)
    sign_in(phone, nora)
    page = laptop.get(reverse("password_change"))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    response = laptop.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
    )
    assert response["Location"] == reverse("password_change_done")
    assert laptop.get(SECURITY).status_code == 200
    assert phone.get(SECURITY).status_code == 302
    # This session is still on the account's list, under its new key; the phone's is not.
    rows = laptop.get(SECURITY).context["sessions"]
    assert len(rows) == 1 and rows[0]["current"] and rows[0]["row"].user_agent == "laptop"
    event = Event.objects.get(action="account.password_changed")
    assert event.data == {"how": "change", "sessions_ended": 1}


def test_a_wrong_old_password_changes_nothing(personas, client):
    nora = personas["signed_in_no_role"]
    sign_in(client, nora)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": STRONG, "new_password2": STRONG},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    nora.refresh_from_db()
    assert nora.check_password(PASSWORD)
