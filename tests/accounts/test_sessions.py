"""The account page lists where the account is signed in (this session marked); signing out of the
other sessions ends them at once, and signing out everywhere ends this one too."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ombuds.accounts.models import AccountSession
from ombuds.audit.models import Event
from tests.accounts.conftest import code_for, set_up_second_factor, sign_in

pytestmark = pytest.mark.django_db

SECURITY = reverse("accounts:security")
END = reverse("accounts:sessions_end")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def two_clients(personas):
    nora = personas["signed_in_no_role"]
    laptop = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="192.0.2.10")
    phone = Client(HTTP_USER_AGENT=SAFARI, REMOTE_ADDR="198.51.100.7")
    sign_in(laptop, nora)
    sign_in(phone, nora)
    return nora, laptop, phone


def test_the_page_lists_both_sessions_and_marks_this_one(two_clients):
    _, laptop, _ = two_clients
    response = laptop.get(SECURITY)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    text = response.content.decode()
    assert "Firefox on Linux" in text and "Safari on iPhone" in text
    assert "192.0.2.10" in text and "198.51.100.7" in text
    assert text.count("This session") == 1
    rows = response.context["sessions"]
    assert rows[0]["current"] and rows[0]["browser"] == "Firefox on Linux"
    assert "Sign out of all other sessions (1)" in text


def test_signing_out_of_the_others_ends_them_at_once(two_clients):
    nora, laptop, phone = two_clients
    response = laptop.post(END, {"scope": "others"}, follow=True)
    assert "Signed out of 1 other session; this one stays signed in." in response.content.decode()
    # The phone's next request is anonymous.
    assert phone.get(SECURITY)["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in phone.session
    assert laptop.get(SECURITY).status_code == 200
    assert AccountSession.objects.filter(user=nora, ended_at__isnull=True).count() == 1
    event = Event.objects.get(action="account.signed_out_everywhere")
    assert event.actor == nora and event.data == {
        "ended": 1,
        "kept_current": True,
        "reason": "others",
    }


def test_signing_out_everywhere_ends_this_session_too(two_clients):
    nora, laptop, phone = two_clients
    response = laptop.post(END, {"scope": "all"})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert laptop.get(SECURITY).status_code == 302
    assert phone.get(SECURITY).status_code == 302
    assert not AccountSession.objects.filter(user=nora, ended_at__isnull=True).exists()


def test_ending_sessions_is_post_only_and_for_the_signed_in(client, two_clients):
    _, laptop, _ = two_clients
    assert laptop.get(END).status_code == 405
    assert client.post(END, {"scope": "all"}).status_code == 302  # to sign in
    assert laptop.post(END, {"scope": "nonsense"}).status_code == 302
    assert not Event.objects.filter(action="account.signed_out_everywhere").exists()


def test_signing_out_removes_the_session_from_the_list(two_clients):
    _, laptop, phone = two_clients
    phone.post(reverse("logout"))
    rows = laptop.get(SECURITY).context["sessions"]
    assert len(rows) == 1 and rows[0]["current"]


def test_the_account_page_keeps_a_fixed_number_of_queries(personas, django_assert_max_num_queries):
    alice = personas["body_admin"]
    device, _ = set_up_second_factor(alice)
    clients = [Client(HTTP_USER_AGENT=f"Agent {n}") for n in range(6)]
    for c in clients:
        sign_in(c, alice)
    main = clients[0]
    main.post(reverse("accounts:two_factor"), {"code": code_for(device, 1)})
    assert main.get(SECURITY).status_code == 200
    with django_assert_max_num_queries(10):
        response = main.get(SECURITY)
    assert response.status_code == 200
    assert len(response.context["sessions"]) == 6
    text = response.content.decode()
    assert "Recovery codes left: <strong>10</strong>" in text
    assert "cannot be turned off" in text


def test_the_account_page_needs_sign_in(client, db):
    response = client.get(SECURITY)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_expired_session_is_not_listed_as_signed_in(two_clients, settings):
    # A session not seen for longer than SESSION_COOKIE_AGE has expired: it is not "signed in".
    import datetime as dt

    from django.utils import timezone

    nora, laptop, _ = two_clients
    phone_row = AccountSession.objects.get(user=nora, user_agent=SAFARI)
    AccountSession.objects.filter(pk=phone_row.pk).update(
        last_seen_at=timezone.now() - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    )
    text = laptop.get(SECURITY).content.decode()
    assert "iPhone" not in text
    assert "Sign out of all other sessions (" not in text


def test_a_session_whose_key_changed_elsewhere_is_still_signed_out_everywhere(
    two_clients, settings
):
    """Django's admin gives a session a new key when its owner changes their password there; the
    next request puts the new key on the account's list, so signing out everywhere reaches it."""
    nora, laptop, phone = two_clients
    phone.get(SECURITY)
    session = phone.session
    session.cycle_key()  # what update_session_auth_hash does
    session.save()
    phone.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    assert phone.get(SECURITY).status_code == 200
    assert AccountSession.objects.filter(user=nora, session_key=session.session_key).exists()

    laptop.post(END, {"scope": "others"})
    assert phone.get(SECURITY)["Location"].startswith(reverse("login"))
