"""Codes of conduct as data: a code has versions; a published version is immutable and its provisions
are what every allegation, sanction and attestation cites."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from ombuds.bodies.models import Organization, slug_validator

# One code per body for now; the Code row exists so a body can later hold several (bylaws, …).
DEFAULT_CODE_SLUG = "code"


class Code(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="codes")
    slug = models.SlugField(max_length=50, validators=[slug_validator])
    title = models.CharField(max_length=300)
    # How members cite the code's provisions: "CESP" in "CESP 3.8". Empty: the body's short name.
    citation_prefix = models.CharField(max_length=30, blank=True)
    # The body's parsing profile (TOML, see ombuds.codes.parser.load_profile), reused at each import.
    parsing_profile = models.TextField(blank=True)
    # Counts changes to the two settings above, so that a form sent from a stale page is refused.
    settings_revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="code_unique_slug_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization.short_name}: {self.title}"


class CodeVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(
        max_length=50,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$",
                "Use letters, digits, dots, hyphens or underscores, starting with a letter or digit.",
            )
        ],
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(max_length=300)
    issuer = models.CharField(max_length=300, blank=True)
    # As the text states it ("2001", "1988-06-21"); the date the body gives at import wins.
    stated_effective = models.CharField(max_length=10, blank=True)
    effective_date = models.DateField(null=True, blank=True)
    preamble = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    source_name = models.CharField(max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["code", "-published_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["code", "label"], name="codeversion_unique_label"),
            models.CheckConstraint(
                condition=Q(status="draft", published_at__isnull=True)
                | Q(status="published", published_at__isnull=False),
                name="codeversion_published_has_time",
            ),
        ]
        indexes = [models.Index(fields=["code", "status", "-published_at"])]

    def __str__(self) -> str:
        return f"{self.code} ({self.label})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


_UNSAFE_ANCHOR = re.compile(r"[^A-Za-z0-9._()\-]+")


def citation_anchor(citation: str) -> str:
    """A stable, URL- and id-safe form of a citation: "1.2(c)" -> "1.2(c)", "Rule 1" -> "Rule-1"."""
    return _UNSAFE_ANCHOR.sub("-", citation).strip("-")


class Provision(models.Model):
    class Modality(models.TextChoices):
        OBLIGATION = "obligation", "Obligation"
        PROHIBITION = "prohibition", "Prohibition"
        PERMISSION = "permission", "Permission"

    version = models.ForeignKey(CodeVersion, on_delete=models.PROTECT, related_name="provisions")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # Document order across the whole version (0, 1, 2, ...); a pre-order walk of the tree.
    position = models.PositiveIntegerField()
    depth = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=50, blank=True)
    # Empty for a heading that groups provisions without a label of its own.
    citation = models.CharField(max_length=100, blank=True)
    anchor = models.CharField(max_length=120)
    heading = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    full_text = models.TextField(blank=True)
    # The strongest of the duties (the first obligation or prohibition, else a permission).
    modality = models.CharField(max_length=12, choices=Modality.choices, blank=True)
    # [{"kind": "obligation"|"prohibition"|"permission"|"recommendation", "sentence": "..."}]:
    # computed from the text (parser.duties_of), never edited; not part of the canonical text.
    duties = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "citation"],
                condition=~Q(citation=""),
                name="provision_unique_citation_per_version",
            ),
            models.UniqueConstraint(
                fields=["version", "anchor"], name="provision_unique_anchor_per_version"
            ),
            models.UniqueConstraint(
                fields=["version", "position"], name="provision_unique_position_per_version"
            ),
        ]

    def __str__(self) -> str:
        return self.citation or self.heading or f"#{self.position}"

    @property
    def is_leaf_text(self) -> bool:
        return bool(self.text)

    @property
    def duty_list(self) -> list[dict[str, str]]:
        """The duties with a plain word for each kind ("must", "must not", "may", "should")."""
        return [
            {**duty, "word": DUTY_WORDS.get(duty.get("kind", ""), duty.get("kind", ""))}
            for duty in self.duties or []
        ]


DUTY_WORDS = {
    "obligation": "must",
    "prohibition": "must not",
    "permission": "may",
    "recommendation": "should",
}
