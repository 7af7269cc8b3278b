"""What a body's own people declare: conflicts of interest (CESP 3.8 asks holders to disclose them).

A current disclosure recuses its author from the body's open cases about the party it names, and
from those filed later (`ombuds.members.services`). The body reviews its holders' disclosures:
acknowledged, conditions set, or referred to a case (`ombuds.members.disclosure_review`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ombuds.core.encrypted import EncryptedCharField, EncryptedEmailField, EncryptedTextField


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

    class Review(models.TextChoices):
        """What the body made of the disclosure (CESP 3.8): the holder sees it on their page."""

        PENDING = "pending", "Not reviewed yet"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        CONDITIONS = "conditions", "Conditions set"
        REFERRED = "referred", "Referred to a case"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="disclosures"
    )
    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.CASCADE, related_name="disclosures"
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
    # The body's review: the latest outcome (each review is on the audit chain), what the holder
    # must keep to, what they are told, and the case it was referred to.
    review = models.CharField(max_length=20, choices=Review.choices, default=Review.PENDING)
    review_conditions = models.TextField(blank=True)
    review_note = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The holder changed or ended the disclosure after it was reviewed: to be looked at again.
    changed_since_review = models.BooleanField(default=False)

    class Meta:
        ordering = ["-current", "party_name", "pk"]
        indexes = [
            models.Index(fields=["organization", "current"]),
            models.Index(fields=["organization", "review", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(review="pending", reviewed_at__isnull=True)
                | (~models.Q(review="pending") & models.Q(reviewed_at__isnull=False)),
                name="disclosure_reviewed_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(review="conditions") | ~models.Q(review_conditions=""),
                name="disclosure_conditions_have_text",
            ),
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


# --- attestations (CSEC 4.3: employees and agents have read, understood and agreed to the code) ---


class AttestationCampaign(models.Model):
    """A body asks its people to attest to a published code version by a due date."""

    class Audience(models.TextChoices):
        ALL_MEMBERS = "all_members", "All members (people with a current membership or credential)"
        CREDENTIAL_HOLDERS = "credential_holders", "Credential holders"
        AGENCY_STAFF = "agency_staff", "Member agencies' employees and agents"

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.CASCADE, related_name="attestation_campaigns"
    )
    code_version = models.ForeignKey(
        "codes.CodeVersion", on_delete=models.PROTECT, related_name="attestation_campaigns"
    )
    title = models.CharField(max_length=200)
    audience = models.CharField(max_length=30, choices=Audience.choices)
    # A material change makes attestations to earlier versions outdated; otherwise they carry over.
    material = models.BooleanField(default=True)
    due_on = models.DateField()
    # Days before a due date on which a reminder goes out (each once per person), e.g. [14, 3].
    reminder_days = models.JSONField(default=list, blank=True)
    # Someone who joins the audience after the start gets this many days from joining.
    new_joiner_days = models.PositiveSmallIntegerField(default=30)
    statement = models.TextField(
        help_text="What each person confirms, e.g. 'I have read, understood and agree to …'."
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set when the campaign closed because a newer version of its code was published.
    superseded_by = models.ForeignKey(
        "codes.CodeVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.title


class AttestationDue(models.Model):
    """One person's duty to attest in one campaign, with their own due date (a new joiner's is
    later than the campaign's)."""

    campaign = models.ForeignKey(AttestationCampaign, on_delete=models.CASCADE, related_name="dues")
    person = models.ForeignKey(
        "register.Person", on_delete=models.CASCADE, related_name="attestation_dues"
    )
    # The agency through which an agency-staff duty arises, for the agency's own coverage report.
    agency = models.ForeignKey(
        "register.Agency", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField()
    joined_late = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # No longer in the audience (left the agency, membership ended): kept, but not counted.
    excused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign", "person"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="attestationdue_unique")
        ]
        indexes = [models.Index(fields=["campaign", "agency"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.campaign} · by {self.due_on}"


class Attestation(models.Model):
    """A person's attestation to an exact code version: what they saw (the version and the SHA-256
    of its text), when, and the statement they confirmed. Made by the person, or by staff on their
    behalf with a stated reason."""

    person = models.ForeignKey(
        "register.Person", on_delete=models.PROTECT, related_name="attestations"
    )
    code_version = models.ForeignKey(
        "codes.CodeVersion", on_delete=models.PROTECT, related_name="attestations"
    )
    campaign = models.ForeignKey(
        AttestationCampaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attestations",
    )
    text_sha256 = models.CharField(max_length=64)
    statement = models.TextField()
    attested_at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    by_proxy = models.BooleanField(default=False)
    proxy_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-attested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "code_version"], name="attestation_once_per_version"
            ),
            models.CheckConstraint(
                condition=models.Q(by_proxy=False) | ~models.Q(proxy_reason=""),
                name="attestation_proxy_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.code_version} · {self.attested_at:%Y-%m-%d}"


class AttestationReminder(models.Model):
    """A reminder sent for one duty, once for each of the campaign's reminder days."""

    due = models.ForeignKey(AttestationDue, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.SmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["due", "days_before"], name="attestationreminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.due} · {self.days_before} days before"


# --- an agency's own complaint inbox (first tier; CSEC 1.1(c) and Article 5) ----------------------


_BODY = "agency.organization_id"  # whose data key seals a client's complaint: the agency's body


class ClientComplaint(models.Model):
    """A complaint a client raises with a member agency itself, answered and resolved by the agency
    in Ombuds. The client follows it through a personal link (only its hash is kept); if they take
    it to the body, the record is their proof of reasonable efforts to resolve (CSEC Article 5)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"
        RESOLVED = "resolved", "Resolved"
        UNRESOLVED = "unresolved", "Closed unresolved"

    agency = models.ForeignKey(
        "register.Agency", on_delete=models.PROTECT, related_name="client_complaints"
    )
    reference = models.CharField(max_length=30, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # Who the client is and what they wrote: sealed at rest with the body's data key, never
    # searched (the inbox works on references, statuses and dates), emptied by an erasure.
    client_name = EncryptedCharField(max_length=200, key_owner=_BODY)
    client_email = EncryptedEmailField(blank=True, key_owner=_BODY)
    client_phone = EncryptedCharField(max_length=50, blank=True, key_owner=_BODY)
    client_case_number = EncryptedCharField(
        max_length=100,
        blank=True,
        help_text="The client's case number with the agency, if any.",
        key_owner=_BODY,
    )
    subject = EncryptedCharField(max_length=200, key_owner=_BODY)
    description = EncryptedTextField(key_owner=_BODY)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    received_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = EncryptedTextField(blank=True, key_owner=_BODY)
    # When its personal data was erased (`ombuds.members.first_tier.client_complaint_forget`).
    erased_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The body's case the client took it to, if they did.
    escalated_case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="first_tier_complaints",
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["agency", "status", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.reference} · {self.subject}"


class ClientMessage(models.Model):
    """One message in a client complaint's exchange, from the client or from the agency."""

    complaint = models.ForeignKey(
        ClientComplaint, on_delete=models.CASCADE, related_name="messages"
    )
    from_client = models.BooleanField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = EncryptedTextField(key_owner="complaint.agency.organization_id")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint.reference} · {'client' if self.from_client else 'agency'}"
