"""Every change to a case: filing, the procedure's steps, allegations and determinations, the
sanction, documents, messages, notices and the deadline clock.

Each service asks the body's procedure (`ombuds.cases.procedure`) whether the step is allowed, makes
the change, and writes its audit event in the same transaction. Refusals raise `CaseRefused` with the
reason and change nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.cases import documents as uploads
from ombuds.cases.models import (
    Allegation,
    BodyProcedure,
    Case,
    CaseCounter,
    CaseDeadline,
    Document,
    Message,
    Notice,
    Recusal,
    RespondentLink,
    SanctionChoice,
)
from ombuds.cases.procedure import (
    BODY_ROLES,
    Procedure,
    ProcedureRefused,
    Transition,
    more_time_key,
    parse_date,
    readable_date,
    shipped,
)
from ombuds.cases.procedure import SYSTEM as SYSTEM_ROLE
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Agency,
    BodyRole,
    Credential,
    Membership,
    Organization,
    Person,
    Sanction,
)

logger = logging.getLogger(__name__)


class CaseRefused(Exception):
    """A change to a case that cannot be made; the message says why (every problem, for a form)."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class CaseChanged(CaseRefused):
    """The case changed since the person read it (their page or their ``expected_version``)."""


# --- procedures -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _procedures() -> dict[str, Procedure]:
    return shipped()


def procedure_of(case_or_org: Case | Organization, *, public: bool = True) -> Procedure:
    """The procedure a case follows (the one it was filed under), or a body's current one. With
    ``public`` (the public form and API), a body whose complaint form is closed has none; its own
    people still enter and work cases (``public=False``)."""
    if isinstance(case_or_org, Case):
        key = case_or_org.procedure_key
    else:
        chosen = BodyProcedure.objects.filter(organization=case_or_org).first()
        if chosen is None or (public and not chosen.taking_complaints):
            raise CaseRefused(f"{case_or_org.name} does not take complaints through Ombuds")
        key = chosen.procedure_key
    try:
        return _procedures()[key]
    except KeyError:
        raise CaseRefused(f"no procedure called {key!r} is installed") from None


# --- who may do what ------------------------------------------------------------------------------

LIVE_CREDENTIAL = ("candidate", "active", "inactive", "suspended", "expired")
LIVE_MEMBERSHIP = ("active", "grace", "suspended")


def roles_on_case(user: Any, case: Case) -> set[str]:
    """The body roles a user acts with on this case: none when recused (a declared conflict of
    interest, or being a party), so the case is hidden from them and they cannot act on it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if Recusal.objects.filter(case=case, user=user).exists():
        return set()
    roles = set(
        BodyRole.objects.filter(user=user, organization_id=case.organization_id).values_list(
            "role", flat=True
        )
    )
    if user.is_superuser:
        roles |= {"administrator"}
    return roles & BODY_ROLES


def respondent_records(case: Case) -> tuple[list[Credential], list[Membership]]:
    """The respondent's credentials and memberships with this body that the code binds."""
    credentials: list[Credential] = []
    memberships: list[Membership] = []
    if case.respondent_person_id:
        credentials = list(
            Credential.objects.filter(
                holder_id=case.respondent_person_id,
                program__organization_id=case.organization_id,
                status__in=LIVE_CREDENTIAL,
            ).select_related("program")
        )
        memberships = list(
            Membership.objects.filter(
                person_id=case.respondent_person_id,
                organization_id=case.organization_id,
                status__in=LIVE_MEMBERSHIP,
            )
        )
    elif case.respondent_agency_id:
        memberships = list(
            Membership.objects.filter(
                agency_id=case.respondent_agency_id,
                organization_id=case.organization_id,
                status__in=LIVE_MEMBERSHIP,
            )
        )
    return credentials, memberships


def facts(case: Case) -> dict[str, bool]:
    """What the procedure's conditions ask about the case, as it stands."""
    credentials, memberships = respondent_records(case)
    determinations = list(case.allegations.values_list("determination", flat=True))
    return {
        "respondent_is_member": bool(credentials or memberships),
        "efforts_settled": bool(case.efforts_proven_at or case.efforts_waived_reason),
        "complainant_named": not case.anonymous,
        "all_determined": bool(determinations)
        and Allegation.Determination.PENDING not in determinations,
        "any_upheld": Allegation.Determination.UPHELD in determinations,
        # A choice already imposed (before an appeal sent the case back) is not one to impose.
        "sanction_chosen": SanctionChoice.objects.filter(case=case, sanction__isnull=True).exists(),
        "respondent_answered": case.respondent_answered_at is not None,
        "acknowledged": case.acknowledged_at is not None,
        "respondent_notified": _respondent_notified(case),
    }


def _label(user: Any, label: str) -> str:
    if label:
        return label
    if getattr(user, "pk", None):
        return user.get_full_name() or user.get_username()
    return audit.SYSTEM


def _record(case: Case, action: str, data: dict[str, Any], *, user: Any, label: str) -> None:
    audit.record(
        action=action,
        subject_type="case",
        subject_id=case.pk,
        data={"reference": case.reference, **data},
        organization=case.organization,
        actor=user,
        actor_label=_label(user, label),
    )


# --- filing ---------------------------------------------------------------------------------------

RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
PASSPHRASE_MIN = 10


@dataclass
class Complaint:
    """What a complaint says, from the public form, a member's report or staff entering it."""

    what_happened: str
    respondent_name: str = ""
    respondent_person: Person | None = None
    respondent_agency: Agency | None = None
    respondent_email: str = ""
    respondent_details: str = ""
    anonymous: bool = False
    complainant_name: str = ""
    complainant_email: str = ""
    complainant_phone: str = ""
    complainant_relation: str = Case.Relation.PUBLIC
    consent_to_share: bool = False
    passphrase: str = ""
    happened_on: dt.date | None = None
    happened_until: dt.date | None = None
    outcome_sought: str = ""
    provisions: list = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    channel: str = Case.Channel.WEB
    submission_key: str = ""
    # The complainant's personal link to the complaint they made to a member agency first
    # (`ombuds.members.first_tier`): the agency's record is the proof of efforts to resolve.
    first_tier_link: str = ""


@dataclass(frozen=True)
class Filed:
    case: Case
    receipt_code: str = ""  # shown once to an anonymous complainant
    duplicate: bool = False  # the same form sent twice: the case it already made


def _problems(organization: Organization, c: Complaint) -> list[str]:
    problems = []
    if not c.what_happened.strip():
        problems.append("Say what happened.")
    if not (c.respondent_name.strip() or c.respondent_person or c.respondent_agency):
        problems.append("Say who the complaint is about.")
    if c.respondent_person and c.respondent_agency:
        problems.append("A complaint is about one person or one agency.")
    for record in (c.respondent_person, c.respondent_agency):
        if record is not None and record.organization_id != organization.pk:
            problems.append("That respondent is in another body's register.")
    if c.anonymous:
        if len(c.passphrase) < PASSPHRASE_MIN:
            problems.append(
                f"Choose a passphrase of at least {PASSPHRASE_MIN} characters: with the receipt "
                "code, it lets you follow the complaint."
            )
        if c.consent_to_share:
            problems.append("An anonymous complaint cannot share the complainant's identity.")
    elif not c.complainant_name.strip():
        problems.append("Give your name, or choose to complain anonymously.")
    if c.complainant_relation not in Case.Relation.values:
        problems.append("Say how you relate to the person or agency complained about.")
    today = timezone.localdate()
    if c.happened_on and c.happened_on > today:
        problems.append("The date it happened cannot be in the future.")
    if c.happened_on and c.happened_until and c.happened_until < c.happened_on:
        problems.append("The end of what happened cannot be before its start.")
    if c.channel not in Case.Channel.values:
        problems.append(f"Unknown channel {c.channel!r}.")
    if len(c.files) > uploads.MAX_FILES:
        problems.append(f"Attach at most {uploads.MAX_FILES} files.")
    for name, data in c.files:
        try:
            uploads.check_upload(name, data)
        except uploads.UploadRefused as exc:
            problems.append(f"{exc}.")  # it starts with the file's name, as the person named it
    return problems


