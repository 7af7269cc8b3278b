"""Accepting an invitation: the account opens linked to the register record, with a hashed password,
and the link is used up; used, replaced, expired and unknown links are refused with the reason; a
signed-in visitor links their existing account instead; a weak password's problems show together."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from ombuds.accounts import services
from ombuds.accounts.models import Invitation
from ombuds.audit.models import Event
from tests.accounts.conftest import STRONG

pytestmark = pytest.mark.django_db


def accept_url(token: str) -> str:
    return reverse("accounts:accept", args=[token])


def test_the_page_names_the_body_and_the_person(client, invited):
    _, token = invited
    response = client.get(accept_url(token))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Guild of Examples" in text and "Lena Abara" in text
    assert 'name="password1"' in text and 'name="password2"' in text
    assert "no-store" in response["Cache-Control"]


def test_accepting_opens_the_account_linked_to_the_person(client, invited, person):
    invitation, token = invited
    response = client.post(accept_url(token), {"password1": STRONG, "password2": STRONG})
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    person.refresh_from_db()
    user = person.user
    assert user.username == "lena@example.org" and user.email == "lena@example.org"
    assert (user.first_name, user.last_name) == ("Lena", "Abara")
    assert user.password != STRONG and user.check_password(STRONG)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.user == user
    # Signed in as the new account at once.
    assert int(client.session["_auth_user_id"]) == user.pk
    assert Event.objects.filter(action="account.opened", subject_id=str(person.pk)).exists()


def test_a_used_link_is_refused(client, invited):
    _, token = invited
    client.post(accept_url(token), {"password1": STRONG, "password2": STRONG})
    client.logout()
    response = client.get(accept_url(token))
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    response = client.post(accept_url(token), {"password1": STRONG, "password2": STRONG})
    assert response.status_code == 410
    assert get_user_model().objects.filter(username="lena@example.org").count() == 1


def test_an_expired_link_is_refused(client, invited):
    invitation, token = invited
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    response = client.post(accept_url(token), {"password1": STRONG, "password2": STRONG})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not get_user_model().objects.filter(username="lena@example.org").exists()


def test_a_replaced_link_is_refused_and_the_new_one_works(client, invited, person):
    _, old_token = invited
    _, new_token = services.invitation_create(person=person, send=False)
    response = client.get(accept_url(old_token))
    assert response.status_code == 410
    assert "newer invitation replaced this one" in response.content.decode()
    assert client.get(accept_url(new_token)).status_code == 200


def test_an_unknown_link_is_not_found(client, db):
    response = client.get(accept_url("not-a-real-token"))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_a_weak_password_lists_every_problem_at_once(client, invited, person):
    _, token = invited
    response = client.post(accept_url(token), {"password1": "1234", "password2": "12345"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "too short" in text
    assert "entirely numeric" in text
    assert "too common" in text
    assert "The two passwords are not the same." in text
    assert 'role="alert"' in text
    person.refresh_from_db()
    assert person.user is None


def test_a_password_like_the_name_is_refused(client, invited):
    _, token = invited
    response = client.post(
        accept_url(token), {"password1": "lena@example.org", "password2": "lena@example.org"}
    )
    assert response.status_code == 400
    assert "too similar" in response.content.decode()


def test_a_signed_in_visitor_links_their_existing_account(client, invited, person, personas):
    invitation, token = invited
    nora = personas["signed_in_no_role"]
    client.force_login(nora)
    page = client.get(accept_url(token)).content.decode()
    assert "Link nora to Lena Abara" in page
    assert 'name="password1"' not in page
    response = client.post(accept_url(token))
    assert response.status_code == 302 and response["Location"] == "/me/"
    person.refresh_from_db()
    assert person.user == nora
    invitation.refresh_from_db()
    assert invitation.user == nora and invitation.accepted_at
    assert not get_user_model().objects.filter(username="lena@example.org").exists()


def test_an_account_already_linked_in_the_body_cannot_take_a_second_record(
    client, invited, body, personas
):
    from ombuds.register.models import Person

    nora = personas["signed_in_no_role"]
    Person.objects.create(organization=body, given_name="Nora", family_name="N", user=nora)
    _, token = invited
    client.force_login(nora)
    response = client.post(accept_url(token))
    assert response.status_code == 400
    assert "already linked to a record of GOE" in response.content.decode()


def test_an_existing_account_with_the_email_must_sign_in_first(client, invited, django_user_model):
    django_user_model.objects.create_user("lena@example.org", "lena@example.org", "x")
    _, token = invited
    response = client.post(accept_url(token), {"password1": STRONG, "password2": STRONG})
    assert response.status_code == 400
    assert "sign in first" in response.content.decode()


def test_a_person_without_email_or_with_an_account_is_not_invited(body, personas):
    from ombuds.register.models import Person

    nobody = Person.objects.create(organization=body, given_name="No", family_name="Mail")
    with pytest.raises(services.InvitationRefused, match="no email address"):
        services.invitation_create(person=nobody)
    nobody.user = personas["signed_in_no_role"]
    nobody.save()
    with pytest.raises(services.InvitationRefused) as refused:
        services.invitation_create(person=nobody)
    assert len(refused.value.problems) == 2


def test_the_sign_in_link_does_not_carry_the_invitation(client, invited):
    # The link is a secret: it never travels in a sign-in address (nor its logs, nor a Referer).
    _, token = invited
    text = client.get(accept_url(token)).content.decode()
    assert reverse("login") in text
    assert token not in text.replace(accept_url(token), "")
    assert "?next=" not in text
