"""Compliance returns and findings in the admin, read-only: returns are filed by agencies and
findings answered, closed or taken to a case through `ombuds.compliance`'s services."""

from django.contrib import admin

from ombuds.compliance.models import Finding, Return
from ombuds.core.admin import ReadOnlyAdmin


@admin.register(Return)
class ReturnAdmin(ReadOnlyAdmin):
    list_display = ["agency", "return_key", "period_start", "period_end", "filed_at", "status"]
    list_filter = ["organization", "return_key", "status"]
    search_fields = ["agency__legal_name"]
    list_select_related = ["agency"]
    exclude = ["filed_by"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = [
        "agency",
        "provision",
        "rule_key",
        "severity",
        "period_start",
        "status",
        "cure_by",
    ]
    list_filter = ["organization", "status", "severity", "provision"]
    search_fields = ["agency__legal_name", "provision"]
    list_select_related = ["agency"]
