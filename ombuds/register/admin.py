import contextlib

from django.contrib import admin
from django.db import models

from ombuds.bodies import services as bodies
from ombuds.bodies.models import BodyRole, Organization
from ombuds.register.models import (
    Affiliation,
    Agency,
    AuditDraw,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
    Sanction,
    Seat,
    StatusEvent,
)


class SeatInline(admin.TabularInline):
    model = Seat
    extra = 0
    fields = ["group", "position", "title", "name", "affiliation", "start_date", "end_date"]


# Bodies, their profiles and roles change through `ombuds.bodies.services`, which lock, check and
# write the audit event: the admin's forms only collect the values.


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    inlines = [SeatInline]
    list_display = ["name", "acronym", "slug"]
    search_fields = ["name", "acronym", "slug"]
    prepopulated_fields = {"slug": ["acronym"]}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # as the staff page

    def get_readonly_fields(self, request, obj=None):
        # A body's slug is in every address of its pages and in its API tokens' paths.
        return ["slug"] if obj is not None and obj.pk else []

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.pk else self.prepopulated_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = bodies.body_create(
                slug=data["slug"],
                name=data["name"],
                acronym=data.get("acronym", ""),
                acting_user=request.user,
            )
            obj.pk, obj.created_at = created.pk, created.created_at
        values = {
            name: data[name]
            for name in bodies.PROFILE_FIELDS
            if name in data and (change or name not in ("name", "acronym"))
        }
        bodies.profile_save(organization=obj, values=values, acting_user=request.user)

    def has_delete_permission(self, request, obj=None):
        # A body's records, cases and audit events point at it.
        return False


@admin.register(BodyRole)
class BodyRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["organization", "role"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["organization"]

    # A role is granted or revoked, never edited: revoke it and grant another.
    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        granted = bodies.body_role_grant(
            organization=obj.organization, user=obj.user, role=obj.role, acting_user=request.user
        )
        obj.pk, obj.created_at = granted.pk, granted.created_at

    def delete_model(self, request, obj):
        with contextlib.suppress(bodies.ChangedMeanwhile):  # revoked meanwhile: nothing to do
            bodies.body_role_revoke(
                organization=obj.organization,
                user=obj.user,
                role=obj.role,
                acting_user=request.user,
            )

    def delete_queryset(self, request, queryset):
        for role in queryset.select_related("organization", "user"):
            self.delete_model(request, role)


# --- the register -------------------------------------------------------------------------------
# Statuses are read-only here: a status changes only through the lifecycle services, which check
# the move and write its event. Events themselves are append-only.


class StatusEventInline(admin.TabularInline):
    model = StatusEvent
    fields = [
        "effective_date",
        "from_status",
        "to_status",
        "reason",
        "decision_ref",
        "automatic",
        "actor",
        "recorded_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["recorded_at", "pk"]

    def has_add_permission(self, request, obj=None):
        return False


class _ReadOnly:
    """Shown here, changed on the register's staff pages (or the API), through
    `ombuds.register.records`, which check the values, refuse stale edits and audit each change."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["family_name", "given_name", "organization", "city", "external_id"]
    list_filter = ["organization"]
    search_fields = ["family_name", "given_name", "email", "external_id"]


class AffiliationInline(_ReadOnly, admin.TabularInline):
    model = Affiliation
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Agency)
class AgencyAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["legal_name", "organization", "city", "region", "external_id"]
    list_filter = ["organization"]
    search_fields = ["legal_name", "city", "external_id"]
    inlines = [AffiliationInline]


@admin.register(MembershipType)
class MembershipTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "organization"]
    list_filter = ["organization"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["number", "holder", "membership_type", "status", "renewal_date"]
    list_filter = ["organization", "status"]
    search_fields = ["number", "agency__legal_name", "person__family_name"]
    # Who holds it and its standing change only through the register's services (CSV import, staff
    # pages, API), which check the lifecycle and write the history.
    readonly_fields = [
        "organization",
        "membership_type",
        "person",
        "agency",
        "number",
        "status",
        "suspended_until",
        "renewal_date",
    ]

    def has_add_permission(self, request):
        return False

    autocomplete_fields = ["person", "agency"]
    inlines = [StatusEventInline]


@admin.register(CredentialProgram)
class CredentialProgramAdmin(admin.ModelAdmin):
    list_display = [
        "abbreviation",
        "name",
        "organization",
        "cycle_months",
        "grace_days",
        "audit_fraction",
    ]
    list_filter = ["organization"]


@admin.register(AuditDraw)
class AuditDrawAdmin(admin.ModelAdmin):
    """Drawn on the staff's recertification page or with `ombuds register draw-audit`, on the
    audit log; never changed afterwards."""

    list_display = ["drawn_at", "program", "drawn_by", "fraction", "seed"]
    list_filter = ["program__organization"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    list_display = ["number", "holder", "program", "status", "issued_on", "expires_on"]
    list_filter = ["program__organization", "program", "status"]
    search_fields = ["number", "holder__family_name", "holder__given_name", "external_id"]
    readonly_fields = [
        "program",
        "holder",
        "number",
        "status",
        "issued_on",
        "expires_on",
        "suspended_until",
    ]

    def has_add_permission(self, request):
        return False

    autocomplete_fields = ["holder"]
    inlines = [StatusEventInline]


@admin.register(Sanction)
class SanctionAdmin(admin.ModelAdmin):
    list_display = ["decided_on", "kind", "organization", "credential", "membership", "publication"]
    list_filter = ["organization", "kind", "publication"]
    search_fields = ["summary", "credential__number", "membership__number"]

    # Recorded through the staff page, which checks the body and the cited code version.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StatusEvent)
class StatusEventAdmin(admin.ModelAdmin):
    list_display = [
        "recorded_at",
        "credential",
        "membership",
        "from_status",
        "to_status",
        "effective_date",
        "automatic",
    ]
    list_filter = ["to_status", "automatic"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
