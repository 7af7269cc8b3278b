"""The admin's user and group pages name who acts, so the powers they change are recorded on the
audit chain with their author (`ombuds.audit.privileges`)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from ombuds.audit.privileges import acting


def _audited(model, default):
    base = type(admin.site.get_model_admin(model)) if admin.site.is_registered(model) else default

    class Audited(base):
        def changeform_view(self, request, *args, **kwargs):
            with acting(request.user):
                return super().changeform_view(request, *args, **kwargs)

        def changelist_view(self, request, *args, **kwargs):  # bulk actions
            with acting(request.user):
                return super().changelist_view(request, *args, **kwargs)

        def delete_view(self, request, *args, **kwargs):
            with acting(request.user):
                return super().delete_view(request, *args, **kwargs)

    Audited.__name__ = Audited.__qualname__ = f"Audited{base.__name__}"
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, Audited)


_audited(get_user_model(), UserAdmin)
_audited(Group, GroupAdmin)
