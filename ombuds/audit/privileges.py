"""Powers given through Django's own user model are on the audit chain, from whichever door they
come: the admin's user pages, `createsuperuser`, a shell. Roles on a body go through
`ombuds.bodies.services` (which records them); the account's own flags (superuser, staff) and its
admin groups and permissions live on Django's user model, which has no service of ours, so they are
recorded here when they change, in the transaction of the change. Who made the change is the user
set by `acting` (the admin sets it for its requests); otherwise the system."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_save, pre_save

from ombuds.audit.services import record

FLAGS = ("is_superuser", "is_staff")
_acting: contextvars.ContextVar[Any] = contextvars.ContextVar("ombuds_audit_acting", default=None)


@contextmanager
def acting(user: Any) -> Iterator[None]:
    """Name who changes accounts' powers in this block (an admin request's user)."""
    token = _acting.set(user)
    try:
        yield
    finally:
        _acting.reset(token)


def _record(user: Any, data: dict[str, Any]) -> None:
    record(
        action="account.privileges_changed",
        subject_type="user",
        subject_id=user.pk,
        data={"user": user.pk, **data},
        actor=_acting.get(),
    )


def _before(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and not set(update_fields) & set(FLAGS):
        return  # a sign-in's last_login, a password: nothing of the powers
    old = sender.objects.filter(pk=instance.pk).values(*FLAGS).first() if instance.pk else None
    instance._ombuds_powers_before = old


def _after(sender, instance, created, update_fields=None, **kwargs) -> None:
    if update_fields is not None and not set(update_fields) & set(FLAGS):
        return
    before = getattr(instance, "_ombuds_powers_before", None) or dict.fromkeys(FLAGS, False)
    instance._ombuds_powers_before = None
    changes = {
        flag: [bool(before[flag]), bool(getattr(instance, flag))]
        for flag in FLAGS
        if bool(before[flag]) != bool(getattr(instance, flag))
    }
    if changes:
        _record(instance, {"changes": changes, "created": bool(created)})


def _names(model, pk_set) -> list[str]:
    field = "codename" if model._meta.model_name == "permission" else "name"
    return sorted(model.objects.filter(pk__in=pk_set).values_list(field, flat=True))


def _memberships(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    kind = "groups" if sender is get_user_model().groups.through else "permissions"
    if action in ("pre_clear",) and not reverse:
        related = getattr(instance, "groups" if kind == "groups" else "user_permissions")
        instance._ombuds_cleared = list(related.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # a group's or a permission's side: each user concerned
        users = get_user_model().objects.filter(pk__in=pk_set or [])
        for user in users:
            verb = "added" if action == "post_add" else "removed"
            _record(user, {f"{kind}_{verb}": _names(type(instance), [instance.pk])})
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_ombuds_cleared", [])
    if pk_set:
        verb = "added" if action == "post_add" else "removed"
        _record(instance, {f"{kind}_{verb}": _names(model, pk_set)})


def _group_permissions(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    # A group's permissions are the powers of every member.
    if action not in ("post_add", "post_remove") or reverse or not pk_set:
        return
    verb = "added" if action == "post_add" else "removed"
    record(
        action="account.group_permissions_changed",
        subject_type="group",
        subject_id=instance.pk,
        data={"group": instance.name, f"permissions_{verb}": _names(model, pk_set)},
        actor=_acting.get(),
    )


def connect() -> None:
    """Called once when the audit app is ready."""
    from django.contrib.auth.models import Group

    m2m_changed.connect(
        _group_permissions,
        sender=Group.permissions.through,
        dispatch_uid="ombuds.audit.powers.group_permissions",
    )
    user = get_user_model()
    pre_save.connect(_before, sender=user, dispatch_uid="ombuds.audit.powers.before")
    post_save.connect(_after, sender=user, dispatch_uid="ombuds.audit.powers.after")
    for through in (user.groups.through, user.user_permissions.through):
        m2m_changed.connect(
            _memberships, sender=through, dispatch_uid=f"ombuds.audit.powers.{through.__name__}"
        )
