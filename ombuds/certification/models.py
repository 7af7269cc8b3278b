"""Applications for a credential, examinations and their results, and exam-security incidents.

A programme's requirements are installed as text (`Requirements`: what every application is judged
against). An application moves through the states of `ombuds.certification.workflow`, each move an
`ApplicationEvent`; a pass recorded on a `Sitting` issues the credential in the register.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ombuds.certification import workflow
from ombuds.core.encrypted import EncryptedCharField
from ombuds.core.models import TimeStamped


class Requirements(models.Model):
    """One version of a programme's requirements, as installed: the text every application made
    under it is judged against (`ombuds.certification.requirements`)."""

    program = models.ForeignKey(
        "register.CredentialProgram", on_delete=models.PROTECT, related_name="requirements"
    )
    key = models.CharField(max_length=40)
    version = models.CharField(max_length=40)
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    installed_at = models.DateTimeField(auto_now_add=True)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["program", "-installed_at", "-pk"]
        verbose_name_plural = "requirements"
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="requirements_version")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.version}"


class Application(TimeStamped):
    """A candidate's application for a credential: who they are, their evidence, what they declared
    and attested to (against the exact code version), and where it stands."""

    State = models.TextChoices(
        "State",
        {key.upper(): (key, label.split(":")[0]) for key, label in workflow.LABELS.items()},
    )

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.PROTECT, related_name="applications"
    )
    program = models.ForeignKey(
        "register.CredentialProgram", on_delete=models.PROTECT, related_name="applications"
    )
    requirements = models.ForeignKey(
        Requirements, on_delete=models.PROTECT, related_name="applications"
    )
    person = models.ForeignKey(
        "register.Person", on_delete=models.PROTECT, related_name="applications"
    )
    # What the candidate and the testing vendor quote ("CESP-A-7K3QMD").
    reference = models.CharField(max_length=40, unique=True)
    state = models.CharField(max_length=20, choices=State.choices, default=workflow.DRAFT)
    # Identity as the candidate gave it (the register's record is the body's).
    given_name = models.CharField(max_length=150)
    family_name = models.CharField(max_length=150)
    email = models.EmailField()
    phone = models.CharField(max_length=50, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    # {"education": {"level": "bachelor", "details": "..."}, "experience": {"amount": "1200", ...}}
    evidence = models.JSONField(default=dict, blank=True)
    # What was confirmed on submission: each declaration's text by key, the candidate agreement,
    # and the code version attested to with the SHA-256 of its text.
    declarations = models.JSONField(default=dict, blank=True)
    agreement_text = models.TextField(blank=True)
    code_version = models.ForeignKey(
        "codes.CodeVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    code_sha256 = models.CharField(max_length=64, blank=True)
    declared_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Deadlines: staff decide by review_due_on; the candidate answers by respond_by.
    review_due_on = models.DateField(null=True, blank=True)
    respond_by = models.DateField(null=True, blank=True)
    eligible_from = models.DateField(null=True, blank=True)
    eligible_until = models.DateField(null=True, blank=True)
    suspended_until = models.DateField(null=True, blank=True)
    # The reason of the last decision, as the candidate reads it.
    state_reason = models.TextField(blank=True)
    credential = models.ForeignKey(
        "register.Credential",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "state", "review_due_on"]),
            models.Index(fields=["state", "respond_by"]),
            models.Index(fields=["state", "eligible_until"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "person"],
                condition=models.Q(state__in=list(workflow.LIVE)),
                name="application_one_live_per_person",
            ),
            models.CheckConstraint(
                condition=models.Q(eligible_until__isnull=True)
                | models.Q(eligible_from__isnull=True)
                | models.Q(eligible_until__gte=models.F("eligible_from")),
                name="application_eligibility_in_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="suspended") | models.Q(suspended_until__isnull=False),
                name="application_suspension_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.given_name} {self.family_name})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def state_label(self) -> str:
        return workflow.LABELS[self.state]


def document_path(instance: ApplicationDocument, filename: str) -> str:
    # Under evidence/<body>/: sealed with the body's key, never served but through the views.
    return (
        f"evidence/{instance.application.organization.slug}/applications/"
        f"{instance.application_id}/{instance.token}"
    )


class ApplicationDocument(models.Model):
    """A file proving one kind of evidence (a diploma, a letter confirming hours)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    evidence_key = models.CharField(max_length=40)
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=document_path, max_length=300)
    # The name on the candidate's computer: personal, sealed like the cases' file names.
    original_name = EncryptedCharField(max_length=255, key_owner="application.organization_id")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["application", "evidence_key", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.application.reference}: {self.evidence_key} document"


