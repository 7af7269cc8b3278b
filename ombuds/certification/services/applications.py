"""A candidate's application: opened (from their account, or by the application itself with an
invitation that confirms the email address), filled in and given its documents, submitted with the
declarations (ESPCC 2.2) and the attestation to the exact code version with the candidate agreement
(2.3), then reviewed by staff. Each change is one call: locked, refused when stale, on the record."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.accounts.services import InvitationRefused, invitation_create
from ombuds.audit import services as audit
from ombuds.bodies.mail import body_mail
from ombuds.certification import workflow
from ombuds.certification.models import Application
from ombuds.certification.requirements import Requirements as Spec
from ombuds.certification.services.common import (
    EDITABLE,
    CertificationRefused,
    check_own_editable,
    event_record,
    lock,
    move,
    notice_make,
    real_user,
    spec_of,
)
from ombuds.certification.services.documents import (
    Upload,
    files_removed_on_failure,
    store,
    uploads_problems,
)
from ombuds.certification.services.programmes import requirements_current
from ombuds.codes.exports import version_to_markdown
from ombuds.codes.models import CodeVersion
from ombuds.codes.selectors import current_version
from ombuds.core.changes import WHOLE, ChangeRefused
from ombuds.register.models import CredentialProgram, Person
from ombuds.register.records import person_clean, person_save

IDENTITY = ("given_name", "family_name", "email", "phone", "city", "region", "country")
DETAILS_MAX = 2000
AMOUNT_MAX = Decimal(100_000)
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def _reference(program: CredentialProgram) -> str:
    prefix = "".join(ch for ch in (program.abbreviation or program.code).upper() if ch.isalnum())
    for _ in range(50):
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        reference = f"{prefix[:12]}-A-{code}"
        if not Application.objects.filter(reference=reference).exists():
            return reference
    raise CertificationRefused("no free application reference; try again")


def _current(program: CredentialProgram):
    requirements = requirements_current(program)
    if requirements is None:
        raise CertificationRefused(f"{program.name} does not take applications yet")
    return requirements


def _identity(organization, values: dict[str, Any]) -> dict[str, Any]:
    """The identity as it would be kept, checked as the register checks a person (ChangeRefused
    by field); a name and an email address are required."""
    given = {k: str(values.get(k, "") or "").strip() for k in IDENTITY}
    errors: dict[str, list[str]] = {}
    for name, label in (("given_name", "given name"), ("family_name", "family name")):
        if not given[name]:
            errors[name] = [f"Give your {label}."]
    if not given["email"]:
        errors["email"] = ["Give your email address: the body writes to you there."]
    try:
        cleaned = person_clean(organization=organization, values=given)
    except ChangeRefused as exc:
        for name, messages in exc.errors.items():
            errors.setdefault(name, []).extend(messages)
        cleaned = given
    if errors:
        raise CertificationRefused(errors)
    return cleaned


def _draft(
    program: CredentialProgram, person: Person, identity: dict[str, Any], *, user: Any, label: str
) -> Application:
    """The person's live application for the programme, or a new draft (in the caller's
    transaction)."""
    live = Application.objects.filter(
        program=program, person=person, state__in=workflow.LIVE
    ).first()
    if live is not None:
        return live
    try:
        with transaction.atomic():
            application = Application.objects.create(
                organization=program.organization,
                program=program,
                requirements=_current(program),
                person=person,
                reference=_reference(program),
                created_by=real_user(user),
                **{k: identity.get(k, "") for k in IDENTITY},
            )
    except IntegrityError:  # the same person started one a moment ago
        return Application.objects.get(program=program, person=person, state__in=workflow.LIVE)
    event_record(
        application,
        "",
        workflow.DRAFT,
        reason="Application started",
        acting_user=user,
        actor_label=label,
    )
    return application


@transaction.atomic
def application_open(*, program: CredentialProgram, user: Any) -> Application:
    """A signed-in candidate's application for the programme: their live one, or a new draft. A
    user without a record in the body's register gets one, linked to their account (whose address
    was confirmed when it was opened)."""
    _current(program)
    organization = program.organization
    person = Person.objects.select_for_update().filter(organization=organization, user=user).first()
    if person is None:
        identity = _identity(
            organization,
            {
                "given_name": user.first_name or user.get_username().split("@")[0],
                "family_name": user.last_name or "-",
                "email": user.email,
            },
        )
        person = person_save(
            organization=organization,
            values={k: identity[k] for k in ("given_name", "family_name", "email")},
            acting_user=user,
        )
        Person.objects.filter(pk=person.pk).update(user=user)
        person.user = user
        audit.record(
            action="account.linked",
            subject_type="person",
            subject_id=person.pk,
            organization=organization,
            actor=user,
            data={"by": "application"},
        )
    identity = {k: getattr(person, k, "") for k in IDENTITY}
    return _draft(program, person, identity, user=user, label="")


@transaction.atomic
def application_request(*, program: CredentialProgram, values: dict[str, Any]) -> None:
    """Someone without an account applies: the application waits as a draft, and an invitation
    to the address given opens the account (so the address is confirmed) where they complete it.
    An address that already has an account is told to sign in instead. The answer is the same
    either way (nobody learns from it whether an address is known). Raises CertificationRefused."""
    organization = program.organization
    identity = _identity(organization, values)
    _current(program)
    email = identity["email"]
    if get_user_model().objects.filter(username__iexact=email).exists():
        _sign_in_mail(program, email)
        return
    person = (
        Person.objects.select_for_update()
        .filter(organization=organization, email__iexact=email, user__isnull=True)
        .order_by("pk")
        .first()
    )
    if person is None:
        person = person_save(
            organization=organization, values={k: identity[k] for k in IDENTITY if identity[k]}
        )
    application = _draft(program, person, identity, user=None, label=f"{email} (applicant)")
    lead = (
        f"You started an application to {organization.name} for the {program.name} credential "
        f"({application.reference}). Open this link to confirm your email address and choose a "
        "password; then complete your application from your account."
    )
    try:
        invitation_create(person=person, email=email, lead=lead)
    except InvitationRefused as exc:
        raise CertificationRefused(exc.problems) from exc


def _sign_in_mail(program: CredentialProgram, email: str) -> None:
    try:
        body_mail(
            program.organization,
            f"{program.organization.short_name}: your application for {program.name}",
            f"Someone (we hope you) started an application for the {program.name} credential "
            f"with this email address. You already have an account: sign in, then apply from "
            "the programme's page. If it was not you, ignore this email.\n",
            [email],
        )
    except Exception as exc:  # no silent failure: the visitor is told to try again
        raise CertificationRefused(
            f"the email to {email} could not be sent ({exc or exc.__class__.__name__}); try again later"
        ) from exc


def _own(application: Application, user: Any) -> None:
    if not getattr(user, "pk", None) or application.person.user_id != user.pk:
        raise CertificationRefused("Only the candidate changes their own application.")


def evidence_clean(spec: Spec, given: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The evidence as kept ({key: {"level" or "amount", "details"}}); CertificationRefused by
    field ("evidence-<key>-level", "-amount", "-details") listing every problem."""
    errors: dict[str, list[str]] = {}
    kept: dict[str, dict[str, str]] = {}
    for item in spec.evidence:
        claim = given.get(item.key) or {}
        details = str(claim.get("details", "") or "").strip()
        entry = {"details": details}
        if len(details) > DETAILS_MAX:
            errors[f"evidence-{item.key}-details"] = [f"At most {DETAILS_MAX} characters."]
        if item.is_level:
            level = str(claim.get("level", "") or "")
            if level and item.level_rank(level) < 0:
                errors[f"evidence-{item.key}-level"] = ["Choose one of the levels listed."]
            entry["level"] = level
        else:
            raw = str(claim.get("amount", "") or "").strip().replace(",", "")
            try:
                amount = Decimal(raw) if raw else None
            except InvalidOperation:
                amount = None
                errors[f"evidence-{item.key}-amount"] = [f"Give a number of {item.unit}."]
            if amount is not None and not Decimal(0) <= amount <= AMOUNT_MAX:
                errors[f"evidence-{item.key}-amount"] = [f"Between 0 and {AMOUNT_MAX} {item.unit}."]
            entry["amount"] = (
                "" if amount is None else str(amount.normalize() if amount % 1 else int(amount))
            )
        kept[item.key] = entry
    if errors:
        raise CertificationRefused(errors)
    return kept