def _next_reference(organization: Organization, year: int) -> str:
    counter, _ = CaseCounter.objects.get_or_create(organization=organization, year=year)
    CaseCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    prefix = (organization.acronym or organization.slug).upper()
    return f"{prefix}-{year}-{counter.last:04d}"


def _respondent_contact(c: Complaint) -> tuple[str, str]:
    """The respondent's email and details as kept on the case. For a respondent in the register the
    register's address is the one used: the address a complainant typed is kept in the details only,
    so that a complainant cannot have the respondent's personal link sent to themselves."""
    typed, details = c.respondent_email.strip(), c.respondent_details.strip()
    record = c.respondent_person or c.respondent_agency
    if record is None:
        return typed, details
    registered = (record.email or "").strip()
    if typed and typed.lower() != registered.lower():
        details = f"{details}\n\nEmail given by the complainant: {typed}".strip()
    return registered, details


def _receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


# The passphrase is the only thing between a stranger and an anonymous complainant's case: it is
# always hashed with Argon2, whatever PASSWORD_HASHERS says for accounts.
_PASSPHRASE_HASHER = Argon2PasswordHasher()


def _passphrase_hash(passphrase: str) -> str:
    """The passphrase hashed with Argon2 and its own salt."""
    return _PASSPHRASE_HASHER.encode(passphrase, _PASSPHRASE_HASHER.salt())


def _passphrase_matches(passphrase: str, encoded: str) -> bool:
    """Whether the passphrase is the one hashed (in constant time)."""
    if encoded.startswith(f"{_PASSPHRASE_HASHER.algorithm}$"):
        return _PASSPHRASE_HASHER.verify(passphrase, encoded)
    return bool(encoded) and check_password(passphrase, encoded)  # hashed before Argon2 was forced


def case_file(
    *,
    organization: Organization,
    complaint: Complaint,
    acting_user: Any = None,
    actor_label: str = "",
) -> Filed:
    """File a complaint: a case with its reference, the allegation as the complainant put it (citing
    provisions of the code in force today), the evidence, and the deadlines the procedure starts.

    An anonymous complainant gets a receipt code (returned once) and keeps the passphrase they chose
    (stored hashed). The same form sent twice (same ``submission_key``) gives back the first case.
    Raises CaseRefused listing every problem, writing nothing.
    """
    from ombuds.codes.selectors import current_version
    from ombuds.members import first_tier

    key = complaint.submission_key.strip()[:64] or None
    if key and (repeated := _repeated(organization, key, complaint)) is not None:
        return repeated
    procedure = procedure_of(organization, public=complaint.channel == Case.Channel.WEB)
    # The complaint to the agency first, when attached: it settles the proof of efforts, and its
    # agency is the respondent when the complaint named none in the register.
    attached, complaint, problems = first_tier.escalation_prepare(
        organization=organization, complaint=complaint
    )
    problems += _problems(organization, complaint)
    version = current_version(organization)
    for provision in complaint.provisions:
        if version is None or provision.version_id != version.pk:
            problems.append(f"{provision.citation} is not in the code in force.")
    if problems:
        raise CaseRefused(problems)
    now = timezone.now()
    respondent = complaint.respondent_person or complaint.respondent_agency
    respondent_email, respondent_details = _respondent_contact(complaint)
    receipt = _receipt_code() if complaint.anonymous else ""
    try:
        with _files_removed_on_failure(), transaction.atomic():
            case = Case.objects.create(
                organization=organization,
                reference=_next_reference(organization, timezone.localdate().year),
                procedure_key=procedure.key,
                state=procedure.initial,
                channel=complaint.channel,
                filed_at=now,
                code_version=version,
                anonymous=complaint.anonymous,
                complainant_name="" if complaint.anonymous else complaint.complainant_name.strip(),
                complainant_email=""
                if complaint.anonymous
                else complaint.complainant_email.strip(),
                complainant_phone=""
                if complaint.anonymous
                else complaint.complainant_phone.strip(),
                complainant_relation=complaint.complainant_relation,
                consent_to_share=complaint.consent_to_share and not complaint.anonymous,
                receipt_code=receipt or None,
                passphrase_hash=_passphrase_hash(complaint.passphrase)
                if complaint.anonymous
                else "",
                respondent_person=complaint.respondent_person,
                respondent_agency=complaint.respondent_agency,
                respondent_name=(complaint.respondent_name.strip() or str(respondent))[:300],
                respondent_email=respondent_email,
                respondent_details=respondent_details,
                what_happened=complaint.what_happened.strip(),
                happened_on=complaint.happened_on,
                happened_until=complaint.happened_until,
                outcome_sought=complaint.outcome_sought.strip(),
                submission_key=key,
                created_by=acting_user if getattr(acting_user, "pk", None) else None,
                efforts_proven_at=now if attached is not None else None,
            )
            allegation = Allegation.objects.create(
                case=case, position=1, summary=case.what_happened, source="complainant"
            )
            allegation.provisions.set(complaint.provisions)
            label = _label(
                acting_user,
                actor_label or ("anonymous complainant" if complaint.anonymous else ""),
            )
            if not getattr(acting_user, "pk", None) and not complaint.anonymous:
                label = actor_label or f"{case.complainant_name} (complainant)"
            for name, data in complaint.files:
                _store_document(
                    case,
                    name,
                    data,
                    kind="evidence",
                    visibility=Document.Visibility.INTERNAL,
                    user=acting_user,
                    label=label,
                    audit_it=False,
                )
            for deadline in procedure.starts_on_filing:
                _start_deadline(case, procedure, deadline, timezone.localdate())
            # People of the body who are the respondent never see the case, from the start.
            recused = _recuse_parties(case, acting_user=acting_user)
            recused += _recuse_disclosed(case, acting_user=acting_user)
            _record(
                case,
                "case.filed",
                {
                    "channel": case.channel,
                    "anonymous": case.anonymous,
                    "respondent": case.respondent_name,
                    "provisions": [p.citation for p in complaint.provisions],
                    "documents": [name for name, _data in complaint.files],
                    "procedure": procedure.key,
                    "recused": recused,
                },
                user=acting_user,
                label=label,
            )
            if attached is not None:
                first_tier.escalation_attach(record=attached, case=case, actor_label=label)
            if case.complainant_email:
                _notice(case, "receipt", "complainant")
    except IntegrityError:
        # The same form, sent twice at once: the other request made the case.
        if key and (repeated := _repeated(organization, key, complaint)) is not None:
            return repeated
        raise
    return Filed(case, receipt_code=receipt)


def _repeated(organization: Organization, key: str, complaint: Complaint) -> Filed | None:
    """The case this same form already made (a double tap, a retry after a lost answer), or None.
    It is the same form only when it says the same thing, and, when anonymous, with the same
    passphrase: a submission key alone never shows anyone else's case or receipt code."""
    existing = Case.objects.filter(submission_key=key).first()
    if existing is None:
        return None
    same = (
        existing.organization_id == organization.pk
        and existing.anonymous == complaint.anonymous
        and existing.what_happened == complaint.what_happened.strip()
        and (
            _passphrase_matches(complaint.passphrase, existing.passphrase_hash)
            if existing.anonymous
            else existing.complainant_name == complaint.complainant_name.strip()
        )
    )
    if not same:
        raise CaseRefused(
            "This form was already used to send a different complaint: reload the page to make a "
            "new one."
        )
    return Filed(existing, receipt_code=existing.receipt_code or "", duplicate=True)


# --- the anonymous complainant's follow-up --------------------------------------------------------


def followup_case(receipt_code: str, passphrase: str) -> Case | None:
    """The case for a receipt code and passphrase, or None (the same for a wrong code or a wrong
    passphrase, and as slow, so that neither can be guessed apart). Callers limit attempts."""
    code = "".join(receipt_code.upper().split()).replace("-", "")
    formatted = f"{code[:4]}-{code[4:8]}-{code[8:]}" if len(code) == 12 else ""
    case = Case.objects.filter(receipt_code=formatted).first() if formatted else None
    if case is None:
        _passphrase_hash(passphrase)  # spend the same time as a real check
        return None
    return case if _passphrase_matches(passphrase, case.passphrase_hash) else None


