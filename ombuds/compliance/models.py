"""A body's compliance programmes, the returns its members file and the findings of their checks.
The files and documents of a return are kept (encrypted, like case documents); the files' rows never
enter the database: only what the rules found does. The statements an agency attests are kept with
the very words it attested, who did and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.codes.models import CodeVersion
from ombuds.core.models import TimeStamped
from ombuds.register.models import Agency


class Programme(models.Model):
    """One version of a body's programme, as installed: its text is what every check reads."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="compliance_programmes"
    )
    key = models.CharField(max_length=80)
    version = models.CharField(max_length=40)
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    installed_at = models.DateTimeField(default=timezone.now)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organization", "key", "-installed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key", "version"], name="compliance_programme_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class Return(TimeStamped):
    """A return an agency filed for a period: accepted only once its files' shape and what it gave
    (documents, expiry dates, statements) were right, with the findings of every rule. A later
    return for the same period amends it (superseded). A return filed on every change (on_change)
    has a one-day period: the day the change takes effect."""

    class Status(models.TextChoices):
        FILED = "filed", "Filed"
        SUPERSEDED = "superseded", "Superseded by an amended return"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="compliance_returns"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="compliance_returns")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="returns")
    return_key = models.CharField(max_length=40)
    period_start = models.DateField()
    period_end = models.DateField()
    filed_at = models.DateTimeField(default=timezone.now)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filed_by_label = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FILED)
    amends = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by"
    )
    # The code whose provisions the findings cite: the version in force when it was filed.
    code_version = models.ForeignKey(
        CodeVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-filed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="compliance_return_period_in_order",
            ),
            models.UniqueConstraint(
                fields=["agency", "return_key", "period_start", "period_end"],
                condition=Q(status="filed"),
                name="compliance_return_one_filed_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} {self.return_key} {self.period_start}–{self.period_end}"


def return_file_path(instance: ReturnFile, filename: str) -> str:
    # Under evidence/<body>/: the keyring encrypts it under the body's own key (ombuds.bodies.keys).
    r = instance.filed_return
    return f"evidence/{r.organization.slug}/returns/{instance.token}/{instance.key}.csv"


class ReturnFile(models.Model):
    """One file of a return (the ledger, the bank statement...), kept as filed, encrypted."""

    filed_return = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="files")
    key = models.CharField(max_length=40)
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=return_file_path, max_length=300)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["filed_return", "key"]
        constraints = [
            models.UniqueConstraint(fields=["filed_return", "key"], name="compliance_file_once")
        ]

    def __str__(self) -> str:
        return f"{self.filed_return}: {self.key}"


def return_document_path(instance: ReturnDocument, filename: str) -> str:
    # Under evidence/<body>/, encrypted under the body's own key like the return's files.
    r = instance.filed_return
    return f"evidence/{r.organization.slug}/returns/{instance.token}/{instance.key}{instance.extension}"


class ReturnDocument(models.Model):
    """One document of a return (a certificate, financial statements...), kept as filed, encrypted,
    with its expiry date when the programme says it expires (the filer must give it then)."""

    filed_return = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="documents")
    key = models.CharField(max_length=40)
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=return_document_path, max_length=300)
    original_name = models.CharField(max_length=255)
    extension = models.CharField(max_length=10, help_text="checked against the content")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["filed_return", "key"]
        constraints = [
            models.UniqueConstraint(fields=["filed_return", "key"], name="compliance_document_once")
        ]

    def __str__(self) -> str:
        return f"{self.filed_return}: {self.key}"


class ReturnStatement(models.Model):
    """A statement attested in a return: the words attested (as the programme put them then), by
    whom and when. A statement the return declares and does not hold was not attested."""

    filed_return = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="statements")
    key = models.CharField(max_length=40)
    label = models.TextField(help_text="the exact words attested")
    attested_at = models.DateTimeField()
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attested_by_label = models.CharField(max_length=200)

    class Meta:
        ordering = ["filed_return", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["filed_return", "key"], name="compliance_statement_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.filed_return}: {self.key} attested by {self.attested_by_label}"


class Finding(TimeStamped):
    """What one rule found in a return (or a return not filed by its due date), citing the provision
    it enforces. The agency sees it first and may answer it, or correct it by filing an amended
    return, until ``cure_by``; what is still unresolved then, and what it answered, is the council's
    to accept or to take to a case."""

    class Status(models.TextChoices):
        OPEN = "open", "Open: the agency may answer or correct it"
        ANSWERED = "answered", "Answered by the agency: for the council to review"
        ESCALATED = "escalated", "Not answered in time: for the council to review"
        CORRECTED = "corrected", "Corrected by the agency"
        ACCEPTED = "accepted", "Closed by the council"
        REFERRED = "referred", "Taken to a case"
        SUPERSEDED = "superseded", "Found again in an amended return"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    OVERDUE_RULE = "overdue"  # the rule key of a return not filed by its due date
    WITH_AGENCY = (Status.OPEN,)
    WITH_COUNCIL = (Status.ANSWERED, Status.ESCALATED)
    UNRESOLVED = (Status.OPEN, Status.ANSWERED, Status.ESCALATED)

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="compliance_findings"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="compliance_findings")
    # None for an overdue return: nothing was filed.
    filed_return = models.ForeignKey(
        Return, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    return_key = models.CharField(max_length=40)
    period_start = models.DateField()
    period_end = models.DateField()
    rule_key = models.CharField(max_length=40)
    provision = models.CharField(max_length=40, help_text="the citation, such as 1.2(c)")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    client_ref = models.CharField(max_length=200, blank=True)
    date = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    detail = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)
    # The same finding in an amended return has the same fingerprint (rule, client, date, reference).
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    cure_by = models.DateField(help_text="the last day the agency may answer or correct it")
    # The finding of the return this one's return amended, which it continues (answer, cure date).
    carried_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="carried_to"
    )
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_by_label = models.CharField(max_length=200, blank=True)
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_by_label = models.CharField(max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="compliance_findings",
    )

    class Meta:
        ordering = ["period_start", "provision", "date", "pk"]
        indexes = [
            models.Index(fields=["organization", "status", "provision"]),
            models.Index(fields=["agency", "status"]),
        ]
        constraints = [
            # One overdue finding per return and period, however often the clock runs.
            models.UniqueConstraint(
                fields=["agency", "return_key", "period_start", "period_end"],
                condition=Q(rule_key="overdue"),
                name="compliance_finding_one_overdue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provision} {self.rule_key}: {self.detail[:60]}"

    @property
    def overdue(self) -> bool:
        return self.rule_key == self.OVERDUE_RULE


class ReturnReminder(models.Model):
    """A reminder sent to an agency before a return's due date: once per return, period and day."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    return_key = models.CharField(max_length=40)
    period_start = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "return_key", "period_start", "days_before"],
                name="compliance_reminder_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.return_key} {self.period_start}: {self.days_before} days before"
