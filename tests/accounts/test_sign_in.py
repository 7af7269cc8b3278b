"""Signing in: the page speaks to members too and links to password reset; attempts are counted per
client, and over the limit the page answers 429 with the wait, and checks no password."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def test_the_page_is_for_members_too(client, db):
    response = client.get(LOGIN)
    text = response.content.decode()
    assert "For members of a body" in text
    assert reverse("password_reset") in text
    assert "no-store" in response["Cache-Control"]


def test_a_wrong_password_is_refused_clearly(client, personas):
    response = client.post(LOGIN, {"username": "nora", "password": "wrong"})
    assert response.status_code == 400
    assert "Please enter a correct username and password" in response.content.decode()


def test_too_many_attempts_from_one_client_get_429(personas, settings):
    settings.OMBUDS_SIGN_IN_ATTEMPTS_PER_HOUR = 3
    nora = personas["signed_in_no_role"]
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        assert sign_in(guesser, nora, "guess").status_code == 400
    response = sign_in(guesser, nora, PASSWORD)  # even the right password: nothing is checked
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    text = response.content.decode()
    assert "Please wait before trying again" in text and "Try again in" in text
    assert "_auth_user_id" not in guesser.session
    # Another client is counted apart.
    assert sign_in(Client(REMOTE_ADDR="203.0.113.10"), nora).status_code == 302
    # Reset links are counted with the sign-in attempts.
    assert guesser.post(reverse("password_reset"), {"email": "x@example.org"}).status_code == 429


def test_showing_the_page_is_not_counted(client, db, settings):
    settings.OMBUDS_SIGN_IN_ATTEMPTS_PER_HOUR = 1
    for _ in range(3):
        assert client.get(LOGIN).status_code == 200