# --- the procedure's steps ------------------------------------------------------------------------


def _lock(case: Case, expected_version: int | None) -> Case:
    locked = (
        Case.objects.select_for_update(of=("self",)).select_related("organization").get(pk=case.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise CaseChanged(
            f"{locked.reference} changed since this page was opened (now "
            f"{procedure_of(locked).state(locked.state).label.lower()}): reload it and try again"
        )
    return locked


def _bump(case: Case, *fields: str) -> None:
    case.version += 1
    case.save(update_fields=["version", "updated_at", *fields])


def case_step(
    *,
    case: Case,
    step: str,
    acting_user: Any = None,
    actor_label: str = "",
    roles: set[str] | None = None,
    inputs: dict[str, Any] | None = None,
    files: dict[str, tuple[str, bytes]] | None = None,
    expected_version: int | None = None,
) -> Case:
    """Take one step of the case's procedure, as the person's roles and the case's facts allow:
    deadlines stop and start, effects happen (notices, the register, publication, check-ins), and the
    step is on the record. ``roles`` defaults to the acting user's roles on the case; a respondent
    through their link passes {"respondent"}, the clock {"system"}."""
    inputs = dict(inputs or {})
    files = dict(files or {})
    with _files_removed_on_failure(), transaction.atomic():
        case = _lock(case, expected_version)
        procedure = procedure_of(case)
        if roles is None:
            roles = roles_on_case(acting_user, case)
            if (
                not roles
                and Recusal.objects.filter(
                    case=case, user_id=getattr(acting_user, "pk", None)
                ).exists()
            ):
                raise CaseRefused("you are recused from this case")
        roles = set(roles)
        for name, (filename, data) in files.items():
            try:
                uploads.check_upload(filename, data)
            except uploads.UploadRefused as exc:
                raise CaseRefused(str(exc)) from exc
            inputs[name] = filename
        try:
            transition = procedure.check(
                case.state,
                step,
                roles=roles,
                facts=facts(case),
                inputs=inputs,
                running=running_deadlines(case),
            )
        except ProcedureRefused as exc:
            raise CaseRefused(str(exc)) from exc
        inputs, files = _declared(transition, inputs, files)
        for i in transition.inputs:
            if i.kind == "date" and i.name in inputs:
                inputs[i.name] = parse_date(inputs[i.name])  # checked: a date (or left empty)
        label = _label(acting_user, actor_label)
        source = case.state
        changed = ["state"]
        case.state = transition.target
        today = timezone.localdate()
        now = timezone.now()
        for name, (filename, data) in files.items():
            _store_document(
                case,
                filename,
                data,
                kind=name,
                visibility=Document.Visibility.INTERNAL,
                user=acting_user,
                label=label,
                audit_it=False,
            )
        if transition.name == "acknowledge" or "acknowledge" in transition.stops:
            case.acknowledged_at = case.acknowledged_at or now
            changed.append("acknowledged_at")
        if "efforts_proof" in files:
            case.efforts_proven_at = now
            changed.append("efforts_proven_at")
        if inputs.get("waiver_reason"):
            case.efforts_waived_reason = str(inputs["waiver_reason"]).strip()
            changed.append("efforts_waived_reason")
        if procedure.state(transition.target).final:
            case.closed_at = now
            changed.append("closed_at")
        _stop_deadlines(case, transition.stops, met=True)
        for deadline in transition.starts:
            _start_deadline(case, procedure, deadline, today)
        moved = _more_time(case, procedure, transition, inputs)
        _bump(case, *changed)
        done = _effects(case, transition, acting_user=acting_user, label=label, inputs=inputs)
        _record(
            case,
            "case.step",
            {
                "step": transition.name,
                "label": transition.label,
                "from": source,
                "to": transition.target,
                "roles": sorted(roles),
                "inputs": {
                    k: v.isoformat() if isinstance(v, dt.date) else v
                    for k, v in inputs.items()
                    if isinstance(v, str | int | bool | dt.date)
                },
                **done,
            },
            user=acting_user,
            label=label,
        )
        if moved:
            _record(case, "case.deadline_moved", moved, user=acting_user, label=label)
    return case


def _declared(
    transition: Transition, inputs: dict[str, Any], files: dict[str, tuple[str, bytes]]
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Only what the step declares: other inputs are ignored (a form posts more than the step
    asks, and an extra field must not set a fact such as a waiver), other files are refused."""
    documents = {i.name for i in transition.inputs if i.kind == "document"}
    extra = sorted(set(files) - documents)
    if extra:
        raise CaseRefused(f"“{transition.label}” takes no document called {', '.join(extra)}")
    declared = {i.name for i in transition.inputs}
    return {k: v for k, v in inputs.items() if k in declared}, files


def available_steps(case: Case, user: Any) -> list[Transition]:
    """The steps this user may take on the case now."""
    return procedure_of(case).available(
        case.state, roles_on_case(user, case), facts(case), running_deadlines(case)
    )


def running_deadlines(case: Case) -> dict[str, dt.date]:
    """The deadlines running on the case, by name, with their due dates (a request for more time
    waiting for a decision among them, under `more_time_key`): what the procedure's steps about
    more time ask about."""
    return dict(
        case.deadlines.filter(met_at__isnull=True, expired_at__isnull=True).values_list(
            "name", "due_on"
        )
    )


def _more_time(
    case: Case, procedure: Procedure, transition: Transition, inputs: dict[str, Any]
) -> dict[str, Any]:
    """A step about more time on a running deadline (the procedure has allowed it, as the case's
    deadlines stand). Asking keeps the request, waiting for a decision, as a deadline of the case
    next to the one it asks to move and due when that one is: the Chair sees it, and it ends with
    the decision, or when that deadline stops or passes. Granting moves the due date (reminders
    count again from the new one); granting and refusing end the request. The move, for the
    record ({} when nothing moved)."""
    mt = transition.more_time
    if mt is None:
        return {}
    definition = procedure.deadlines[mt.deadline]
    deadline = (
        CaseDeadline.objects.select_for_update()
        .filter(case=case, name=mt.deadline, met_at__isnull=True, expired_at__isnull=True)
        .first()
    )
    if deadline is None:
        raise CaseRefused(f"“{definition.label}” is not running: there is no due date to move")
    if mt.action == "ask":
        wanted = inputs[mt.date]
        CaseDeadline.objects.create(
            case=case,
            name=more_time_key(mt.deadline),
            label=(
                f"Decide the request for more time on “{definition.label}” "
                f"(asked until {readable_date(wanted)})"
            )[:200],
            starts_on=timezone.localdate(),
            due_on=deadline.due_on,
        )
        return {}
    CaseDeadline.objects.filter(
        case=case, name=more_time_key(mt.deadline), met_at__isnull=True, expired_at__isnull=True
    ).update(met_at=timezone.now())
    if mt.action != "grant":
        return {}
    until = inputs[mt.date]
    if until < deadline.due_on:
        raise CaseRefused(
            f"the new date cannot be earlier than {readable_date(deadline.due_on)}, when "
            f"“{definition.label}” is due now"
        )
    moved = {
        "deadline": deadline.name,
        "label": deadline.label,
        "from": deadline.due_on,
        "to": until,
        "step": transition.name,
    }
    deadline.due_on = until
    deadline.save(update_fields=["due_on", "updated_at"])
    # The reminders sent before the old due date do not stand for the new one.
    deadline.reminders.all().delete()
    return moved


def _start_deadline(case: Case, procedure: Procedure, name: str, start: dt.date) -> CaseDeadline:
    """Start a deadline on ``start``, unless it is already running: starting it again neither
    extends it nor marks the running one met (a late acknowledgement does not move the feedback date
    the lapsed 7 days started). A step that stops and starts a deadline restarts it."""
    definition = procedure.deadlines[name]
    running = CaseDeadline.objects.filter(
        case=case, name=name, met_at__isnull=True, expired_at__isnull=True
    ).first()
    if running is not None:
        return running
    return CaseDeadline.objects.create(
        case=case,
        name=name,
        label=definition.label,
        starts_on=start,
        due_on=definition.due(start, procedure.holidays),
    )


def _stop_deadlines(case: Case, names: tuple[str, ...], *, met: bool) -> None:
    """Stop the named deadlines (every one for "*"), and with each the request for more time on
    it that waits for a decision: once the deadline is over, there is no due date to move."""
    running = CaseDeadline.objects.filter(case=case, met_at__isnull=True, expired_at__isnull=True)
    if "*" not in names:
        running = running.filter(name__in=[*names, *(more_time_key(n) for n in names)])
    running.update(**({"met_at": timezone.now()} if met else {"expired_at": timezone.now()}))


def _effects(
    case: Case, transition: Transition, *, acting_user: Any, label: str, inputs: dict[str, Any]
) -> dict[str, Any]:
    """Carry out the step's effects, each only when its conditions hold; what they did, for the
    step's event: the notices made ("template → recipient"), the register sanction, recusals."""
    done: dict[str, Any] = {"notices": []}
    case_facts = facts(case)
    for effect in transition.effects:
        unmet = [c for c in effect.when if _condition_unmet(c, case_facts)]
        if effect.kind == "register" and unmet:
            _refuse_unrecorded_sanction(case)
        if unmet:
            continue
        if effect.kind == "notice":
            for recipient in effect.to:
                for notice in _notice(
                    case, effect.template, recipient, inputs=inputs, step=transition
                ):
                    done["notices"].append(f"{notice.template} → {notice.recipient_role}")
        elif effect.kind == "register":
            sanction = _impose_on_register(case, acting_user=acting_user)
            if sanction is not None:
                done["register sanction"] = sanction.pk
        elif effect.kind == "publish":
            url = _publish_decision(case)
            if url:
                done["published"] = url
        elif effect.kind == "checkin":
            case.checkin_on = timezone.localdate() + dt.timedelta(days=effect.days)
            case.save(update_fields=["checkin_on"])
        elif effect.kind == "recuse_check":
            done["recused"] = _recuse_parties(case, acting_user=acting_user)
    return done


def _publish_decision(case: Case) -> str:
    """Link the register's sanction to the case's public decision page, when the sanction is not
    private; the page shows it for as long as the publication policy does (public until a date)."""
    from django.urls import reverse

    from ombuds.cases.notices import base_url

    choice = (
        SanctionChoice.objects.filter(case=case, sanction__isnull=False)
        .select_related("sanction")
        .first()
    )
    if choice is None or choice.sanction.publication == Sanction.Publication.PRIVATE:
        return ""
    url = base_url() + reverse(
        "cases:decision", kwargs={"org": case.organization.slug, "reference": case.reference}
    )
    Sanction.objects.filter(pk=choice.sanction_id).update(decision_url=url)
    return url


def _condition_unmet(condition: str, case_facts: dict[str, bool]) -> bool:
    """Whether a condition ("fact" or "not fact") fails, as the procedure engine reads it."""
    negated = condition.startswith("not ")
    return bool(case_facts.get(condition.removeprefix("not "), False)) == negated


def _refuse_unrecorded_sanction(case: Case) -> None:
    """A register effect that does not apply (the respondent is no longer a member) must not
    silently drop a sanction that would have changed the register."""
    choice = SanctionChoice.objects.filter(case=case, sanction__isnull=True).first()
    if choice is not None and choice.kind in STATUS_SANCTIONS + CONDITION_SANCTIONS:
        raise CaseRefused(
            "the respondent no longer holds a credential or membership of this body, so the "
            f"chosen sanction ({choice.kind}) cannot be applied: choose another"
        )


def _recuse_parties(case: Case, *, acting_user: Any) -> list[str]:
    """Recuse the body's people who are the respondent as the register knows them (their account
    has the respondent's registered email). The complainant's email is typed by the complainant,
    so it is not trusted to hide a case from someone."""
    from django.contrib.auth import get_user_model

    record = case.respondent_person or case.respondent_agency
    address = (record.email or "").strip() if record is not None else ""
    if not address:
        return []
    users = (
        get_user_model()
        .objects.filter(email__iexact=address, body_roles__organization_id=case.organization_id)
        .distinct()
    )
    recused = []
    for user in users:
        _, created = Recusal.objects.get_or_create(
            case=case,
            user=user,
            defaults={
                "reason": "The respondent's registered email is this person's.",
                "recorded_by": acting_user if getattr(acting_user, "pk", None) else None,
            },
        )
        if created:
            recused.append(user.get_username())
    return recused


def _recuse_disclosed(case: Case, *, acting_user: Any) -> list[str]:
    """Recuse the body's people whose current disclosed conflict of interest names the respondent
    (`ombuds.members`); the usernames newly recused."""
    from ombuds.members.services import recusals_for_new_case

    return [u.get_username() for u in recusals_for_new_case(case, acting_user=acting_user)]


# --- allegations, determinations, the sanction ----------------------------------------------------


def _staff_roles(user: Any, case: Case, allowed: set[str]) -> set[str]:
    roles = roles_on_case(user, case)
    if not roles & allowed:
        raise CaseRefused(
            "only the " + ", ".join(sorted(r.replace("_", " ") for r in allowed)) + " may do that"
        )
    return roles


DECIDERS = {"ethics_chair", "committee_member"}
HANDLERS = {"ethics_chair", "investigator", "staff", "administrator"}
DECIDING_STATES = ("committee",)
ALLEGATION_SOURCES = ("complainant", "staff", "non-cooperation")


def allegation_add(
    *,
    case: Case,
    summary: str,
    provisions: list,
    source: str = "staff",
    acting_user: Any = None,
    expected_version: int | None = None,
) -> Allegation:
    """Add an allegation citing provisions of the code version the case was filed under; its
    source is "staff" (found in the investigation) or "non-cooperation"."""
    if source not in ALLEGATION_SOURCES:
        raise CaseRefused(f"the source is one of {', '.join(ALLEGATION_SOURCES)}, not {source!r}")
    with transaction.atomic():
        case = _lock(case, expected_version)
        _staff_roles(acting_user, case, HANDLERS | DECIDERS)
        if procedure_of(case).state(case.state).final:
            raise CaseRefused("the case is closed")
        if not summary.strip():
            raise CaseRefused("say what the allegation is")
        for provision in provisions:
            if case.code_version_id is None or provision.version_id != case.code_version_id:
                raise CaseRefused(
                    f"{provision.citation} is not in the version of the code the case was filed under"
                )
        position = (
            case.allegations.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
        allegation = Allegation.objects.create(
            case=case, position=position, summary=summary.strip(), source=source
        )
        allegation.provisions.set(provisions)
        _bump(case)
        _record(
            case,
            "case.allegation_added",
            {
                "allegation": position,
                "summary": allegation.summary,
                "provisions": [p.citation for p in provisions],
                "source": source,
            },
            user=acting_user,
            label="",
        )
    return allegation


def determination_record(
    *,
    allegation: Allegation,
    determination: str,
    reasons: str,
    acting_user: Any = None,
    expected_version: int | None = None,
) -> Allegation:
    """Decide one allegation, upheld or not upheld, with reasons (the committee, in its state)."""
    with transaction.atomic():
        case = _lock(allegation.case, expected_version)
        _staff_roles(acting_user, case, DECIDERS)
        if case.state not in DECIDING_STATES:
            raise CaseRefused("allegations are decided while the case is before the committee")
        if determination not in (
            Allegation.Determination.UPHELD,
            Allegation.Determination.NOT_UPHELD,
        ):
            raise CaseRefused("the determination is upheld or not upheld")
        if not reasons.strip():
            raise CaseRefused("give the reasons for the determination")
        allegation = Allegation.objects.select_for_update().get(pk=allegation.pk)
        allegation.determination = determination
        allegation.reasons = reasons.strip()
        allegation.determined_by = acting_user if getattr(acting_user, "pk", None) else None
        allegation.determined_at = timezone.now()
        allegation.save()
        _bump(case)
        _record(
            case,
            "case.determination",
            {
                "allegation": allegation.position,
                "determination": determination,
                "reasons": allegation.reasons,
            },
            user=acting_user,
            label="",
        )
    return allegation


# What each sanction does to the register's record when imposed: the status it moves it to. A
# credential is revoked and a membership ends by expulsion; neither has the other's status.
SANCTION_STATUS = {
    "credential": {"suspension": "suspended", "revocation": "revoked"},
    "membership": {"suspension": "suspended", "expulsion": "expelled"},
}
STATUS_SANCTIONS = ("suspension", "revocation", "expulsion")
CONDITION_SANCTIONS = ("probation", "conditions")


def sanction_choose(
    *,
    case: Case,
    kind: str,
    summary: str,
    effective_from: dt.date,
    effective_until: dt.date | None = None,
    publication: str,
    public_until: dt.date | None = None,
    conditions: str = "",
    provisions: list | None = None,
    acting_user: Any = None,
    expected_version: int | None = None,
) -> SanctionChoice:
    """The sanction the committee decides, from the body's ladder; imposed by the procedure's step.
    A sanction that changes the register is refused when the respondent's record cannot take it.
    Choosing again after one was imposed (an appeal sent the case back) replaces the choice; the
    register keeps the sanction imposed before, and the event names it."""
    problems = _sanction_problems(
        kind=kind,
        summary=summary,
        effective_from=effective_from,
        effective_until=effective_until,
        publication=publication,
        public_until=public_until,
        conditions=conditions,
    )
    if problems:
        raise CaseRefused(problems)
    with transaction.atomic():
        case = _lock(case, expected_version)
        _staff_roles(acting_user, case, DECIDERS)
        if case.state != "sanction":
            raise CaseRefused("a sanction is chosen once allegations are upheld")
        problem = _register_problem(kind, _register_record(case))
        if problem:
            raise CaseRefused(problem)
        for provision in provisions or []:
            if provision.version_id != case.code_version_id:
                raise CaseRefused(f"{provision.citation} is not in the case's version of the code")
        earlier = SanctionChoice.objects.filter(case=case).values_list("sanction_id", flat=True)
        replaces = next(iter(earlier), None)
        choice, _ = SanctionChoice.objects.update_or_create(
            case=case,
            defaults={
                "kind": kind,
                "summary": summary.strip(),
                "effective_from": effective_from,
                "effective_until": effective_until,
                "publication": publication,
                "public_until": public_until,
                "conditions": conditions.strip(),
                "chosen_by": acting_user if getattr(acting_user, "pk", None) else None,
                "sanction": None,
            },
        )
        choice.provisions.set(provisions or [])
        _bump(case)
        _record(
            case,
            "case.sanction_chosen",
            {
                "kind": kind,
                "from": effective_from,
                "until": effective_until,
                "publication": publication,
                "provisions": [p.citation for p in provisions or []],
                **({"replaces register sanction": replaces} if replaces else {}),
            },
            user=acting_user,
            label="",
        )
    return choice


def _sanction_problems(
    *,
    kind: str,
    summary: str,
    effective_from: dt.date,
    effective_until: dt.date | None,
    publication: str,
    public_until: dt.date | None,
    conditions: str,
) -> list[str]:
    """Every problem with a sanction as chosen, before looking at the case."""
    problems = []
    if kind not in Sanction.Kind.values:
        problems.append(f"choose a sanction from the ladder, not {kind!r}")
    if publication not in Sanction.Publication.values:
        problems.append("choose how the sanction is published")
    if publication == Sanction.Publication.PUBLIC_UNTIL and not public_until:
        problems.append("give the date until which the sanction is public")
    if not summary.strip():
        problems.append("summarise the sanction (shown publicly when it is public)")
    if kind == "suspension" and not effective_until:
        problems.append("a suspension needs its end date")
    if kind in CONDITION_SANCTIONS and not conditions.strip():
        problems.append("say what the conditions are")
    if effective_until and effective_until <= effective_from:
        problems.append("the sanction must end after it starts")
    if effective_from < timezone.localdate():
        problems.append("a sanction cannot start in the past")
    return problems


def _register_record(case: Case) -> Credential | Membership | None:
    """The register record a sanction in this case applies to: the respondent's credential with
    the body, else their membership; None when they hold neither."""
    credentials, memberships = respondent_records(case)
    return (credentials or memberships or [None])[0]


def _register_problem(kind: str, record: Credential | Membership | None) -> str:
    """Why a sanction of this kind cannot be applied to the record ("" when it can, or when the
    sanction changes nothing in the register)."""
    if kind not in STATUS_SANCTIONS + CONDITION_SANCTIONS:
        return ""
    if record is None:
        return (
            "the respondent holds no credential or membership of this body for that sanction "
            "to change"
        )
    record_kind = "credential" if isinstance(record, Credential) else "membership"
    allowed = SANCTION_STATUS[record_kind]
    if kind in STATUS_SANCTIONS and kind not in allowed:
        other = next(k for k in allowed if k != "suspension")
        return f"a {record_kind} is not subject to {kind}: choose {other}"
    return ""


def _impose_on_register(case: Case, *, acting_user: Any) -> Sanction | None:
    """Write the chosen sanction to the register (citing the provisions, source "case") and change
    the record's status or conditions, in the step's own transaction: all of it, or CaseRefused and
    none of it. A suspension ends on its date through the register's daily task."""
    choice = SanctionChoice.objects.select_for_update().get(case=case)
    record = _register_record(case)
    if record is None:
        return None  # nothing in the register to change (the respondent is not a member)
    problem = _register_problem(choice.kind, record)
    if problem:
        raise CaseRefused(problem)
    try:
        sanction = _register_sanction(case, choice, record, acting_user=acting_user)
        _register_status(case, choice, record, acting_user=acting_user)
        _register_conditions(case, choice, record, acting_user=acting_user)
    except TransitionRefused as exc:
        raise CaseRefused(f"the register refused the sanction: {exc}") from exc
    choice.sanction = sanction
    choice.save(update_fields=["sanction", "updated_at"])
    return sanction


def _register_sanction(
    case: Case, choice: SanctionChoice, record: Credential | Membership, *, acting_user: Any
) -> Sanction:
    """The register's sanction, citing the chosen provisions (or those of upheld allegations)."""
    from ombuds.register import services as register

    provisions = list(choice.provisions.all()) or [
        p for a in case.allegations.filter(determination="upheld") for p in a.provisions.all()
    ]
    is_credential = isinstance(record, Credential)
    return register.sanction_record(
        organization=case.organization,
        credential=record if is_credential else None,
        membership=None if is_credential else record,
        kind=choice.kind,
        decided_on=timezone.localdate(),
        summary=choice.summary,
        publication=choice.publication,
        public_until=choice.public_until,
        effective_from=choice.effective_from,
        effective_until=choice.effective_until,
        decision_url=choice.decision_url,
        provisions=list(dict.fromkeys(provisions)),
        source="case",
        acting_user=acting_user,
    )


def _register_status(
    case: Case, choice: SanctionChoice, record: Credential | Membership, *, acting_user: Any
) -> None:
    """Move the record to the sanction's status, dated from the day the sanction takes effect. A
    suspension of a record already suspended for less long replaces the running one."""
    from ombuds.register import services as register

    is_credential = isinstance(record, Credential)
    target = SANCTION_STATUS["credential" if is_credential else "membership"].get(choice.kind)
    if target is None:
        return
    if choice.effective_from > timezone.localdate():
        raise CaseRefused(
            f"the sanction takes effect on {choice.effective_from}: the register records a "
            "change of status on its day, so impose it then"
        )
    move = register.credential_transition if is_credential else register.membership_transition
    subject = {"credential" if is_credential else "membership": record}
    label = dict(Sanction.Kind.choices).get(choice.kind, choice.kind)
    if target == "suspended" and record.status == "suspended":
        if record.suspended_until and record.suspended_until >= choice.effective_until:
            return  # the running suspension already covers the term
        record = move(
            **subject,
            to_status="active",
            effective_date=choice.effective_from,
            reason=f"The suspension is replaced by the one decided in case {case.reference}",
            decision_ref=case.reference,
            acting_user=acting_user,
        )
        subject = {"credential" if is_credential else "membership": record}
    move(
        **subject,
        to_status=target,
        effective_date=choice.effective_from,
        reason=f"Sanction in case {case.reference}: {label}",
        decision_ref=case.reference,
        until=choice.effective_until if target == "suspended" else None,
        acting_user=acting_user,
    )


def _register_conditions(
    case: Case, choice: SanctionChoice, record: Credential | Membership, *, acting_user: Any
) -> None:
    """Conditions go on a credential's record; a membership has none (its sanction says them)."""
    from ombuds.register import services as register

    if choice.kind not in CONDITION_SANCTIONS or not isinstance(record, Credential):
        return
    if record.conditions.strip() == choice.conditions.strip():
        return
    register.credential_correct(
        credential=record,
        conditions=choice.conditions,
        reason=f"Sanction in case {case.reference}",
        acting_user=acting_user,
    )


# --- documents and messages -----------------------------------------------------------------------

_written_files: ContextVar[list | None] = ContextVar("case_written_files", default=None)


@contextmanager
def _files_removed_on_failure() -> Iterator[None]:
    """Files stored inside the block are deleted again when it fails (a refusal, a rollback, the
    same form sent twice at once): no evidence stays on disk without its record."""
    written: list = []
    outer = _written_files.get()
    token = _written_files.set(written)
    try:
        yield
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise
    finally:
        _written_files.reset(token)
    if outer is not None:
        outer.extend(written)  # the enclosing block may still fail


def _store_document(
    case: Case,
    name: str,
    data: bytes,
    *,
    kind: str,
    visibility: str,
    user: Any,
    label: str,
    audit_it: bool = True,
) -> Document:
    found = uploads.check_upload(name, data)
    document = Document(
        case=case,
        token=secrets.token_hex(16),
        kind=kind,
        original_name=name[:255],
        content_type=found.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        visibility=visibility,
        uploaded_by=user if getattr(user, "pk", None) else None,
        uploaded_by_label=_label(user, label),
    )
    document.file.save(document.token, ContentFile(data), save=False)
    written = _written_files.get()
    if written is not None:
        written.append((document.file.storage, document.file.name))
    document.save()
    if audit_it:
        _record(
            case,
            "case.document_added",
            {
                "document": document.token,
                "name": document.original_name,
                "kind": kind,
                "sha256": document.sha256,
            },
            user=user,
            label=label,
        )
    return document


def document_add(
    *,
    case: Case,
    name: str,
    data: bytes,
    kind: str,
    visibility: str = Document.Visibility.INTERNAL,
    acting_user: Any = None,
    actor_label: str = "",
) -> Document:
    """A document added to an open case by the body's people (a respondent answers with
    `respondent_answer`)."""
    if visibility not in Document.Visibility.values:
        raise CaseRefused(f"choose who may see the document, not {visibility!r}")
    if not kind.strip():
        raise CaseRefused("say what the document is")
    with _files_removed_on_failure(), transaction.atomic():
        case = _lock(case, None)
        _staff_roles(acting_user, case, HANDLERS | DECIDERS)
        if procedure_of(case).state(case.state).final:
            raise CaseRefused("the case is closed")
        try:
            document = _store_document(
                case,
                name,
                data,
                kind=kind.strip()[:30],
                visibility=visibility,
                user=acting_user,
                label=actor_label,
            )
        except uploads.UploadRefused as exc:
            raise CaseRefused(str(exc)) from exc
        _bump(case)
    return document


def document_viewed(*, document: Document, viewer: Any = None, viewer_label: str = "") -> None:
    """Record that someone opened a confidential document (the view is itself on the record)."""
    with transaction.atomic():
        _record(
            document.case,
            "case.document_viewed",
            {"document": document.token, "name": document.original_name},
            user=viewer,
            label=viewer_label,
        )


def message_post(
    *,
    case: Case,
    audience: str,
    body: str,
    acting_user: Any = None,
    actor_label: str = "",
    from_party: bool = False,
) -> Message:
    """An internal note, or a message to or from one party."""
    if audience not in Message.Audience.values:
        raise CaseRefused("choose who the message is for")
    if not body.strip():
        raise CaseRefused("write the message")
    with transaction.atomic():
        case = _lock(case, None)
        if not from_party:
            _staff_roles(acting_user, case, HANDLERS | DECIDERS)
            if audience == Message.Audience.RESPONDENT and not _respondent_notified(case):
                raise CaseRefused(
                    "the respondent has not been notified of the complaint yet: a message would "
                    "tell them of it before the procedure does"
                )
        message = Message.objects.create(
            case=case,
            audience=audience,
            body=body.strip(),
            author=acting_user if getattr(acting_user, "pk", None) else None,
            author_label=_label(acting_user, actor_label),
            from_party=from_party,
        )
        _bump(case)
        _record(
            case,
            "case.message",
            {"audience": audience, "from_party": from_party, "message": message.pk},
            user=acting_user,
            label=actor_label,
        )
        if not from_party and audience == Message.Audience.COMPLAINANT and case.complainant_email:
            _notice(case, "message", "complainant")
        if not from_party and audience == Message.Audience.RESPONDENT and _respondent_address(case):
            _notice(case, "message", "respondent")
    return message


def respondent_answer(
    *,
    case: Case,
    body: str,
    files: list[tuple[str, bytes]],
    acting_user: Any = None,
    actor_label: str = "respondent (link)",
) -> Case:
    """The respondent's answer: a message, documents, and the fact that they answered (which the
    procedure's next step may need). Through their personal link nobody is signed in and
    ``actor_label`` names them; from their account, ``acting_user`` is who answered."""
    if not body.strip() and not files:
        raise CaseRefused("write your answer or attach a document")
    with _files_removed_on_failure(), transaction.atomic():
        case = _lock(case, None)
        if procedure_of(case).state(case.state).final:
            raise CaseRefused("the case is closed")
        for name, data in files:
            try:
                uploads.check_upload(name, data)
            except uploads.UploadRefused as exc:
                raise CaseRefused(str(exc)) from exc
        label = _label(acting_user, actor_label)
        if body.strip():
            Message.objects.create(
                case=case,
                audience=Message.Audience.RESPONDENT,
                body=body.strip(),
                author=acting_user if getattr(acting_user, "pk", None) else None,
                author_label=label,
                from_party=True,
            )
        for name, data in files:
            _store_document(
                case,
                name,
                data,
                kind="answer",
                visibility=Document.Visibility.RESPONDENT,
                user=acting_user,
                label=label,
                audit_it=False,
            )
        case.respondent_answered_at = case.respondent_answered_at or timezone.now()
        _bump(case, "respondent_answered_at")
        _record(
            case,
            "case.respondent_answered",
            {"documents": [n for n, _d in files], "words": len(body.split())},
            user=acting_user,
            label=label,
        )
    return case


# --- the respondent's link ------------------------------------------------------------------------

LINK_DAYS = 60


def respondent_link_issue(case: Case) -> str:
    """A new personal link token for the respondent (returned once; its hash is kept)."""
    token = secrets.token_urlsafe(32)
    RespondentLink.objects.create(
        case=case,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=timezone.now() + dt.timedelta(days=LINK_DAYS),
    )
    return token


def respondent_link_case(token: str) -> Case | None:
    """The case a respondent's link opens, or None when it is unknown, revoked or expired."""
    if not token:
        return None
    link = (
        RespondentLink.objects.filter(token_hash=hashlib.sha256(token.encode()).hexdigest())
        .select_related("case__organization")
        .first()
    )
    now = timezone.now()
    if link is None or link.revoked_at or link.expires_at <= now:
        return None
    RespondentLink.objects.filter(pk=link.pk).update(last_used_at=now)
    return link.case


# --- notices --------------------------------------------------------------------------------------

NOTICE_ATTEMPTS = 5


def _respondent_address(case: Case) -> str:
    """Where the respondent's notices (and their personal link) go: the register's address for a
    respondent in the register, as it stands now; the address given on filing otherwise."""
    record = case.respondent_person or case.respondent_agency
    if record is not None:
        return (record.email or "").strip()
    return case.respondent_email.strip()


def _recipients(case: Case, role: str) -> list[str]:
    """The addresses of a notice to a party or to the body's people ("" when there is none: the
    notice is kept to be delivered by other means). Recused and inactive people get nothing."""
    if role == "complainant":
        return [case.complainant_email] if case.complainant_email else [""]
    if role == "respondent":
        return [_respondent_address(case)]
    wanted = {"committee": ("committee_member", "ethics_chair"), "chair": ("ethics_chair",)}[role]
    recused = Recusal.objects.filter(case=case).values_list("user_id", flat=True)
    emails = (
        BodyRole.objects.filter(
            organization_id=case.organization_id, role__in=wanted, user__is_active=True
        )
        .exclude(user_id__in=recused)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    return sorted(emails) or [""]


def _notice(
    case: Case,
    template: str,
    recipient_role: str,
    *,
    inputs: dict[str, Any] | None = None,
    step: Transition | None = None,
) -> list[Notice]:
    """Notices from the body's template (or Ombuds' own), kept on the case and sent after commit."""
    from ombuds.cases.notices import LINK_PLACEHOLDER, render, respondent_url

    made = []
    link = ""
    if recipient_role == "respondent" and template in RESPONDENT_LINK_TEMPLATES:
        link = respondent_link_issue(case)
    subject, body = render(
        case, template, recipient_role, respondent_token=link, inputs=inputs, step=step
    )
    if link:
        # Kept on the case without the link; the link goes into the email only (`notice_send`).
        body = body.replace(respondent_url(link), LINK_PLACEHOLDER)
    for email in _recipients(case, recipient_role):
        notice = Notice.objects.create(
            case=case,
            template=template,
            recipient_role=recipient_role,
            recipient_email=email,
            subject=subject,
            body=body,
            link_token=link if email else "",
            status=Notice.Status.PENDING if email else Notice.Status.NO_ADDRESS,
        )
        if email:
            # robust: a queue that is down must not turn a committed change into an error page;
            # the notice stays pending and `notices_retry` sends it.
            transaction.on_commit(lambda pk=notice.pk: _enqueue_notice(pk), robust=True)
        made.append(notice)
    return made


RESPONDENT_LINK_TEMPLATES = {
    "allegations",
    "cooperation_request",
    "sanction",
    "decision",
    "message",
}
# The notices with a link that the procedure's own steps send (a message is not a notification).
PROCEDURE_LINK_TEMPLATES = RESPONDENT_LINK_TEMPLATES - {"message"}
# The deadlines a respondent is told about; the body's own (acknowledging, feedback) are not theirs.
RESPONDENT_DEADLINES = ("answer", "cooperation", "appeal")


def _enqueue_notice(notice_id: int) -> None:
    from ombuds.cases.tasks import send_notice_task

    send_notice_task.enqueue(notice_id)


def notice_send(notice_id: int) -> str:
    """Send one notice; on failure count the attempt and leave it for the retry, or mark it failed
    after NOTICE_ATTEMPTS (shown on the case, never silently lost)."""
    from django.core.mail import send_mail

    from ombuds.cases.notices import LINK_PLACEHOLDER, respondent_url

    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None or notice.status != Notice.Status.PENDING:
            return "nothing to send"
        text = notice.body
        if notice.link_token:
            text = text.replace(LINK_PLACEHOLDER, respondent_url(notice.link_token))
        try:
            send_mail(
                subject=notice.subject,
                message=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notice.recipient_email],
            )
        except Exception as exc:  # any transport error: keep it and try again later
            notice.attempts += 1
            notice.last_error = str(exc)[:1000] or exc.__class__.__name__
            if notice.attempts >= NOTICE_ATTEMPTS:
                notice.status = Notice.Status.FAILED
            notice.save(update_fields=["attempts", "last_error", "status", "updated_at"])
            return "failed"
        notice.attempts += 1
        notice.status, notice.sent_at = Notice.Status.SENT, timezone.now()
        notice.link_token = ""  # sent: the link now lives in the respondent's mailbox only
        notice.save(update_fields=["attempts", "status", "sent_at", "link_token", "updated_at"])
        return "sent"


def notices_retry() -> int:
    """Try again every notice still waiting (the daily tick and the worker call this)."""
    sent = 0
    for pk in Notice.objects.filter(status=Notice.Status.PENDING).values_list("pk", flat=True):
        sent += notice_send(pk) == "sent"
    return sent


# --- the clock ------------------------------------------------------------------------------------


def deadlines_tick(*, today: dt.date | None = None) -> dict[str, int]:
    """Deadlines that have passed: flagged, their expiry steps taken (a respondent's answer period
    ending without an answer), and the deadlines they start started; reminders before due dates,
    sent once each. Each passed deadline is its own transaction, and an expiry step the procedure
    refuses is on the record rather than stopping the clock for every other case. Idempotent: a
    second run the same day does nothing."""
    today = today or timezone.localdate()
    counts = {"deadlines passed": 0, "steps taken": 0, "reminders sent": 0}
    due = CaseDeadline.objects.filter(
        met_at__isnull=True, expired_at__isnull=True, due_on__lt=today
    ).values_list("pk", flat=True)
    for pk in list(due):
        try:
            outcome = _pass_deadline(pk)
        except Exception:  # one case the clock cannot handle must not stop it for every body
            logger.exception("deadline %s could not be handled", pk)
            counts["deadlines failed"] = counts.get("deadlines failed", 0) + 1
            continue
        if outcome is not None:
            counts["deadlines passed"] += 1
            counts["steps taken"] += outcome
    counts["reminders sent"] = _send_deadline_reminders(today)
    counts["check-ins sent"] = _send_checkins(today)
    counts["cases purged"] = cases_purge_due(today=today)
    return counts


def _send_checkins(today: dt.date) -> int:
    """After closure, on the day the procedure set, ask the complainant whether they have faced
    retaliation; once per case, however often the clock runs."""
    sent = 0
    for pk in (
        Case.objects.filter(checkin_on__lte=today, closed_at__isnull=False, purged_at__isnull=True)
        .exclude(notices__template="checkin")
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pk)
            if case.notices.filter(template="checkin").exists():
                continue
            _notice(case, "checkin", "complainant")
            _record(case, "case.checkin_sent", {"on": today}, user=None, label="")
        sent += 1
    return sent


def retention_days() -> int:
    """How long a closed case keeps its personal content (0: for ever)."""
    return int(getattr(settings, "OMBUDS_CASE_RETENTION_DAYS", 0) or 0)


def cases_purge_due(*, today: dt.date | None = None) -> int:
    """Purge the cases closed longer ago than the retention period; how many."""
    days = retention_days()
    if days <= 0:
        return 0
    today = today or timezone.localdate()
    cutoff = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time()))
    due = Case.objects.filter(closed_at__lt=cutoff, purged_at__isnull=True)
    return sum(
        case_purge(case=case, reason=f"retention period of {days} days ended") for case in due
    )


def case_purge(*, case: Case, reason: str, acting_user: Any = None) -> bool:
    """Purge a closed case's personal content: the complainant's details and words, evidence and
    other documents (files deleted), messages and notice texts, and the details of its audit events.
    Nothing is deleted: the case, its allegations with their citations and determinations, the
    sanction and the event chain stay, and one event records the purge. False when already purged."""
    from ombuds.audit import services as audit_log

    if not reason.strip():
        raise CaseRefused("say why the case is purged")
    files: list = []
    with transaction.atomic():
        case = _lock(case, None)
        if case.purged_at is not None:
            return False
        if case.closed_at is None:
            raise CaseRefused("only a closed case is purged")
        now = timezone.now()
        for document in case.documents.filter(purged_at__isnull=True):
            if document.file:
                files.append(document.file)
            Document.objects.filter(pk=document.pk).update(purged_at=now, file="")
        case.messages.filter(purged_at__isnull=True).update(body="", purged_at=now)
        # The complainant's own words, copied into the first allegation; the citations and the
        # committee's determination stay.
        case.allegations.filter(source="complainant").update(
            summary="(purged at the end of the retention period)"
        )
        case.respondent_links.filter(revoked_at__isnull=True).update(revoked_at=now)
        case.notices.update(link_token="")
        case.notices.update(body="", subject="(purged)")
        case.complainant_name = case.complainant_email = case.complainant_phone = ""
        case.what_happened = "(purged at the end of the retention period)"
        case.outcome_sought = case.respondent_details = ""
        case.passphrase_hash, case.receipt_code = "", None
        case.purged_at = now
        _bump(
            case,
            "complainant_name",
            "complainant_email",
            "complainant_phone",
            "what_happened",
            "outcome_sought",
            "respondent_details",
            "passphrase_hash",
            "receipt_code",
            "purged_at",
        )
        purged = audit_log.purge_subject(
            subject_type="case",
            subject_id=case.pk,
            reason=reason.strip(),
            actor=acting_user,
            organization=case.organization,
        )
        _record(
            case,
            "case.purged",
            {"reason": reason.strip(), "documents": len(files), "events": purged},
            user=acting_user,
            label="",
        )
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])
    return True


