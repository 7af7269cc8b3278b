"""Attestation campaigns and attestations in the admin, read-only: campaigns are started, changed
and closed on the staff pages, and an attestation is made only by its person (or staff on their
behalf, with a reason), through the services."""

from django.contrib import admin

from ombuds.core.admin import ReadOnlyAdmin
from ombuds.members.models import Attestation, AttestationCampaign


@admin.register(AttestationCampaign)
class AttestationCampaignAdmin(ReadOnlyAdmin):
    list_display = ["title", "organization", "code_version", "audience", "due_on", "closed_at"]
    list_filter = ["organization", "audience"]
    search_fields = ["title"]
    list_select_related = ["organization", "code_version"]


@admin.register(Attestation)
class AttestationAdmin(ReadOnlyAdmin):
    list_display = ["person", "code_version", "campaign", "text_sha256"]
    list_filter = ["code_version__code__organization"]
    search_fields = ["person__family_name", "person__given_name", "text_sha256"]
    list_select_related = ["person", "code_version", "campaign"]
