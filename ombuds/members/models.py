"""What a body's own people declare: conflicts of interest (CESP 3.8 asks holders to disclose them).

A current disclosure recuses its author from the body's open cases about the party it names, and
from those filed later (`ombuds.members.services`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Disclosure(models.Model):
    """A conflict of interest someone with a role on a body declares: their relationship with a
    party (a person or agency, linked to the register when the name is found there)."""

    class Relationship(models.TextChoices):
        EMPLOYMENT = "employment", "Employment"
        FAMILY = "family", "Family"
        FINANCIAL = "financial", "Financial"
        BUSINESS = "business", "Business"
        PERSONAL = "personal", "Personal"
        OTHER = "other", "Other"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="disclosures"
    )
    organization = models.ForeignKey(
        "register.Organization", on_delete=models.CASCADE, related_name="disclosures"
    )
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    party_name = models.CharField(max_length=300)
    party_person = models.ForeignKey(
        "register.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    party_agency = models.ForeignKey(
        "register.Agency", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    nature = models.TextField()
    started_on = models.DateField(null=True, blank=True)
    current = models.BooleanField(default=True)
    ended_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-current", "party_name", "pk"]
        indexes = [models.Index(fields=["organization", "current"])]
        constraints = [
            models.CheckConstraint(
                condition=~(
                    models.Q(party_person__isnull=False) & models.Q(party_agency__isnull=False)
                ),
                name="disclosure_one_party_record",
            ),
            models.CheckConstraint(
                condition=models.Q(current=True, ended_on__isnull=True)
                | models.Q(current=False, ended_on__isnull=False),
                name="disclosure_ended_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(started_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="disclosure_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_relationship_display()} · {self.party_name}"