def _pass_deadline(pk: int) -> int | None:
    """Handle one passed deadline: None when someone else already did, else the steps taken."""
    found = CaseDeadline.objects.filter(pk=pk).select_related("case").first()
    if found is None:
        return None
    with transaction.atomic():
        case = _lock(found.case, None)  # the case first, as a step locks it: no deadlock
        current = (
            CaseDeadline.objects.select_for_update()
            .filter(pk=pk, met_at__isnull=True, expired_at__isnull=True)
            .first()
        )
        if current is None:
            return None
        current.expired_at = timezone.now()
        current.save(update_fields=["expired_at", "updated_at"])
        procedure = procedure_of(case)
        definition = procedure.deadlines.get(current.name)
        data: dict[str, Any] = {"deadline": current.name, "due_on": current.due_on}
        step = definition.on_expiry.take if definition else ""
        if definition is not None:
            for name in definition.on_expiry.start:
                _start_deadline(case, procedure, name, current.due_on + dt.timedelta(days=1))
            data["started"] = list(definition.on_expiry.start)
        if step and case.state not in procedure.transition(step).sources:
            data["step not taken"] = f"{step}: the case is {case.state}"
            step = ""
        _record(case, "case.deadline_passed", data, user=None, label="")
        if not step:
            return 0
        try:
            case_step(case=case, step=step, roles={SYSTEM_ROLE})
        except CaseRefused as exc:
            _record(
                case,
                "case.deadline_step_refused",
                {"deadline": current.name, "step": step, "reason": str(exc)},
                user=None,
                label="",
            )
            return 0
        return 1


