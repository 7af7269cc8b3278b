"""Cases in the admin: a read-only index (reference, body, state, dates, handler) with the link to
the case's staff page, where every step is taken through the procedure's services. Nothing a
complainant wrote or who they are is shown here: the staff page decides who may read it."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from ombuds.cases.models import Case, CaseDeadline
from ombuds.core.admin import ReadOnlyAdmin


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "organization",
        "state",
        "channel",
        "filed_at",
        "closed_at",
        "handler",
        "staff_page",
    ]
    list_filter = ["organization", "state", "channel"]
    search_fields = ["reference"]
    fields = [
        "reference",
        "organization",
        "procedure_key",
        "state",
        "channel",
        "anonymous",
        "filed_at",
        "closed_at",
        "handler",
        "staff_page",
    ]
    readonly_fields = fields
    list_select_related = ["organization", "handler"]
    date_hierarchy = "filed_at"

    @admin.display(description="Case page")
    def staff_page(self, obj: Case) -> str:
        url = reverse(
            "cases_staff:case", kwargs={"org": obj.organization.slug, "reference": obj.reference}
        )
        return format_html('<a href="{}">open the case</a>', url)


@admin.register(CaseDeadline)
class CaseDeadlineAdmin(ReadOnlyAdmin):
    list_display = ["case", "label", "starts_on", "due_on", "met_at", "expired_at"]
    list_filter = ["case__organization", "name"]
    search_fields = ["case__reference"]
    list_select_related = ["case"]
