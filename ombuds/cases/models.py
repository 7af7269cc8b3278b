"""Complaints and disciplinary cases: the case and its parties, allegations citing provisions of the
exact code version in force when the complaint was made, deadlines, documents, messages and notices.

State changes go through `ombuds.cases.services`, which asks the body's procedure
(`ombuds.cases.procedure`) and writes the audit event in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ombuds.core.encrypted import EncryptedCharField, EncryptedEmailField, EncryptedTextField
from ombuds.core.models import TimeStamped


class BodyProcedure(models.Model):
    """Which procedure a body's cases follow (a file in ombuds/cases/procedures)."""

    organization = models.OneToOneField(
        "bodies.Organization", on_delete=models.CASCADE, related_name="procedure"
    )
    procedure_key = models.CharField(max_length=50)
    taking_complaints = models.BooleanField(
        default=True, help_text="Whether the public complaint form is open."
    )

    def __str__(self) -> str:
        return f"{self.organization}: {self.procedure_key}"


class NoticeTemplate(models.Model):
    """A body's own wording of a notice, in place of the one Ombuds ships."""

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.CASCADE, related_name="notice_templates"
    )
    name = models.CharField(max_length=50)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="noticetemplate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.name}"


class CaseCounter(models.Model):
    """How many case references were given per body and year. References are random codes (they
    reveal no neighbour); this row is locked while one is drawn, so two filings cannot both draw
    the same code."""

    organization = models.ForeignKey("bodies.Organization", on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="casecounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.year}: {self.last}"


class Case(TimeStamped):
    class Channel(models.TextChoices):
        WEB = "web", "Public complaint form"
        PHONE = "phone", "Telephone"
        LETTER = "letter", "Letter"
        IN_PERSON = "in_person", "In person"
        EMAIL = "email", "Email"
        MEMBER_REPORT = "member_report", "Report by a member"
        STAFF = "staff", "Opened by staff"

    class Relation(models.TextChoices):
        CLIENT = "client", _("Client of the respondent")
        FAMILY = "family", _("Family member of a client")
        EMPLOYER = "employer", _("Employer")
        COLLEAGUE = "colleague", _("Colleague")
        PUBLIC = "public", _("Member of the public")
        OTHER = "other", _("Other")

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.PROTECT, related_name="cases"
    )
    reference = models.CharField(max_length=30, unique=True)
    procedure_key = models.CharField(max_length=50)
    # The version of the procedure the case runs under (`ProcedureVersion.sha256`), set at filing:
    # a body installing a new version changes nothing for its running cases.
    procedure_sha256 = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=50)
    # Optimistic locking: a change made on a page opened before another change is refused.
    version = models.PositiveIntegerField(default=1)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    filed_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # The code in force when the complaint was made: allegations cite its provisions.
    code_version = models.ForeignKey(
        "codes.CodeVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The complainant: named, or anonymous with a receipt code and a passphrase (hashed).
    anonymous = models.BooleanField(default=False)
    # Sealed with the body's data key (ombuds.core.encrypted): never searched in the database.
    complainant_name = EncryptedCharField(max_length=200, blank=True, key_owner="organization_id")
    complainant_email = EncryptedEmailField(blank=True, key_owner="organization_id")
    complainant_phone = EncryptedCharField(max_length=50, blank=True, key_owner="organization_id")
    complainant_relation = models.CharField(
        max_length=20, choices=Relation.choices, default=Relation.PUBLIC
    )
    consent_to_share = models.BooleanField(
        default=False,
        help_text="The complainant agrees that the respondent may learn who they are.",
    )
    receipt_code = models.CharField(max_length=20, unique=True, null=True, blank=True)
    passphrase_hash = models.CharField(max_length=200, blank=True)
    # The respondent: found in the register, or named only (not a member).
    respondent_person = models.ForeignKey(
        "register.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    respondent_agency = models.ForeignKey(
        "register.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    respondent_name = models.CharField(max_length=300)
    respondent_email = models.EmailField(blank=True)
    respondent_details = EncryptedTextField(blank=True, key_owner="organization_id")
    # The complaint, sealed.
    what_happened = EncryptedTextField(key_owner="organization_id")
    happened_on = models.DateField(null=True, blank=True)
    happened_until = models.DateField(null=True, blank=True)
    outcome_sought = EncryptedTextField(blank=True, key_owner="organization_id")
    # The procedure's facts kept on the case.
    efforts_proven_at = models.DateTimeField(null=True, blank=True)
    efforts_waived_reason = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    respondent_answered_at = models.DateTimeField(null=True, blank=True)
    checkin_on = models.DateField(null=True, blank=True)
    # When the retention period ended and the case's personal content was purged (never deleted).
    purged_at = models.DateTimeField(null=True, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_cases",
    )
    # Double submission of the same form creates one case: the client's key, as a keyed hash, unique
    # within the body and the door it came through ("public", or the token's or the CLI user's id).
    submission_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 (no key)
    submission_scope = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The earliest due date among the case's counting deadlines (not met, not expired, not waiting
    # for the delivery of the respondent's notice; None: none counts), stored so the inbox and the
    # staff home sort and filter by it through an index. Kept by every service that starts, stops,
    # expires or moves a deadline, in its transaction (`services.deadlines.next_due_refresh`).
    next_due = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at"]
        # One per filter and sort of the inbox (`selectors.inbox`): each page of 50 is read from
        # the index in order, whatever the number of the body's cases.
        indexes = [
            models.Index(fields=["organization", "-filed_at", "-id"], name="case_org_filed"),
            models.Index(
                fields=["organization", "state", "-filed_at", "-id"], name="case_org_state_filed"
            ),
            models.Index(
                fields=["organization", "next_due", "-filed_at", "-id"], name="case_org_due"
            ),
            models.Index(
                fields=["organization", "state", "next_due", "-filed_at", "-id"],
                name="case_org_state_due",
            ),
            models.Index(
                fields=["organization", "-filed_at", "-id"],
                condition=models.Q(closed_at__isnull=True),
                name="case_org_open_filed",
            ),
            models.Index(
                fields=["organization", "next_due", "-filed_at", "-id"],
                condition=models.Q(closed_at__isnull=True),
                name="case_org_open_due",
            ),
            models.Index(fields=["handler", "organization", "-filed_at"], name="case_handler"),
            # The staff home's "your cases", the next deadline first.
            models.Index(
                fields=["handler", "next_due", "-filed_at"],
                condition=models.Q(closed_at__isnull=True),
                name="case_handler_open_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(
                    models.Q(respondent_person__isnull=False)
                    & models.Q(respondent_agency__isnull=False)
                ),
                name="case_one_respondent_record",
            ),
            models.UniqueConstraint(
                fields=["organization", "submission_scope", "submission_key"],
                condition=models.Q(submission_key__isnull=False),
                name="case_submission_once",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def respondent_links(self):
        """The respondent's personal links (`RespondentLink`; the complainant's are apart)."""
        return RespondentLink.objects.filter(case=self)

    @property
    def complainant_label(self) -> str:
        return (
            "Anonymous complainant" if self.anonymous else (self.complainant_name or "Complainant")
        )


class Allegation(TimeStamped):
    class Determination(models.TextChoices):
        PENDING = "pending", "Not yet decided"
        UPHELD = "upheld", "Upheld"
        NOT_UPHELD = "not_upheld", "Not upheld"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="allegations")
    position = models.PositiveSmallIntegerField()
    summary = EncryptedTextField(key_owner="case.organization_id")
    provisions = models.ManyToManyField("codes.Provision", related_name="allegations", blank=True)
    source = models.CharField(
        max_length=20, default="complainant", help_text="complainant, staff or non-cooperation"
    )
    determination = models.CharField(
        max_length=20, choices=Determination.choices, default=Determination.PENDING
    )
    reasons = models.TextField(blank=True)
    determined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    determined_at = models.DateTimeField(null=True, blank=True)
    # Still the complainant's narrative word for word (pre-filled on filing, or pasted): the step
    # that notifies the respondent refuses it for a complainant who does not share their identity,
    # unless a handler confirms it with a reason.
    verbatim = models.BooleanField(default=False)

    class Meta:
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="allegation_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.case} allegation {self.position}"


class AllegationRevision(models.Model):
    """An allegation's text and citations before and after one edit, kept for the body (never shown
    to the respondent); emptied when the case is purged, like the allegation itself."""

    allegation = models.ForeignKey(Allegation, on_delete=models.CASCADE, related_name="revisions")
    old_summary = EncryptedTextField(blank=True, key_owner="allegation.case.organization_id")
    new_summary = EncryptedTextField(blank=True, key_owner="allegation.case.organization_id")
    old_provisions = models.JSONField(default=list, blank=True)
    new_provisions = models.JSONField(default=list, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["allegation", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.allegation}: revision of {self.created_at:%Y-%m-%d %H:%M}"


class CaseCount(models.Model):
    """How many of a body's cases are in a state, and how many of those are open: kept by the
    services that file a case and move it (`services.counts`), in their transactions, so the inbox
    counts without reading every case."""

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=50)
    cases = models.IntegerField(default=0)
    open = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "state"], name="casecount_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.state}: {self.cases} ({self.open} open)"


class CaseDeadline(TimeStamped):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    name = models.CharField(max_length=50)
    label = models.CharField(max_length=200)
    starts_on = models.DateField()
    due_on = models.DateField()
    met_at = models.DateTimeField(null=True, blank=True)  # stopped by the step that meets it
    expired_at = models.DateTimeField(null=True, blank=True)  # passed; its expiry was handled
    # A deadline counting from the respondent's notice's delivery (`after_delivery`), not yet
    # delivered: no due date stands (``due_on`` is provisional) and the clock does not expire it.
    waits_for_delivery = models.BooleanField(default=False)
    # The allegations it is for, by position, when it is the answer to allegations added after
    # the respondent was notified ([] for a deadline about the whole case).
    covers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=models.Q(met_at__isnull=True, expired_at__isnull=True),
                name="casedeadline_running",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.label} by {self.due_on}"

    @property
    def running(self) -> bool:
        return self.met_at is None and self.expired_at is None