def _send_deadline_reminders(today: dt.date) -> int:
    """Remind the chair of deadlines coming due, once per reminder the procedure sets."""
    from ombuds.cases.models import DeadlineReminder

    sent = 0
    furthest = max(
        (r for p in _procedures().values() for d in p.deadlines.values() for r in d.reminders),
        default=0,
    )
    running = CaseDeadline.objects.filter(
        met_at__isnull=True,
        expired_at__isnull=True,
        due_on__gte=today,
        due_on__lte=today + dt.timedelta(days=furthest),  # only those a reminder can be due for
    ).select_related("case")
    for deadline in running:
        try:
            definition = procedure_of(deadline.case).deadlines.get(deadline.name)
        except CaseRefused:
            logger.exception("no procedure for case %s", deadline.case_id)
            continue
        if definition is None:
            continue
        left = (deadline.due_on - today).days
        due_now = [d for d in definition.reminders if left <= d]
        if not due_now:
            continue
        threshold = min(due_now)
        if deadline.reminders.filter(days_before__lte=threshold).exists():
            continue
        try:
            with transaction.atomic():
                DeadlineReminder.objects.create(deadline=deadline, days_before=threshold)
                _notice(deadline.case, "deadline_reminder", "chair")
        except IntegrityError:
            continue
        sent += 1
    return sent


