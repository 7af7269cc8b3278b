"""What every app's admin builds on: a read-only window, for rows that change only through the
services (which lock, check the version and write the audit event), never through the admin.

The admin is for a deployment's administrators (superusers): they look things up there and follow
the link to the staff page where a change is made. The site's branding is set here too.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

admin.site.site_header = "Ombuds administration"
admin.site.site_title = "Ombuds admin"
admin.site.index_title = "Look up records (changes are made on the staff pages)"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists, filters, search and a detail page; no add, change or delete."""

    list_per_page = 50
    show_full_result_count = False  # no full count on a million rows

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
