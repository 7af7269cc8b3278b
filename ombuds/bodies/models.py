"""Governing bodies and the roles people hold on each.

A body's public profile (about, FAQ, how to complain, website, contact) is kept on the body's own row
and written through `ombuds.bodies.services.profile_save`.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    "Use 1 to 50 lower-case letters, digits and hyphens, not starting or ending with a hyphen.",
)

# Top-level paths of the site: a body with one of these slugs could not have its own pages.
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "staff",
        "static",
        "media",
        "healthz",
        "accounts",
        "mail",
        "language",
        "search",
        "me",
        "respond",
        "metrics",
        "livez",
        "signed-in",
        # The register's addresses come before some of a body's staff pages (ombuds/urls.py).
        "register",
    }
)


def validate_time_zone(value: str) -> None:
    if value and value not in available_timezones():
        raise ValidationError(
            f"{value!r} is not a time zone: write it as in the tz database, such as "
            "America/Chicago or Europe/Madrid."
        )


def validate_languages(value: str) -> None:
    known = dict(settings.LANGUAGES)
    codes = [code.strip() for code in value.split(",") if code.strip()]
    unknown = [code for code in codes if code not in known]
    if unknown:
        offered = ", ".join(f"{code} ({name})" for code, name in settings.LANGUAGES)
        raise ValidationError(
            f"Ombuds is not translated into {', '.join(unknown)}; it offers {offered}."
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
    # Where and in what the body's pages speak: times shown in its zone (blank: the deployment's),
    # its public pages offered in these languages (codes from settings.LANGUAGES, the first the
    # default). Codes stay in the language they were written in.
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="As in the tz database, such as America/Chicago; blank for the site's own.",
    )
    languages = models.CharField(
        max_length=50,
        default="en",
        blank=True,
        validators=[validate_languages],
        help_text="Language codes, comma-separated, the default first (en, es); blank for English.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "register_organization"  # its table since before the bodies app owned it
        ordering = ["name"]

    def __str__(self) -> str:
        return self.acronym or self.name

    @property
    def short_name(self) -> str:
        return self.acronym or self.name

    @property
    def language_codes(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()] or ["en"]


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


class MailOptOut(models.Model):
    """An address that stopped one kind of reminder from one body (`ombuds.bodies.mail`): the
    address, the kind and when; nothing else is kept about who asked."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email", "kind"], name="bodies_mailoptout_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} stopped {self.kind}"