# --- recusal --------------------------------------------------------------------------------------


def recusal_record(*, case: Case, user: Any, reason: str, acting_user: Any = None) -> Recusal:
    """Recuse someone from a case (a declared conflict of interest, or a party): the case is hidden
    from them and they cannot act on it."""
    if not reason.strip():
        raise CaseRefused("say why they are recused")
    with transaction.atomic():
        case = _lock(case, None)
        if acting_user is not None:
            _staff_roles(acting_user, case, {"ethics_chair", "administrator", "staff"})
        recusal, created = Recusal.objects.get_or_create(
            case=case,
            user=user,
            defaults={
                "reason": reason.strip(),
                "recorded_by": acting_user if getattr(acting_user, "pk", None) else None,
            },
        )
        if created:
            _bump(case)
            _record(
                case,
                "case.recusal",
                {"user": user.get_username(), "reason": recusal.reason},
                user=acting_user,
                label="",
            )
    return recusal


# --- handling ---------------------------------------------------------------------------------------


def case_handler_set(*, case: Case, handler: Any, acting_user: Any = None) -> Case:
    """Who handles the case (the complainant sees it, so they can raise a conflict of interest).
    Set by someone with a role on the case, to someone with one (not recused)."""
    with transaction.atomic():
        case = _lock(case, None)
        _staff_roles(acting_user, case, HANDLERS | DECIDERS)
        if not roles_on_case(handler, case) & (HANDLERS | DECIDERS):
            raise CaseRefused(f"{handler.get_username()} has no role on this case")
        case.handler = handler
        _bump(case, "handler")
        _record(
            case, "case.handler", {"handler": handler.get_username()}, user=acting_user, label=""
        )
    return case


