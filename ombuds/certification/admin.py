"""Certification applications in the admin, read-only: an application moves only through its
workflow's services (submitted, reviewed, examined, certified), each on the audit chain."""

from django.contrib import admin

from ombuds.certification.models import Application
from ombuds.core.admin import ReadOnlyAdmin


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "organization", "program", "family_name", "given_name", "state"]
    list_filter = ["organization", "program", "state"]
    search_fields = ["reference", "family_name"]
    list_select_related = ["organization", "program"]
    exclude = ["evidence"]