class ApplicationEvent(models.Model):
    """One move of an application (or its creation, from ""): append-only, never edited."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    reason = models.TextField(blank=True)
    # The case a sanction cites (an exam-security incident's).
    decision_ref = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state}"


class CandidateNotice(models.Model):
    """An email to a candidate, kept until it is sent: a mail server that is down delays it (the
    daily work tries again), never loses it."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="notices")
    email = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["sent_at", "attempts"])]

    def __str__(self) -> str:
        return f"{self.subject} → {self.email}"


class ExamWindow(TimeStamped):
    """A period in which candidates sit a programme's examination (with a testing vendor)."""

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.PROTECT, related_name="exam_windows"
    )
    program = models.ForeignKey(
        "register.CredentialProgram", on_delete=models.PROTECT, related_name="exam_windows"
    )
    # What the vendor's results file names the window by ("2026-spring").
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    opens_on = models.DateField()
    closes_on = models.DateField()
    vendor = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["program", "-opens_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="examwindow_unique_code"),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="examwindow_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Sitting(TimeStamped):
    """A candidate's place in an exam window, then their attempt's result. A voided result is kept
    (with why) and no longer counts."""

    class Result(models.TextChoices):
        BOOKED = "", "Booked"
        PASS = "pass", "Pass"
        FAIL = "fail", "Fail"
        NO_SHOW = "no_show", "Did not sit (counts as an attempt)"

    class Source(models.TextChoices):
        STAFF = "staff", "Entered by staff"
        IMPORT = "import", "Imported from the vendor's file"

    window = models.ForeignKey(ExamWindow, on_delete=models.PROTECT, related_name="sittings")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="sittings")
    sat_on = models.DateField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)
    decision_ref = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["window", "application", "sat_on", "pk"]
        indexes = [models.Index(fields=["application", "result"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(result="") | models.Q(sat_on__isnull=False),
                name="sitting_result_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(voided_at__isnull=True) | ~models.Q(void_reason=""),
                name="sitting_void_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} in {self.window}"

    @property
    def counts(self) -> bool:
        """Whether it counts as an attempt: a result recorded and not voided."""
        return bool(self.result) and self.voided_at is None


class NumberCounter(models.Model):
    """The last number given to a credential issued on a pass, per programme (locked to give the
    next)."""

    program = models.OneToOneField(
        "register.CredentialProgram", on_delete=models.CASCADE, related_name="+"
    )
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.program}: {self.last}"


class Incident(TimeStamped):
    """An exam-security incident reported by a proctor, staff or the public. It is a case (filed
    through the ordinary complaint flow, citing the code's confidentiality provision); this row
    keeps what kind of incident it is and which examination it concerns."""

    class Kind(models.TextChoices):
        ITEM_EXPOSURE = "item_exposure", "Exam questions exposed or shared"
        CHEATING = "cheating", "Cheating during the examination"
        DISCLOSURE = "disclosure", "Unauthorised disclosure of exam content"
        OTHER = "other", "Another breach of exam security"

    class Reporter(models.TextChoices):
        PROCTOR = "proctor", "A proctor or the testing vendor"
        STAFF = "staff", "The body's staff"
        PUBLIC = "public", "A member of the public"

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.PROTECT, related_name="exam_incidents"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reported_by = models.CharField(max_length=10, choices=Reporter.choices)
    window = models.ForeignKey(
        ExamWindow, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="exam_incident"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.case_id})"