class DeadlineReminder(models.Model):
    deadline = models.ForeignKey(CaseDeadline, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "days_before"], name="deadlinereminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deadline}: {self.days_before} days before"


def document_path(instance: Document, filename: str) -> str:
    return f"cases/{instance.case.organization.slug}/{instance.case.reference}/{instance.token}"


def shared_document_path(instance: Document, filename: str) -> str:
    return f"{document_path(instance, filename)}-shared"


# The kinds of document the shipped procedures and pages store, in words; any other kind (a body's
# own procedure's input) shows its name with spaces.
DOCUMENT_KINDS = {
    "efforts_proof": "proof of efforts to resolve",
    "waiver_reason": "reason to waive the efforts to resolve",
}


def actor_words(label: str) -> str:
    """An audit label of who acted, for a page: "respondent (link)" → "respondent, through their
    personal link"."""
    return label.replace(" (link)", ", through their personal link")


class Document(TimeStamped):
    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Staff and committee only"
        PARTIES = "parties", "Shared with the parties"
        RESPONDENT = "respondent", "Shared with the respondent"
        COMPLAINANT = "complainant", "Shared with the complainant"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    token = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=30, help_text="evidence, efforts_proof, answer, report …")
    file = models.FileField(upload_to=document_path, max_length=300, blank=True)
    # The name the file had on the uploader's computer: personal (it may name the complainant),
    # sealed at rest like the narrative, never searched; the purge marker below finds emptied rows.
    original_name = EncryptedCharField(max_length=255, key_owner="case.organization_id")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_by_label = models.CharField(max_length=200)
    purged_at = models.DateTimeField(null=True, blank=True)
    # What the respondent downloads of a document shared with them: a copy cleaned of metadata,
    # under a neutral name ("document-3.pdf"); the original above is the body's. The respondent's
    # own uploads have a name here and no copy (the file is theirs).
    shared_file = models.FileField(upload_to=shared_document_path, max_length=300, blank=True)
    shared_name = models.CharField(max_length=100, blank=True)
    shared_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["case", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case}: {self.original_name}"

    @property
    def kind_label(self) -> str:
        """The kind in words ("proof of efforts to resolve"), never its stored name ("efforts_proof")."""
        return DOCUMENT_KINDS.get(self.kind, self.kind.replace("_", " "))

    @property
    def uploaded_by_display(self) -> str:
        return actor_words(self.uploaded_by_label)


class Message(TimeStamped):
    """A note inside the case (internal) or a message exchanged with one party."""

    class Audience(models.TextChoices):
        INTERNAL = "internal", "Internal note"
        COMPLAINANT = "complainant", "With the complainant"
        RESPONDENT = "respondent", "With the respondent"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    audience = models.CharField(max_length=20, choices=Audience.choices)
    body = EncryptedTextField(key_owner="case.organization_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_label = models.CharField(max_length=200)
    from_party = models.BooleanField(default=False)  # written by the complainant or respondent
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_audience_display()} by {self.author_label}"

    @property
    def author_display(self) -> str:
        """Who wrote it, in words: "respondent, through their personal link" rather than the audit
        label "respondent (link)"; a party's message says so when the label does not."""
        label = actor_words(self.author_label)
        if self.from_party and not any(w in label for w in ("complainant", "respondent")):
            label += " (for a party)"
        return label


class Notice(TimeStamped):
    """A notice generated from a template, kept as a printable document, sent by email and retried
    until it goes; one that keeps failing shows as failed on the case."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NO_ADDRESS = "no_address", "No email address: deliver by other means"
        # The outbox (`ombuds.cases.services.delivery`): claimed by a sender, the mail server not
        # yet answered; and a claim never settled, which nobody sends again without checking.
        SENDING = "sending", "Being sent"
        UNKNOWN = "unknown", "Outcome unknown: check the mail server's log before sending again"
        # Delivery as a fact (`ombuds.cases.services.deliveries`): a respondent without an email
        # address is sent their notice by post or by hand, and staff record that delivery; a notice
        # telling the complainant of a step that notified the respondent waits for that delivery.
        TO_DELIVER = "to_deliver", "To deliver by other means (post or by hand)"
        DELIVERED = "delivered", "Delivered by other means"
        HELD = "held", "Waiting until the respondent's notice is delivered"

    class Means(models.TextChoices):
        EMAIL = "email", "Email"
        POST = "post", "Post"
        REGISTERED_POST = "registered_post", "Registered post"
        HAND = "hand", "By hand"
        COURIER = "courier", "Courier"
        OTHER = "other", "Other"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    template = models.CharField(max_length=50)
    recipient_role = models.CharField(max_length=20)
    recipient_email = models.EmailField(blank=True)
    subject = EncryptedCharField(max_length=300, key_owner="case.organization_id")
    body = EncryptedTextField(key_owner="case.organization_id")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # The respondent's personal link token, kept only until the email carrying it is sent; the
    # notice's text on the case has a placeholder instead, so nobody reading it can act as them.
    link_token = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The outbox: when a sender claimed it, and the Message-ID every attempt carries.
    claimed_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    # Delivery: the day the respondent had it (the email's sent day, or recorded by staff), how,
    # with the staff's note and the scan of the proof (a document of the case).
    delivered_on = models.DateField(null=True, blank=True)
    delivery_means = models.CharField(max_length=20, choices=Means.choices, blank=True)
    delivery_note = EncryptedTextField(blank=True, key_owner="case.organization_id")
    delivery_proof = models.ForeignKey(
        "Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    delivery_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["case", "created_at", "pk"]
        indexes = [
            models.Index(fields=["status"]),
            # The notices to the respondent waiting to be delivered by post or by hand: few at any
            # time, counted in the inbox without reading the others.
            models.Index(
                fields=["case"],
                condition=models.Q(recipient_role="respondent", status="to_deliver"),
                name="notice_to_deliver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.template} to {self.recipient_role}"


class PartyLink(models.Model):
    """A personal, expiring link sent with a notice to a party without an account: the respondent
    reads the allegations, answers and uploads documents through theirs; a named complainant
    follows the case, writes and sends documents through theirs. Only its hash is stored. A
    complainant's link also keeps a keyed hash of the address it was sent to, so that "send me a
    new link" finds it without the (sealed, never searched) address being read from the database."""

    class Party(models.TextChoices):
        RESPONDENT = "respondent", "Respondent"
        COMPLAINANT = "complainant", "Complainant"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="party_links")
    party = models.CharField(max_length=20, choices=Party.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    address_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.case}: {self.party} link until {self.expires_at:%Y-%m-%d}"


class _RespondentLinks(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(party=PartyLink.Party.RESPONDENT)

    def create(self, **kwargs):
        return super().create(**{**kwargs, "party": PartyLink.Party.RESPONDENT})


class RespondentLink(PartyLink):
    """The respondent's links only (what this model was before complainants had links)."""

    objects = _RespondentLinks()

    class Meta:
        proxy = True


class _ComplainantLinks(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(party=PartyLink.Party.COMPLAINANT)

    def create(self, **kwargs):
        return super().create(**{**kwargs, "party": PartyLink.Party.COMPLAINANT})


class ComplainantLink(PartyLink):
    """A named complainant's links only."""

    objects = _ComplainantLinks()

    class Meta:
        proxy = True


class SanctionChoice(TimeStamped):
    """The sanction the committee chose, waiting for the step that imposes it (and writes it to the
    register's sanctions, which the public register reads)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="sanction_choice")
    kind = models.CharField(max_length=30)
    summary = models.TextField()
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True)
    publication = models.CharField(max_length=20)
    public_until = models.DateField(null=True, blank=True)
    conditions = models.TextField(blank=True)
    # A fine: its amount and currency (ISO 4217), due by a date.
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    due_on = models.DateField(null=True, blank=True)
    decision_url = models.URLField(blank=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provisions = models.ManyToManyField("codes.Provision", related_name="+", blank=True)
    # The register's record of it, once imposed (what the public register shows).
    sanction = models.OneToOneField(
        "register.Sanction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_choice",
    )

    def __str__(self) -> str:
        return f"{self.case}: {self.kind}"


class Recusal(models.Model):
    """Someone who must not see or act on a case: a declared conflict of interest, or a party."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recusals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="recusal_unique")]

    def __str__(self) -> str:
        return f"{self.case}: {self.user} recused"


class RespondentSuggestion(models.Model):
    """A register entry the complaint's respondent, named without a number, may be (found on
    filing by name, `register_bridge.respondent_suggest`): shown to the body's people on the case
    page to link or not, never linked by itself and never shown to the parties. It holds only the
    register's ids and how close the name was."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="respondent_suggestions")
    person = models.ForeignKey(
        "register.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        "register.Agency", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    score = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "-score", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(person__isnull=False) & models.Q(agency__isnull=True))
                | (models.Q(person__isnull=True) & models.Q(agency__isnull=False)),
                name="respondentsuggestion_one_record",
            ),
            models.UniqueConstraint(
                fields=["case", "person"], name="respondentsuggestion_unique_person"
            ),
            models.UniqueConstraint(
                fields=["case", "agency"], name="respondentsuggestion_unique_agency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.person or self.agency} ({self.score:.2f})"


class ProcedureVersion(models.Model):
    """A version of a body's procedure: the file's text as installed (``ombuds procedures install``),
    or as Ombuds shipped it when the body's first case was filed under it (``shipped``). Never
    changed nor deleted: the cases filed under it (`Case.procedure_sha256`) run under this text."""

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.PROTECT, related_name="procedure_versions"
    )
    key = models.CharField(max_length=50)
    # Counted per body and key: 1, 2, 3...
    number = models.PositiveIntegerField()
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    shipped = models.BooleanField(default=False)
    installed_at = models.DateTimeField()
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organization", "key", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key", "number"], name="procedureversion_unique"
            ),
        ]
        indexes = [models.Index(fields=["organization", "sha256"])]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.key} v{self.number}"
