"""Governing bodies and the roles people hold on each.

A body's public profile (about, FAQ, how to complain, website, contact) is kept on the body's own row
and written through `ombuds.bodies.services.profile_save`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    "Use 1 to 50 lower-case letters, digits and hyphens, not starting or ending with a hyphen.",
)

# Top-level paths of the site: a body with one of these slugs could not have its own pages.
RESERVED_SLUGS = frozenset(
    {"admin", "api", "staff", "static", "media", "healthz", "accounts", "search"}
)


def validate_body_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(
            f"{value!r} is reserved for the site's own pages; choose another slug."
        )


class Organization(models.Model):
    """A governing body that enforces a code of conduct (ESPCC, CSEC)."""

    slug = models.SlugField(
        max_length=50, unique=True, validators=[slug_validator, validate_body_slug]
    )
    name = models.CharField(max_length=200)
    acronym = models.CharField(max_length=20, blank=True)
    # The public profile, in Markdown, written by staff and sanitised when shown.
    about = models.TextField(blank=True)
    faq = models.TextField("frequently asked questions", blank=True)
    how_to_complain = models.TextField(blank=True)
    website = models.URLField(blank=True)
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "register_organization"  # its table since before the bodies app owned it
        ordering = ["name"]

    def __str__(self) -> str:
        return self.acronym or self.name

    @property
    def short_name(self) -> str:
        return self.acronym or self.name


class BodyRole(models.Model):
    """A person's role on one governing body. Staff pages and endpoints check these, per body."""

    class Role(models.TextChoices):
        ADMINISTRATOR = "administrator", "Body administrator"
        ETHICS_CHAIR = "ethics_chair", "Ethics chair"
        COMMITTEE_MEMBER = "committee_member", "Committee member"
        INVESTIGATOR = "investigator", "Investigator"
        STAFF = "staff", "Staff"

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="body_roles")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "register_bodyrole"  # its table since before the bodies app owned it
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="bodyrole_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organization}"


class BodyKey(models.Model):
    """A body's data key, wrapped by the master key (`ombuds.bodies.keys`). Its id is in the header
    of every value it sealed, so a retired key still opens what it sealed until `ombuds keys rotate`
    has moved all of it to the current key; then the retired key is deleted."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="keys",
        help_text="None: the deployment's own key (second-factor seeds, files of no body).",
    )
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["organization", "retired_at"])]

    def __str__(self) -> str:
        state = "retired" if self.retired_at else "current"
        return f"key {self.pk} of {self.organization or 'the deployment'} ({state})"


class FileKey(models.Model):
    """The own key of one stored file, wrapped by a body's data key. Deleting the row is
    crypto-shredding: the file, and every copy of it, can no longer be read."""

    name = models.CharField(max_length=300, unique=True)
    body_key = models.ForeignKey(BodyKey, on_delete=models.PROTECT, related_name="file_keys")
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
