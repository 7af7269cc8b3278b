"""The admin never shows a second-factor seed: django-otp's own TOTP device admin (which shows the
seed and its QR code to a superuser) is replaced by a read-only list without them. Devices are set
up by their owner and reset with `ombuds accounts reset-2fa`."""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


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
