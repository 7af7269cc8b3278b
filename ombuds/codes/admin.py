"""Django's admin for codes. Published versions are read-only here as everywhere."""

from django.contrib import admin

from ombuds.codes.models import Code, CodeVersion, Provision


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "slug"]
    list_filter = ["organization"]


class ProvisionInline(admin.TabularInline):
    model = Provision
    fields = ["position", "citation", "label", "heading", "text", "modality"]
    readonly_fields = ["position", "modality"]
    ordering = ["position"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return (
            obj is not None and not obj.is_published and super().has_change_permission(request, obj)
        )


@admin.register(CodeVersion)
class CodeVersionAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "status", "effective_date", "published_at"]
    list_filter = ["status", "code__organization"]
    readonly_fields = [
        "status",
        "published_at",
        "published_by",
        "created_at",
        "created_by",
        "source_name",
        "source_sha256",
        "warnings",
    ]
    inlines = [ProvisionInline]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Drafts are deleted through the staff pages (children before parents); published never.
        return False


@admin.register(Provision)
class ProvisionAdmin(admin.ModelAdmin):
    list_display = ["citation", "heading", "version", "modality"]
    list_filter = ["version__code__organization", "modality"]
    search_fields = ["citation", "heading", "text"]
    readonly_fields = ["version", "parent", "position", "depth", "anchor", "full_text", "modality"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.version.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
