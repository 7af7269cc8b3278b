"""The admin's user and group pages name who acts, so the powers they change are recorded on the
audit chain with their author (`ombuds.audit.privileges`)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from ombuds.audit.models import Event
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


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The audit log, looked up by body, action or subject; what each event holds is shown by
    `ombuds audit` and the case and register pages, and no one changes or deletes an event."""

    list_display = [
        "occurred_at",
        "organization",
        "action",
        "subject_type",
        "subject_id",
        "actor_label",
    ]
    list_filter = ["organization", "subject_type"]
    search_fields = ["action", "subject_id"]
    fields = list_display
    readonly_fields = fields
    list_select_related = ["organization"]
    ordering = ["-seq"]  # the chain's order, its commits'; each event's time is its recording's
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
