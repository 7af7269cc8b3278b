"""`ombuds accounts invite|sessions|signout|reset-2fa`: the account services on the command line,
with a one-line reason and a non-zero exit when something cannot be done."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombuds.accounts import services
from ombuds.accounts.models import Invitation
from ombuds.audit.models import Event
from ombuds.register.models import Person
from tests.accounts.conftest import set_up_second_factor, sign_in

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("accounts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def people(body):
    return {
        "own_id": Person.objects.create(
            organization=body, given_name="Ada", family_name="Ng", email="ada@example.org"
        ),
        "external": Person.objects.create(
            organization=body,
            given_name="Bo",
            family_name="Ek",
            email="bo@example.org",
            external_id="M-7",
        ),
        "no_email": Person.objects.create(organization=body, given_name="Cy", family_name="Ko"),
    }


@pytest.mark.parametrize("ref", ["ombuds:{pk}", "ADA@example.org"])
def test_invite_a_person_by_identifier_or_email(people, ref, django_capture_on_commit_callbacks):
    ada = people["own_id"]
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run("invite", "guild", ref.format(pk=ada.pk))
    assert out.startswith("invited Ada Ng at ada@example.org; the link works until")
    assert Invitation.objects.get().person == ada
    assert mail.outbox[0].to == ["ada@example.org"]


def test_invite_by_the_bodys_own_identifier_to_another_address(people):
    out, _ = run("invite", "guild", "M-7", "--email", "bo.work@example.org")
    assert "at bo.work@example.org" in out
    assert Invitation.objects.get().email == "bo.work@example.org"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("invite", "nowhere", "ombuds:1"), "no body with slug 'nowhere'"),
        (("invite", "guild", "ombuds:999999"), "no person 'ombuds:999999' in GOE's register"),
        (("invite", "guild", "nobody@example.org"), "no person 'nobody@example.org'"),
        (("invite", "guild", "M-404"), "no person 'M-404'"),
        (("invite", "guild"), "name a person"),
        (("invite", "guild", "M-7", "--all"), "--all invites everyone"),
        (("invite", "guild", "M-7", "--email", "not-an-email"), "not-an-email is not a valid"),
        (("sessions", "ghost"), "no account 'ghost'"),
        (("signout", "ghost"), "no account 'ghost'"),
        (("reset-2fa", "ghost", "--reason", "x"), "no account 'ghost'"),
    ],
)
def test_failures_give_one_line_and_fail(people, args, message):
    with pytest.raises(CommandError, match=message) as failed:
        run(*args)
    assert "\n" not in str(failed.value)
    assert not Invitation.objects.exists()


def test_a_person_without_email_is_refused(people):
    with pytest.raises(CommandError, match="Cy Ko has no email address"):
        run("invite", "guild", f"ombuds:{people['no_email'].pk}")


def test_invite_all_skips_those_with_an_account_or_a_live_invitation(people, personas, body):
    services.invitation_create(person=people["own_id"], send=False)
    linked = Person.objects.create(
        organization=body,
        given_name="Di",
        family_name="Lo",
        email="di@example.org",
        user=personas["signed_in_no_role"],
    )
    lapsed = Person.objects.create(
        organization=body, given_name="Ed", family_name="Mo", email="ed@example.org"
    )
    old, _ = services.invitation_create(person=lapsed, send=False)
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))

    out, err = run("invite", "guild", "--all")
    assert out.strip() == "2 invitations sent"
    invited = {
        i.person
        for i in Invitation.objects.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
    }
    assert invited == {people["own_id"], people["external"], lapsed}
    assert not Invitation.objects.filter(person=linked).exists()
    assert "invited Bo Ek" in err and "invited Ed Mo" in err
    # Run again: nobody is left to invite.
    assert run("invite", "guild", "--all")[0].strip() == "0 invitations sent"


def test_sessions_lists_and_signout_ends_them(personas):
    nora = personas["signed_in_no_role"]
    browser = Client(HTTP_USER_AGENT="Firefox/128.0", REMOTE_ADDR="192.0.2.44")
    sign_in(browser, nora)
    out, err = run("sessions", "nora")
    assert "192.0.2.44" in out and "Firefox/128.0" in out
    assert err.strip() == "1 active session for nora"

    out, _ = run("signout", "nora")
    assert out.strip() == "nora signed out of 1 session"
    assert browser.get(reverse("accounts:security")).status_code == 302
    assert run("sessions", "nora")[1].strip() == "0 active sessions for nora"
    event = Event.objects.get(action="account.signed_out_everywhere")
    assert event.actor is None and event.actor_label == "system"


def test_reset_2fa_removes_the_devices_with_the_reason(personas, client):
    alice = personas["body_admin"]
    set_up_second_factor(alice)
    out, _ = run("reset-2fa", "alice", "--reason", "lost her phone (ticket 12)")
    assert out.startswith("removed the second factor of alice (2 devices)")
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not StaticDevice.objects.filter(user=alice).exists()
    event = Event.objects.get(action="account.second_factor_removed")
    assert event.data["reason"] == "lost her phone (ticket 12)"
    assert event.data["by_owner"] is False
    # At the next sign-in she sets up a new app.
    assert sign_in(client, alice)["Location"].startswith(reverse("accounts:two_factor_setup"))


def test_reset_2fa_needs_a_reason_and_a_second_factor(personas):
    set_up_second_factor(personas["body_admin"])
    with pytest.raises(CommandError, match="Give the reason"):
        run("reset-2fa", "alice", "--reason", "  ")
    with pytest.raises(CommandError, match="carl has no second factor set up"):
        run("reset-2fa", "carl", "--reason", "asked")
    with pytest.raises(CommandError):
        run("reset-2fa", "alice")  # --reason is required
