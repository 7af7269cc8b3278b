"""The admin never shows a second-factor seed or a recovery code: django-otp's own device admins
(which show the TOTP seed and its QR code, and the recovery codes, to a superuser) are replaced by
read-only lists without them. Devices are set
up by their owner and reset with `ombuds accounts reset-2fa`."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombuds.accounts.models import Invitation
from ombuds.core.admin import ReadOnlyAdmin

for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    readonly_fields = fields
    search_fields = ["user__username", "user__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a reset goes through the accounts' service, on the audit log


@admin.register(StaticDevice)
class RecoveryCodesAdmin(ReadOnlyAdmin):
    """Whether a user has recovery codes, never the codes."""

    list_display = ["user", "name", "confirmed"]
    fields = ["user", "name", "confirmed", "throttling_failure_count"]
    readonly_fields = fields
    search_fields = ["user__username", "user__email"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations sent, their state; never their link (only its hash is kept anyway)."""

    list_display = ["email", "organization", "person", "created_at", "expires_at", "accepted_at"]
    list_filter = ["organization"]
    search_fields = ["email"]
    exclude = ["token_hash"]
    list_select_related = ["organization", "person"]
