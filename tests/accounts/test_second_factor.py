"""The second factor: whoever holds a role on a body sets up an authenticator app before any other
page, sees their recovery codes once, and enters a code at each sign-in after. Wrong codes, replayed
codes and used recovery codes are refused, each in its own words; the API answers 403 until the
factor is passed; a member without a role is not asked, but may turn it on."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombuds.accounts import services
from ombuds.audit.models import Event
from tests.accounts.conftest import code_for, set_up_second_factor, sign_in

pytestmark = pytest.mark.django_db

TWO_FACTOR = reverse("accounts:two_factor")
SETUP = reverse("accounts:two_factor_setup")
RECOVERY = reverse("accounts:recovery_codes")


@pytest.fixture
def staff_page():
    return reverse("register_staff:home", args=["guild"])


def other_code(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def test_a_role_holder_sets_up_the_app_and_sees_the_recovery_codes_once(
    client, personas, staff_page
):
    alice = personas["body_admin"]
    response = sign_in(client, alice)
    assert response["Location"].startswith(SETUP + "?next=")
    response = client.get(staff_page)
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fstaff%2Fguild%2Fregister%2F"

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    text = page.content.decode()
    assert "<svg" in text  # the QR code is drawn here, not fetched
    assert not re.search(r'(?:src|href)="(?:https?:)?//', text)
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    assert page.context["secret"].replace(" ", "") in text.replace(" ", "")

    response = client.post(SETUP, {"code": code_for(device), "next": staff_page})
    assert response.status_code == 302
    assert response["Location"].startswith(RECOVERY)
    device.refresh_from_db()
    assert device.confirmed

    shown = client.get(response["Location"])
    codes = shown.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    text = shown.content.decode()
    assert all(code in text for code in codes)
    assert "ombuds-recovery-codes.txt" in text
    assert f'href="{staff_page}"' in text  # continue to where they were going
    again = client.get(RECOVERY)
    assert again.context["codes"] == []
    assert not any(code in again.content.decode() for code in codes)
    assert "10 recovery codes left" in again.content.decode()

    assert client.get(staff_page).status_code == 200
    assert Event.objects.filter(action="account.second_factor_set_up", actor=alice).exists()


def test_a_wrong_setup_code_leaves_the_app_unconfirmed(client, personas, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    alice = personas["body_admin"]
    sign_in(client, alice)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=alice)
    response = client.post(SETUP, {"code": other_code(code_for(device))})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    response = client.post(SETUP, {"code": "12ab"})
    assert response.status_code == 400
    assert "digits only" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    # Reloading shows the same secret, so an app already scanned still works.
    assert client.get(SETUP).context["secret"] == services_secret(device)


def services_secret(device) -> str:
    from ombuds.accounts.views import _secret_text

    return _secret_text(device)


def test_the_next_sign_in_asks_for_a_code(client, personas, staff_page):
    alice = personas["body_admin"]
    device, _ = set_up_second_factor(alice)
    response = sign_in(client, alice, next_url=staff_page)
    assert response["Location"] == f"{TWO_FACTOR}?next=%2Fstaff%2Fguild%2Fregister%2F"
    assert client.get(staff_page)["Location"].startswith(TWO_FACTOR)
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()
    response = client.post(TWO_FACTOR, {"code": code_for(device, 1), "next": staff_page})
    assert response.status_code == 302 and response["Location"] == staff_page
    assert client.get(staff_page).status_code == 200


def test_a_wrong_code_is_refused(client, personas, staff_page):
    alice = personas["body_admin"]
    device, _ = set_up_second_factor(alice)
    sign_in(client, alice)
    response = client.post(TWO_FACTOR, {"code": other_code(code_for(device, 1))})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert client.get(staff_page).status_code == 302


def test_a_code_replayed_in_a_fresh_session_is_refused(client, personas, staff_page):
    from django.test import Client

    alice = personas["body_admin"]
    device, _ = set_up_second_factor(alice)
    code = code_for(device, 1)
    sign_in(client, alice)
    assert client.post(TWO_FACTOR, {"code": code}).status_code == 302

    thief = Client()
    sign_in(thief, alice)
    response = thief.post(TWO_FACTOR, {"code": code})
    assert response.status_code == 400
    assert "That code has already been used" in response.content.decode()
    assert thief.get(staff_page).status_code == 302


def test_the_setup_code_cannot_be_replayed_to_sign_in(client, personas):
    alice = personas["body_admin"]
    device = services.totp_device_start(user=alice)
    code = code_for(device)
    services.totp_device_confirm(user=alice, device=device, code=code)
    sign_in(client, alice)
    response = client.post(TWO_FACTOR, {"code": code})
    assert "already been used" in response.content.decode()


def test_codes_in_quick_succession_are_slowed_down(client, personas):
    alice = personas["body_admin"]
    device, _ = set_up_second_factor(alice)
    sign_in(client, alice)
    wrong = other_code(code_for(device, 1))
    assert client.post(TWO_FACTOR, {"code": wrong}).status_code == 400
    response = client.post(TWO_FACTOR, {"code": code_for(device, 1)})
    assert response.status_code == 429
    assert "Too many wrong codes in a row. Wait" in response.content.decode()


def test_a_recovery_code_works_once(client, personas, staff_page):
    from django.test import Client

    alice = personas["body_admin"]
    _, codes = set_up_second_factor(alice)
    typed = services.recovery_code_display(codes[0]).upper()  # as printed, in capitals
    sign_in(client, alice)
    response = client.post(TWO_FACTOR, {"code": typed, "next": staff_page}, follow=True)
    assert response.redirect_chain[-1][0] == staff_page
    assert "You used a recovery code: 9 left" in response.content.decode()
    assert Event.objects.filter(action="account.recovery_code_used", actor=alice).exists()

    again = Client()
    sign_in(again, alice)
    response = again.post(TWO_FACTOR, {"code": typed})
    assert response.status_code == 400
    assert "already been used (each code works once)" in response.content.decode()


def test_something_neither_code_nor_recovery_code_is_explained(client, personas):
    set_up_second_factor(personas["body_admin"])
    sign_in(client, personas["body_admin"])
    response = client.post(TWO_FACTOR, {"code": "12345"})
    assert response.status_code == 400
    assert "recovery codes (8 letters and digits" in response.content.decode()
    response = client.post(TWO_FACTOR, {"code": ""})
    assert "Enter the code." in response.content.decode()


def test_the_api_answers_403_until_the_factor_is_passed(client, personas):
    alice = personas["body_admin"]
    set_up_second_factor(alice)
    sign_in(client, alice)
    response = client.get("/api/v1/bodies")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "This account must pass its second factor first."


def test_next_must_stay_on_the_site(client, personas):
    alice = personas["body_admin"]
    device, _ = set_up_second_factor(alice)
    sign_in(client, alice)
    response = client.post(
        TWO_FACTOR, {"code": code_for(device, 1), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("after_sign_in")


def test_a_member_without_a_role_is_not_asked(client, personas):
    nora = personas["signed_in_no_role"]
    response = sign_in(client, nora)
    assert response.status_code == 302 and response["Location"] == reverse("after_sign_in")
    assert client.get(reverse("accounts:security")).status_code == 200
    assert client.get("/api/v1/bodies").status_code != 403


def test_a_member_may_turn_it_on_and_is_then_asked_and_may_turn_it_off(client, personas):
    from django.test import Client

    nora = personas["signed_in_no_role"]
    sign_in(client, nora)
    page = client.get(reverse("accounts:security")).content.decode()
    assert "Not set up" in page and "Set up a second factor" in page
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=nora)
    client.post(SETUP, {"code": code_for(device)})

    later = Client()
    assert sign_in(later, nora)["Location"].startswith(TWO_FACTOR)
    assert later.post(TWO_FACTOR, {"code": code_for(device, 1)}).status_code == 302
    page = later.get(reverse("accounts:security")).content.decode()
    assert "Recovery codes left: <strong>10</strong>" in page
    response = later.post(
        reverse("accounts:security"), {"action": "remove_second_factor"}, follow=True
    )
    assert "Your second factor is turned off." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=nora).exists()
    assert not StaticToken.objects.filter(device__user=nora).exists()
    event = Event.objects.get(action="account.second_factor_removed")
    assert event.actor == nora and event.data["by_owner"] is True


def test_whoever_needs_it_cannot_turn_it_off(client, personas):
    alice = personas["body_admin"]
    device, _ = set_up_second_factor(alice)
    sign_in(client, alice)
    client.post(TWO_FACTOR, {"code": code_for(device, 1)})
    page = client.get(reverse("accounts:security")).content.decode()
    assert "cannot be turned off" in page and "remove_second_factor" not in page
    response = client.post(
        reverse("accounts:security"), {"action": "remove_second_factor"}, follow=True
    )
    assert "requires a second factor, so it cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


def test_the_password_alone_cannot_replace_the_app(client, personas):
    alice = personas["body_admin"]
    set_up_second_factor(alice)
    sign_in(client, alice)
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(TWO_FACTOR)
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_new_recovery_codes_need_a_verified_session_and_replace_the_old(client, personas):
    alice = personas["body_admin"]
    device, old = set_up_second_factor(alice)
    sign_in(client, alice)
    response = client.post(RECOVERY)
    assert response.status_code == 302 and response["Location"].startswith(TWO_FACTOR)
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == old

    client.post(TWO_FACTOR, {"code": code_for(device, 1)})
    response = client.post(RECOVERY, follow=True)
    new = response.context["codes"]
    assert len(new) == 10
    assert not set(StaticToken.objects.values_list("token", flat=True)) & set(old)
    assert Event.objects.filter(action="account.recovery_codes_regenerated").exists()
    with pytest.raises(services.SecondFactorRefused, match="already been used"):
        services.second_factor_verify(user=alice, code=old[0])


def test_a_verified_user_may_move_to_a_new_app(client, personas):
    alice = personas["body_admin"]
    device, _ = set_up_second_factor(alice)
    sign_in(client, alice)
    client.post(TWO_FACTOR, {"code": code_for(device, 1)})
    assert client.get(SETUP).status_code == 200
    new = TOTPDevice.objects.get(user=alice, confirmed=False)
    assert client.post(SETUP, {"code": code_for(new)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=alice)) == [new]
    event = Event.objects.filter(action="account.second_factor_set_up").latest("seq")
    assert event.data["replaced"] == 1


@pytest.mark.parametrize(
    "secret_path",
    [
        "/respond/sEcReTtOkEn123/",
        "/guild/client-complaints/sEcReTtOkEn123/",
        "/accounts/invitation/sEcReTtOkEn123/",
        "/accounts/reset/MQ/sEcReTtOkEn123/",
    ],
)
def test_a_personal_link_never_travels_to_the_second_factor_page(client, personas, secret_path):
    alice = personas["body_admin"]
    set_up_second_factor(alice)
    sign_in(client, alice)
    response = client.get(secret_path)
    assert response.status_code == 302
    assert response["Location"] == TWO_FACTOR
    assert "sEcReTtOkEn123" not in response["Location"]
