"""Django's admin for codes: a read-only window onto versions and provisions.

Provisions are corrected on the staff pages (`/staff/<body>/codes/`), which go through the services:
they keep full texts, modalities, anchors and citations consistent, and refuse changes to a published
version. The admin never writes a provision itself.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from ombuds.bodies.selectors import CODE_EDITOR_ROLES
from ombuds.codes.models import Code, CodeVersion, Provision
from ombuds.core.admin import ReadOnlyAdmin


def _scoped(queryset, request, path: str):
    """Superusers see every body; other staff only the bodies they hold an editor role on."""
    if request.user.is_superuser:
        return queryset
    return queryset.filter(
        **{f"{path}__roles__user": request.user, f"{path}__roles__role__in": CODE_EDITOR_ROLES}
    ).distinct()


@admin.register(Code)
class CodeAdmin(ReadOnlyAdmin):
    list_display = ["title", "organization", "slug"]
    list_filter = ["organization"]

    def get_queryset(self, request):
        return _scoped(super().get_queryset(request), request, "organization")


class ProvisionInline(admin.TabularInline):
    model = Provision
    fields = ["citation", "heading", "text", "modality"]
    readonly_fields = fields
    ordering = ["position"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CodeVersion)
class CodeVersionAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "status", "effective_date", "published_at", "staff_page"]
    list_filter = ["status", "code__organization"]
    inlines = [ProvisionInline]

    def get_queryset(self, request):
        return _scoped(super().get_queryset(request), request, "code__organization")

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    @admin.display(description="Correct or publish")
    def staff_page(self, obj):
        url = reverse(
            "codes_staff:version", kwargs={"org": obj.code.organization.slug, "pk": obj.pk}
        )
        return format_html('<a href="{}">staff page</a>', url)


@admin.register(Provision)
class ProvisionAdmin(ReadOnlyAdmin):
    list_display = ["citation", "heading", "version", "modality"]
    list_filter = ["version__code__organization", "modality"]
    search_fields = ["citation", "heading", "text"]

    def get_queryset(self, request):
        return _scoped(super().get_queryset(request), request, "version__code__organization")

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff
