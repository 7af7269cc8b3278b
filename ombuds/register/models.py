from __future__ import annotations

from django.db import models

from ombuds.bodies.models import (  # noqa: F401  re-exported while callers move to ombuds.bodies
    RESERVED_SLUGS,
    BodyRole,
    Organization,
    slug_validator,
    validate_body_slug,
)
from ombuds.core.models import TimeStamped

# --- the register -------------------------------------------------------------------------------
# Each body keeps its own register: a person certified by two bodies is two records, one per body,
# so that what one body knows never leaks into another's pages.


class Person(TimeStamped):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="people")
    # The body's own identifier for the person (from its old system): what a re-import matches on.
    external_id = models.CharField(max_length=100, blank=True)
    given_name = models.CharField(max_length=150)
    family_name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code, e.g. US")
    # The member's own sign-in, once they accept an invitation (`ombuds.accounts`). One account may be
    # the same human's record in several bodies; within a body it is one record.
    user = models.ForeignKey(
        "auth.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="register_people",
    )

    class Meta:
        verbose_name_plural = "people"
        ordering = ["family_name", "given_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~models.Q(external_id=""),
                name="person_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=models.Q(user__isnull=False),
                name="person_unique_user_per_body",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "family_name", "given_name"]),
            models.Index(fields=["organization", "city"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class Agency(TimeStamped):
    """An organisation bound by a body's code (CSEC's member agencies), or one complained about."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="agencies"
    )
    external_id = models.CharField(max_length=100, blank=True)
    legal_name = models.CharField(max_length=300)
    trade_names = models.JSONField(default=list, blank=True)
    # [{"authority": "State of Texas", "number": "PCSEA-0042"}]
    registration_numbers = models.JSONField(default=list, blank=True)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["legal_name", "pk"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~models.Q(external_id=""),
                name="agency_unique_external_id",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "legal_name"]),
            models.Index(fields=["organization", "city"]),
        ]

    def __str__(self) -> str:
        return self.legal_name


class Affiliation(TimeStamped):
    class Role(models.TextChoices):
        EMPLOYEE = "employee", "Employee"
        AGENT = "agent", "Agent"
        PRINCIPAL = "principal", "Principal"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="affiliations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="affiliations")
    role = models.CharField(max_length=20, choices=Role.choices)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    # An agency administrator invites the agency's employees and agents, sees their attestations, and
    # answers the agency's own client complaints (`ombuds.members`); only for their own agency.
    agency_admin = models.BooleanField(
        "agency administrator",
        default=False,
        help_text="Manages the agency's people, attestations and client complaints in Ombuds.",
    )

    class Meta:
        ordering = ["agency", "person"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="affiliation_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.agency}"


class MembershipType(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        ORGANIZATION = "organization", "Organisation"
        BOARD = "board", "Board"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="membership_types"
    )
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="membershiptype_unique_code"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStamped):
    class Status(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        ACTIVE = "active", "Active"
        GRACE = "grace", "In grace period"
        LAPSED = "lapsed", "Lapsed"
        SUSPENDED = "suspended", "Suspended"
        EXPELLED = "expelled", "Expelled"
        RESIGNED = "resigned", "Resigned"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    membership_type = models.ForeignKey(MembershipType, on_delete=models.PROTECT)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    external_id = models.CharField(max_length=100, blank=True)
    number = models.CharField(max_length=50)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLICANT)
    start_date = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    suspended_until = models.DateField(null=True, blank=True)
    # What the member must do or keep to while on probation or under conditions (a sanction's).
    conditions = models.TextField(blank=True)

    class Meta:
        ordering = ["organization", "number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, agency__isnull=True)
                | models.Q(person__isnull=True, agency__isnull=False),
                name="membership_one_holder",
            ),
            models.UniqueConstraint(
                fields=["organization", "number"], name="membership_unique_number"
            ),
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~models.Q(external_id=""),
                name="membership_unique_external_id",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"{self.number} ({self.holder})"

    @property
    def holder(self) -> Person | Agency:
        return self.person if self.person_id else self.agency


class CredentialProgram(models.Model):
    """A credential a body awards (CESP), with its recertification cycle and what the public sees."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="credential_programs"
    )
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    abbreviation = models.CharField(max_length=20)
    cycle_months = models.PositiveSmallIntegerField(default=36)
    grace_days = models.PositiveSmallIntegerField(default=90)
    required_units = models.DecimalField(max_digits=6, decimal_places=1, default=0)
    # {"ethics": 3, "employment-support": 20}: minimum units by category within a cycle.
    unit_categories = models.JSONField(default=dict, blank=True)
    # Which of the holder's fields the public register shows besides name, status and dates.
    public_fields = models.JSONField(default=list, blank=True)
    # The share of submitted recertification cycles drawn for audit (0.050 is one in twenty).
    audit_fraction = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=0,
        help_text="The share of submitted recertification cycles drawn for audit, 0 to 1.",
    )
    # A renewal (a cycle closed compliant or exempt) waits while its renewal fee is outstanding.
    renewal_requires_paid_fee = models.BooleanField(
        default=False,
        help_text="Hold a renewal while the credential's renewal invoice is outstanding.",
    )

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="program_unique_code"),
            models.CheckConstraint(
                condition=models.Q(audit_fraction__gte=0, audit_fraction__lte=1),
                name="program_audit_fraction_0_to_1",
            ),
        ]

    def __str__(self) -> str:
        return self.abbreviation or self.name


class Credential(TimeStamped):
    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        LAPSED = "lapsed", "Lapsed"
        INACTIVE = "inactive", "Inactive"
        SUSPENDED = "suspended", "Suspended"
        REVOKED = "revoked", "Revoked"
        SURRENDERED = "surrendered", "Surrendered"

    program = models.ForeignKey(
        CredentialProgram, on_delete=models.PROTECT, related_name="credentials"
    )
    holder = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="credentials")
    # The public number printed on the certificate and used to verify it.
    number = models.CharField(max_length=50)
    external_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CANDIDATE)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    suspended_until = models.DateField(null=True, blank=True)
    # Conditions or restrictions are a flag with text, not a state.
    conditions = models.TextField(blank=True)

    class Meta:
        ordering = ["program", "number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="credential_unique_number"),
            models.UniqueConstraint(
                fields=["program", "external_id"],
                condition=~models.Q(external_id=""),
                name="credential_unique_external_id",
            ),
            # One live credential per holder and program; revoked or surrendered ones stay on record.
            models.UniqueConstraint(
                fields=["program", "holder"],
                condition=~models.Q(status__in=["revoked", "surrendered"]),
                name="credential_one_live_per_holder",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(issued_on__isnull=True)
                | models.Q(expires_on__gt=models.F("issued_on")),
                name="credential_dates_in_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="suspended") | models.Q(suspended_until__isnull=False),
                name="credential_suspension_has_end",
            ),
        ]
        indexes = [
            models.Index(fields=["number"]),
            models.Index(fields=["status", "expires_on"]),
            models.Index(fields=["status", "suspended_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.number}"


class StatusEvent(models.Model):
    """One change of a credential's or a membership's status: append-only, never edited."""

    credential = models.ForeignKey(
        Credential, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    effective_date = models.DateField()
    reason = models.TextField()
    decision_ref = models.CharField(max_length=200, blank=True)
    automatic = models.BooleanField(default=False)
    actor = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credential__isnull=False, membership__isnull=True)
                | models.Q(credential__isnull=True, membership__isnull=False),
                name="statusevent_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status} on {self.effective_date}"


class Sanction(TimeStamped):
    class Kind(models.TextChoices):
        EDUCATION = "education", "Letter of education"
        REPRIMAND = "reprimand", "Reprimand"
        CENSURE = "censure", "Public censure"
        PROBATION = "probation", "Probation with conditions"
        CONDITIONS = "conditions", "Conditions imposed"
        SUSPENSION = "suspension", "Suspension"
        REVOCATION = "revocation", "Revocation"
        EXPULSION = "expulsion", "Expulsion"
        FINE = "fine", "Fine"

    class Publication(models.TextChoices):
        PRIVATE = "private", "Private"
        PUBLIC = "public", "Public"
        PUBLIC_UNTIL = "public_until", "Public until a date"

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        IN_EFFECT = "in_effect", "In effect"
        LIFTED = "lifted", "Lifted"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="sanctions"
    )
    credential = models.ForeignKey(
        Credential, on_delete=models.PROTECT, null=True, blank=True, related_name="sanctions"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="sanctions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    decided_on = models.DateField()
    effective_from = models.DateField(null=True, blank=True)
    effective_until = models.DateField(null=True, blank=True)
    summary = models.TextField()
    decision_url = models.URLField(blank=True)
    provisions = models.ManyToManyField("codes.Provision", related_name="sanctions", blank=True)
    publication = models.CharField(max_length=20, choices=Publication.choices)
    public_until = models.DateField(null=True, blank=True)
    # "historical": decided outside Ombuds and recorded by staff; cases will record their own.
    source = models.CharField(max_length=20, default="historical")
    recorded_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Whether the sanction has changed the record yet: "scheduled" waits for effective_from (the
    # daily work applies it), "lifted" was undone or cancelled (an appeal allowed).
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_EFFECT)
    # The record's status before the sanction changed it: what lifting it restores.
    previous_status = models.CharField(max_length=20, blank=True)
    # The decision the status change cites (a case's reference), kept for the daily work.
    decision_ref = models.CharField(max_length=200, blank=True)
    lifted_on = models.DateField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)
    # Probation or conditions: what the holder must do or keep to.
    conditions = models.TextField(blank=True)
    # A fine: its amount, in a currency (ISO 4217), due by a date; staff record its payment.
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    due_on = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    payment_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_on", "pk"]
        indexes = [models.Index(fields=["state", "effective_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                name="sanction_amount_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(credential__isnull=False) | models.Q(membership__isnull=False),
                name="sanction_has_subject",
            ),
            models.CheckConstraint(
                condition=~models.Q(publication="public_until")
                | models.Q(public_until__isnull=False),
                name="sanction_public_until_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(effective_until__isnull=True)
                | models.Q(effective_from__isnull=True)
                | models.Q(effective_until__gte=models.F("effective_from")),
                name="sanction_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.decided_on}"


class RecertificationCycle(TimeStamped):
    """One cycle of a credential: the units it requires, what was earned, and the outcome."""

    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        COMPLIANT = "compliant", "Compliant"
        NON_COMPLIANT = "non_compliant", "Non-compliant"
        EXEMPT = "exempt", "Exempt"
        # The credential was revoked or surrendered before the cycle was decided.
        ENDED = "ended", "Ended with the credential"

    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="cycles")
    starts_on = models.DateField()
    due_on = models.DateField()
    required_units = models.DecimalField(max_digits=6, decimal_places=1)
    # Minimum units by category, copied from the program when the cycle opens.
    required_by_category = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.OPEN)
    outcome_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The holder (or staff for them) says the cycle's activities are all in: it awaits the decision.
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Drawn for audit: every activity needs its evidence before the cycle is accepted.
    audit_draw = models.ForeignKey(
        "AuditDraw", on_delete=models.PROTECT, null=True, blank=True, related_name="cycles"
    )

    class Meta:
        ordering = ["credential", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_on__gt=models.F("starts_on")), name="cycle_dates_in_order"
            ),
            models.UniqueConstraint(
                fields=["credential"],
                condition=models.Q(outcome="open"),
                name="cycle_one_open_per_credential",
            ),
        ]
        indexes = [models.Index(fields=["outcome", "due_on"])]

    def __str__(self) -> str:
        return f"{self.credential} cycle {self.starts_on:%Y}–{self.due_on:%Y}"

    @property
    def is_open(self) -> bool:
        return self.outcome == self.Outcome.OPEN

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def is_audited(self) -> bool:
        return self.audit_draw_id is not None


class AuditDraw(models.Model):
    """A random sample of a programme's submitted cycles drawn for audit: who drew it, the seed, the
    cycles it was drawn from and (through `RecertificationCycle.audit_draw`) the ones drawn. Anyone
    with the seed and the population can draw the same sample again (`recert_audit.draw_sample`)."""

    program = models.ForeignKey(
        CredentialProgram, on_delete=models.PROTECT, related_name="audit_draws"
    )
    drawn_at = models.DateTimeField(auto_now_add=True)
    drawn_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seed = models.CharField(max_length=64)
    fraction = models.DecimalField(max_digits=4, decimal_places=3)
    # The ids of the submitted, undecided, not yet audited cycles it was drawn from, ascending.
    population = models.JSONField(default=list)

    class Meta:
        ordering = ["-drawn_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fraction__gt=0, fraction__lte=1),
                name="audit_draw_fraction_0_to_1",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program} audit draw of {self.drawn_at:%Y-%m-%d}"


def evidence_path(instance: Activity, filename: str) -> str:
    # Outside the web root: MEDIA_ROOT is never served directly. (The view that serves evidence to
    # those entitled comes with the recertification pages.)
    return f"evidence/{instance.cycle.credential.program.organization.slug}/{instance.cycle_id}/{filename}"


class Activity(TimeStamped):
    """A continuing-education activity a holder submits towards a cycle, with its evidence."""

    class Review(models.TextChoices):
        SUBMITTED = "submitted", "Awaiting review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    cycle = models.ForeignKey(
        RecertificationCycle, on_delete=models.PROTECT, related_name="activities"
    )
    category = models.CharField(max_length=50)
    title = models.CharField(max_length=300)
    provider = models.CharField(max_length=200, blank=True)
    completed_on = models.DateField()
    units = models.DecimalField(max_digits=5, decimal_places=1)
    evidence = models.FileField(upload_to=evidence_path, blank=True)
    review = models.CharField(max_length=20, choices=Review.choices, default=Review.SUBMITTED)
    review_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["cycle", "completed_on", "pk"]
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(condition=models.Q(units__gt=0), name="activity_units_positive"),
            models.CheckConstraint(
                condition=~models.Q(review="rejected") | ~models.Q(review_reason=""),
                name="activity_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.units} units)"


class ReminderSent(models.Model):
    """That a reminder went out: the unique constraint is what makes each reminder go out once."""

    cycle = models.ForeignKey(
        RecertificationCycle, on_delete=models.CASCADE, related_name="reminders"
    )
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipient = models.EmailField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "days_before"], name="reminder_once_per_cycle_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.days_before}-day reminder to {self.recipient}"


class Seat(models.Model):
    """A seat on a body's board or committee, as the body lists it publicly (CSEC's Board and its
    Ethics Committee with a Chair). Roles that grant access to cases are BodyRole, not this."""

    class Group(models.TextChoices):
        BOARD = "board", "Board"
        ETHICS_COMMITTEE = "ethics_committee", "Ethics Committee"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="seats")
    group = models.CharField(max_length=30, choices=Group.choices)
    title = models.CharField(max_length=100, help_text="Chair, Vice-Chair, Member, Treasurer …")
    name = models.CharField(max_length=200)
    affiliation = models.CharField(max_length=200, blank=True)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["organization", "group", "position", "name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.title} ({self.get_group_display()})"


class ApiToken(models.Model):
    """An API token for one body. Only a hash is stored; the token itself is shown once, when it is
    made. A staff token works the register's, cases' and compliance staff API, as far as its
    `scopes` allow (`StaffScope`; a write scope implies the read scope of the same area); a member
    token (its one scope "member") reads and writes only its owner's own records (status,
    attestations, disclosures, the returns and findings of an agency they administer). Every token is refused from its `expires_on` day on."""

    class Scope(models.TextChoices):
        """Whose API the token works: the staff's or the member's own."""

        STAFF = "staff", "Staff"
        MEMBER = "member", "Member"

    class StaffScope(models.TextChoices):
        REGISTER_READ = "register:read", "Read the register (people, agencies, records)"
        REGISTER_WRITE = "register:write", "Change the register (implies reading it)"
        CASES_READ = "cases:read", "Read cases (complainants' names and what they wrote)"
        CASES_WRITE = "cases:write", "Take steps in cases (implies reading them)"
        COMPLIANCE_READ = (
            "compliance:read",
            "Read agencies' compliance findings and who filed their returns",
        )
        COMPLIANCE_WRITE = (
            "compliance:write",
            "Close compliance findings and open cases from them (implies reading them)",
        )
        DISCLOSURES_READ = "disclosures:read", "Read holders' conflict-of-interest disclosures"
        DISCLOSURES_WRITE = "disclosures:write", "Review disclosures (implies reading them)"
        INVOICES_READ = "invoices:read", "Read invoices (fees and fines)"
        INVOICES_WRITE = "invoices:write", "Issue and waive invoices (implies recording payments)"
        PAYMENTS_WRITE = "payments:write", "Record payments, as a payment system (reads invoices)"

    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.STAFF)
    scopes = models.JSONField(
        default=list,
        help_text="What the token may do: staff scopes (register:read, register:write, "
        "cases:read, cases:write, compliance:read, compliance:write, disclosures:read, "
        "disclosures:write, invoices:read, invoices:write, payments:write) or, for a member "
        "token, member.",
    )
    expires_on = models.DateField(help_text="The token is refused from this day on.")
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. 'HR system sync'."
    )
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ImportJob(models.Model):
    """One CSV file on its way into the register: checked in the background, then, once staff have
    seen the check and confirmed, imported in the background, with progress shown on the page.

    The file waits in the uploads' storage (under imports/, never served) until it is imported or
    discarded.
    """

    class Phase(models.TextChoices):
        CHECK = "check", "Check"
        IMPORT = "import", "Import"

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        FAILED = "failed", "Stopped by an error"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="import_jobs"
    )
    token = models.CharField(max_length=32, unique=True)
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.CHECK)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    kind = models.CharField(max_length=20, blank=True)
    rows = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(null=True)
    summary = models.TextField(blank=True)
    # The first rows' errors and warnings as {"line", "column", "reason"}; the counts say how many.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_phase_display()}: {self.get_state_display()})"

    @property
    def active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)


# Invoices (fees and fines) are models of the register too, kept in their own module.
from ombuds.register.invoice_models import Invoice, InvoiceCounter  # noqa: E402, F401