def application_save(
    *,
    application: Application,
    identity: dict[str, Any],
    evidence: dict[str, Any],
    expected_version: str | None,
    acting_user: Any,
    files: list[Upload] | None = None,
) -> Application:
    """The candidate saves their draft (or the information asked for): identity, evidence and new
    documents (``files``: evidence key, name, bytes), all of it or, with every problem at once by
    field (CertificationRefused), none of it; nothing is submitted yet."""
    with files_removed_on_failure() as stored, transaction.atomic():
        return _save(
            application, identity, evidence, files or [], expected_version, acting_user, stored
        )


def _save(application, identity, evidence, files, expected_version, acting_user, stored):
    application = lock(application, expected_version)
    check_own_editable(application, acting_user)
    spec = spec_of(application.requirements)
    errors: dict[str, list[str]] = uploads_problems(application, spec, files)
    cleaned_identity, cleaned_evidence = identity, {}
    try:
        cleaned_identity = _identity(application.organization, identity)
    except ChangeRefused as exc:
        errors.update(exc.errors)
    try:
        cleaned_evidence = evidence_clean(spec, evidence)
    except ChangeRefused as exc:
        errors.update(exc.errors)
    if errors:
        raise CertificationRefused(errors)
    changed = [k for k in IDENTITY if getattr(application, k) != cleaned_identity.get(k, "")]
    for k in IDENTITY:
        setattr(application, k, cleaned_identity.get(k, ""))
    evidence_changed = application.evidence != cleaned_evidence
    application.evidence = cleaned_evidence
    application.save(update_fields=[*IDENTITY, "evidence", "updated_at"])
    for key, name, data in files:
        store(application, key, name, data, user=acting_user, stored=stored)
    audit.record(
        action="certification.application_saved",
        subject_type="certification.application",
        subject_id=application.pk,
        data={
            "reference": application.reference,
            "identity changed": changed,
            "evidence changed": evidence_changed,
        },
        organization=application.organization,
        actor=acting_user,
    )
    return application


