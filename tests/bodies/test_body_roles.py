"""Roles on a body are granted and revoked through `bodies.services`, from the admin too: each on
the audit chain with who did it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ombuds.audit.models import Event
from ombuds.bodies import services
from ombuds.bodies.models import BodyRole

pytestmark = pytest.mark.django_db


def test_grant_then_revoke_a_role(personas, body):
    nora, alice = personas["signed_in_no_role"], personas["body_admin"]
    role = services.body_role_grant(
        organization=body, user=nora, role="investigator", acting_user=alice
    )
    assert BodyRole.objects.filter(pk=role.pk, user=nora, role="investigator").exists()
    services.body_role_revoke(organization=body, user=nora, role="investigator", acting_user=alice)
    assert not BodyRole.objects.filter(user=nora).exists()
    granted, revoked = Event.objects.filter(subject_type="body_role").order_by("seq")
    assert (granted.action, revoked.action) == ("body.role_granted", "body.role_revoked")
    for event in (granted, revoked):
        assert (event.actor, event.organization_id) == (alice, body.pk)
        assert event.data == {"user": nora.pk, "username": "nora", "role": "investigator"}


def test_granting_a_role_held_already_records_nothing(personas, body):
    services.body_role_grant(organization=body, user=personas["body_staff"], role="staff")
    assert not Event.objects.filter(subject_type="body_role").exists()


def test_an_unknown_role_is_refused(personas, body):
    with pytest.raises(services.ChangeRefused, match="role: Choose one of"):
        services.body_role_grant(organization=body, user=personas["body_staff"], role="king")


def test_revoking_a_role_no_longer_held_is_stale(personas, body):
    with pytest.raises(services.ChangedMeanwhile, match="no longer holds the role"):
        services.body_role_revoke(
            organization=body, user=personas["signed_in_no_role"], role="staff"
        )


def test_the_admin_grants_and_revokes_through_the_services(client, personas, body):
    root, nora = personas["superuser"], personas["signed_in_no_role"]
    client.force_login(root)
    response = client.post(
        reverse("admin:bodies_bodyrole_add"),
        {"user": nora.pk, "organization": body.pk, "role": "staff"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    role = BodyRole.objects.get(user=nora)
    response = client.post(reverse("admin:bodies_bodyrole_delete", args=[role.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not BodyRole.objects.filter(user=nora).exists()
    actions = list(
        Event.objects.filter(subject_type="body_role")
        .order_by("seq")
        .values_list("action", "actor")
    )
    assert actions == [("body.role_granted", root.pk), ("body.role_revoked", root.pk)]
