"""Every grant of a power is on the audit chain, from any front door: roles on a body through the
admin (routed to the bodies' services), and the account's own powers (superuser, staff, groups and
permissions) through the admin's user and group pages, `createsuperuser` or a shell."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from ombuds.audit import services
from ombuds.audit.models import Event
from ombuds.bodies.models import BodyRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    client.root = root
    return client


def _events(action: str, user=None) -> list[Event]:
    events = Event.objects.filter(action=action).order_by("seq")
    return list(events.filter(subject_id=str(user.pk)) if user is not None else events)


def test_a_role_granted_and_revoked_in_the_admin_is_on_the_chain(
    admin_client, body, django_user_model
):
    ana = django_user_model.objects.create_user("ana")
    response = admin_client.post(
        "/admin/bodies/bodyrole/add/",
        {"organization": body.pk, "user": ana.pk, "role": "investigator"},
    )
    assert response.status_code == 302, response.content[:2000]
    role = BodyRole.objects.get(user=ana, organization=body)
    [granted] = _events("body.role_granted")
    assert (granted.actor, granted.subject_id, granted.organization_id) == (
        admin_client.root,
        str(role.pk),
        body.pk,
    )
    assert granted.data["role"] == "investigator" and granted.data["user"] == ana.pk
    response = admin_client.post(f"/admin/bodies/bodyrole/{role.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not BodyRole.objects.filter(pk=role.pk).exists()
    [revoked] = _events("body.role_revoked")
    assert revoked.actor == admin_client.root and revoked.data["role"] == "investigator"
    assert services.verify().ok


def test_staff_and_superuser_given_in_the_admin_s_user_page_are_on_the_chain(
    admin_client, django_user_model
):
    ana = django_user_model.objects.create_user("ana")
    page = f"/admin/auth/user/{ana.pk}/change/"
    form = {
        "username": "ana",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = admin_client.post(page, form)
    assert response.status_code == 302, response.content[:3000]
    ana.refresh_from_db()
    assert ana.is_staff and ana.is_superuser
    [event] = _events("account.privileges_changed", ana)
    assert (event.actor, event.subject_type, event.subject_id) == (
        admin_client.root,
        "user",
        str(ana.pk),
    )
    assert event.data["changes"] == {"is_superuser": [False, True], "is_staff": [False, True]}
    # Saving again without a change records nothing more; taking staff away does.
    assert admin_client.post(page, form).status_code == 302
    assert len(_events("account.privileges_changed", ana)) == 1
    del form["is_staff"]
    assert admin_client.post(page, form).status_code == 302
    assert _events("account.privileges_changed", ana)[-1].data["changes"] == {
        "is_staff": [True, False]
    }


def test_groups_and_permissions_given_anywhere_are_on_the_chain(admin_client, django_user_model):
    ana = django_user_model.objects.create_user("ana")
    permission = Permission.objects.get(codename="change_bodyrole")
    response = admin_client.post(
        "/admin/auth/group/add/", {"name": "role editors", "permissions": [permission.pk]}
    )
    assert response.status_code == 302, response.content[:2000]
    [event] = _events("account.group_permissions_changed")
    assert event.actor == admin_client.root
    assert event.data == {"group": "role editors", "permissions_added": ["change_bodyrole"]}
    group = Group.objects.get(name="role editors")
    ana.groups.add(group)  # a shell: the system is named as the actor
    ana.user_permissions.add(permission)
    ana.groups.clear()
    changed = [e.data for e in _events("account.privileges_changed", ana)]
    assert changed == [
        {"user": ana.pk, "groups_added": ["role editors"]},
        {"user": ana.pk, "permissions_added": ["change_bodyrole"]},
        {"user": ana.pk, "groups_removed": ["role editors"]},
    ]
    assert all(
        e.actor is None and e.actor_label == "system"
        for e in _events("account.privileges_changed", ana)
    )


def test_createsuperuser_is_on_the_chain_and_a_sign_in_is_not(client, django_user_model):
    call_command(
        "createsuperuser",
        username="boss",
        email="boss@example.org",
        interactive=False,
        stdout=StringIO(),
    )
    [event] = _events("account.privileges_changed")
    assert event.data["changes"] == {"is_superuser": [False, True], "is_staff": [False, True]}
    assert event.data["created"] is True
    ana = django_user_model.objects.create_user("ana", password="pw")
    assert client.login(username="ana", password="pw")  # last_login saved: not a power
    assert not _events("account.privileges_changed", ana)
    assert services.verify().ok