def respondent_notice_resend(*, case: Case, acting_user: Any = None) -> list[Notice]:
    """Send the respondent their latest notice with a link again, with a new personal link (the
    old links keep working until they expire). Refused before the procedure has notified them: a
    resend must not tell a member of a complaint before the Chair does (CSEC Article 5)."""
    with transaction.atomic():
        case = _lock(case, None)
        _staff_roles(acting_user, case, HANDLERS)
        if not _respondent_address(case):
            raise CaseRefused("the respondent has no email address")
        last = (
            case.notices.filter(recipient_role="respondent", template__in=PROCEDURE_LINK_TEMPLATES)
            .order_by("-created_at", "-pk")
            .first()
        )
        if last is None:
            raise CaseRefused("the respondent has not been notified of the complaint yet")
        notices = _notice(case, last.template, "respondent")
        _bump(case)
        _record(
            case,
            "case.respondent_link_sent",
            {"template": last.template},
            user=acting_user,
            label="",
        )
    return notices


def _respondent_notified(case: Case) -> bool:
    """Whether the procedure has told the respondent of the complaint (a notice with their link)."""
    return case.notices.filter(
        recipient_role="respondent", template__in=PROCEDURE_LINK_TEMPLATES
    ).exists()


def respondent_lookup(
    organization: Organization, data: Mapping[str, Any]
) -> tuple[Person | None, Agency | None, str]:
    """The register entry a complaint names, by credential or membership number, or by an
    agency's exact name (legal or trade): (person, agency, the problem in words, if any). The
    public form, staff intake and the API all read the respondent through this."""
    from ombuds.register.names import normalise_name
    from ombuds.register.public import number_variants

    number = (data.get("respondent_number") or "").strip()
    if number:
        variants = number_variants(number)
        credential = (
            Credential.objects.filter(program__organization=organization, number__in=variants)
            .select_related("holder")
            .first()
        )
        if credential:
            return credential.holder, None, ""
        membership = (
            Membership.objects.filter(organization=organization, number__in=variants)
            .select_related("person", "agency")
            .first()
        )
        if membership:
            return membership.person, membership.agency, ""
        return (
            None,
            None,
            (
                f"No credential or membership numbered {number} is on {organization.short_name}'s "
                "register. Check it, or leave it empty."
            ),
        )
    if data.get("respondent_kind") == "agency":
        wanted = normalise_name(data.get("respondent_name", ""))
        if wanted:
            found = [
                a
                for a in Agency.objects.filter(organization=organization)
                if wanted in {normalise_name(n) for n in [a.legal_name, *a.trade_names]}
            ]
            if len(found) == 1:
                return None, found[0], ""
    return None, None, ""
