from django.contrib import admin

from ombuds.register.models import BodyRole, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "acronym", "slug"]
    search_fields = ["name", "acronym", "slug"]
    prepopulated_fields = {"slug": ["acronym"]}


@admin.register(BodyRole)
class BodyRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["organization", "role"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["organization"]