def submit_problems(application: Application, spec: Spec) -> list[str]:
    """What keeps the application from being submitted, in words (empty when it can be)."""
    problems = []
    documents = set(application.documents.values_list("evidence_key", flat=True))
    claims = application.evidence or {}
    for item in spec.evidence:
        claim = claims.get(item.key) or {}
        if not (claim.get("level") if item.is_level else claim.get("amount")):
            problems.append(f"{item.label}: give your {'level' if item.is_level else item.unit}.")
        if not claim.get("details"):
            problems.append(f"{item.label}: say where and when (the details).")
        if item.document == "required" and item.key not in documents:
            problems.append(f"{item.label}: add a document that shows it.")
    if not spec.routes_met(claims) and not problems:
        closest = min(spec.routes, key=lambda r: len(spec.route_shortfall(r, claims)))
        problems.append(
            "As you describe it, your evidence meets none of the routes to eligibility. The "
            f"closest, “{closest.label}”, needs: {'; '.join(spec.route_shortfall(closest, claims))}."
        )
    return problems


@transaction.atomic
def application_submit(
    *,
    application: Application,
    confirmed: list[str],
    agreement: bool,
    code_version: CodeVersion | None,
    expected_version: str | None,
    acting_user: Any,
) -> Application:
    """Submit the application (or the information asked for): complete, with each declaration
    confirmed (2.2), the candidate agreement (2.3) and the attestation to the code version in force,
    recorded with the SHA-256 of its text. Staff are due to decide within the programme's review
    days. CertificationRefused listing every problem; nothing is submitted then."""
    application = lock(application, expected_version)
    check_own_editable(application, acting_user)
    spec = spec_of(application.requirements)
    problems = submit_problems(application, spec)
    for statement in spec.declarations:
        if statement.key not in confirmed:
            problems.append(f"Confirm the declaration: “{statement.text[:80]}…”")
    if not agreement:
        problems.append("Agree to the code and to the candidate agreement on exam confidentiality.")
    in_force = current_version(application.organization)
    if in_force is None:
        problems.append(f"{application.organization.short_name} has no code in force to attest to.")
    elif code_version is None or code_version.pk != in_force.pk:
        problems.append(
            f"The code in force is now version {in_force.label}: read it and attest to it."
        )
    if problems:
        raise CertificationRefused(problems)
    now, today = timezone.now(), timezone.localdate()
    application.declarations = {
        s.key: {"text": s.text, "cites": s.cites} for s in spec.declarations
    }
    application.agreement_text = spec.agreement.text
    application.code_version = in_force
    application.code_sha256 = hashlib.sha256(version_to_markdown(in_force).encode()).hexdigest()
    application.declared_at = application.submitted_at = now
    application.review_due_on = today + dt.timedelta(days=spec.review_days)
    application.respond_by = None
    answered = application.state == workflow.MORE_INFORMATION
    workflow_fields = (
        "declarations",
        "agreement_text",
        "code_version",
        "code_sha256",
        "declared_at",
        "submitted_at",
        "review_due_on",
        "respond_by",
    )
    _move_as_candidate(
        application,
        workflow.SUBMITTED,
        fields=workflow_fields,
        user=acting_user,
        data={"code_version": in_force.label, "code_sha256": application.code_sha256},
    )
    notice_make(
        application,
        "information received" if answered else "application received",
        f"We received your {'answer' if answered else 'application'} for the "
        f"{application.program.name} credential. We will decide by "
        f"{application.review_due_on:%-d %B %Y} and write to you then.",
    )
    return application


def _move_as_candidate(
    application: Application,
    target: str,
    *,
    fields: tuple[str, ...] = (),
    user: Any = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    move(
        application,
        target,
        by=workflow.CANDIDATE,
        reason=reason,
        acting_user=user,
        actor_label="" if real_user(user) else "candidate",
        fields=fields,
        data=data,
    )


@transaction.atomic
def application_withdraw(
    *, application: Application, reason: str = "", expected_version: str | None, acting_user: Any
) -> Application:
    """The candidate withdraws their application (before a pass)."""
    application = lock(application, expected_version)
    _own(application, acting_user)
    _move_as_candidate(application, workflow.WITHDRAWN, user=acting_user, reason=reason)
    return application


__all__ = [
    "EDITABLE",
    "IDENTITY",
    "WHOLE",
    "application_open",
    "application_request",
    "application_save",
    "application_submit",
    "application_withdraw",
    "evidence_clean",
    "submit_problems",
]
