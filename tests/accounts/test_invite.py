"""Inviting from the register: the body's administrators and staff send an invitation from the
person's staff page (which shows where the record stands); everyone else is refused, and a person
of another body is not found."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ombuds.accounts import services
from ombuds.accounts.models import Invitation
from ombuds.audit.models import Event
from ombuds.register.models import Person

pytestmark = pytest.mark.django_db


def invite_url(person) -> str:
    return reverse("accounts:invite", args=[person.organization.slug, person.pk])


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("public", 403),
        ("signed_in_no_role", 403),
        ("committee_member", 403),
        ("other_body_admin", 403),
        ("body_staff", 302),
        ("body_admin", 302),
        ("superuser", 302),
    ],
)
def test_who_may_invite(client, personas, person, persona, status, settings):
    settings.OMBUDS_REQUIRE_SECOND_FACTOR = False  # force_login: the second factor is tested apart
    if personas[persona]:
        client.force_login(personas[persona])
    response = client.post(invite_url(person))
    assert response.status_code == status
    assert Invitation.objects.filter(person=person).exists() is (status == 302)


def test_inviting_emails_the_link_and_says_to_whom_and_until_when(
    client, personas, person, settings, django_capture_on_commit_callbacks
):
    settings.OMBUDS_REQUIRE_SECOND_FACTOR = False
    client.force_login(personas["body_staff"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(person), follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "register_staff:person", args=["guild", person.pk]
    )
    text = response.content.decode()
    assert "Invitation sent to lena@example.org" in text and "UTC" in text
    (message,) = mail.outbox
    assert message.to == ["lena@example.org"]
    assert "/accounts/invitation/" in message.body
    invitation = Invitation.objects.get(person=person)
    assert invitation.invited_by == personas["body_staff"]
    assert Event.objects.filter(action="account.invited", subject_id=str(person.pk)).exists()
    # The staff page now shows the live invitation and offers a new one.
    assert "Invited at lena@example.org" in text
    assert "Send a new invitation" in text


def test_the_staff_page_offers_an_invitation_or_says_why_not(client, personas, body, settings):
    settings.OMBUDS_REQUIRE_SECOND_FACTOR = False
    client.force_login(personas["body_admin"])
    with_email = Person.objects.create(
        organization=body, given_name="Ada", family_name="Ng", email="ada@example.org"
    )
    without = Person.objects.create(organization=body, given_name="Bo", family_name="Ek")
    linked = Person.objects.create(
        organization=body, given_name="Cy", family_name="Ko", user=personas["signed_in_no_role"]
    )
    page = lambda p: client.get(reverse("register_staff:person", args=["guild", p.pk])).content  # noqa: E731
    assert b"Invite Ada Ng to open an account" in page(with_email)
    assert b"Add an email address" in page(without)
    assert b"has an account on Ombuds: <strong>nora</strong>" in page(linked)
    invitation, _ = services.invitation_create(person=with_email, send=False)
    assert b"Invited at ada@example.org" in page(with_email)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert b"expired on" in page(with_email) and b"unused" in page(with_email)


def test_a_person_of_another_body_is_not_found(client, personas, other_body, settings):
    settings.OMBUDS_REQUIRE_SECOND_FACTOR = False
    stranger = Person.objects.create(
        organization=other_body, given_name="Ot", family_name="Her", email="o@example.org"
    )
    client.force_login(personas["body_admin"])
    url = reverse("accounts:invite", args=["guild", stranger.pk])
    assert client.post(url).status_code == 404
    assert not Invitation.objects.exists()


def test_inviting_is_post_only(client, personas, person, settings):
    settings.OMBUDS_REQUIRE_SECOND_FACTOR = False
    client.force_login(personas["body_admin"])
    assert client.get(invite_url(person)).status_code == 405


def test_a_refused_invitation_says_why(client, personas, body, settings):
    settings.OMBUDS_REQUIRE_SECOND_FACTOR = False
    without = Person.objects.create(organization=body, given_name="Bo", family_name="Ek")
    client.force_login(personas["body_admin"])
    response = client.post(invite_url(without), follow=True)
    assert "No invitation sent: Bo Ek has no email address in the register" in (
        response.content.decode()
    )


@pytest.mark.skipif(
    "postgresql" not in __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"],
    reason="raced on PostgreSQL; SQLite takes one writer at a time",
)
@pytest.mark.django_db(transaction=True)
def test_invitations_sent_at_once_leave_one_live_link(person):
    # "Invite" clicked twice: the earlier invitation stops working, even when both run at once.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    barrier = threading.Barrier(4)

    def go(_n):
        try:
            barrier.wait(timeout=30)
            return services.invitation_create(person=person, send=False)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(go, range(4)))
    assert Invitation.objects.filter(person=person).count() == 4
    assert Invitation.objects.filter(person=person, revoked_at__isnull=True).count() == 1
