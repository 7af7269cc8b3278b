"""Filing a complaint: a case with its reference, a first allegation drafted from the complainant's
words (marked verbatim until staff edit it), the evidence, the deadlines the procedure starts, the
recusals from the start, and the receipt; and the anonymous complainant's way back to it (receipt
code and passphrase).

What an anonymous complaint keeps of its complainant is decided here only (`_as_filed`): the pages
and the API pass what they were sent."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher, check_password
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ombuds.bodies.models import Organization
from ombuds.cases import documents as uploads
from ombuds.cases import hooks
from ombuds.cases.complaint import Complaint
from ombuds.cases.models import Allegation, Case, CaseCounter, CaseDeadline, Document
from ombuds.cases.notices import Read
from ombuds.cases.rules import CaseRefused
from ombuds.cases.selectors import procedure_of
from ombuds.cases.services import counts
from ombuds.cases.services.access import recuse_new_case
from ombuds.cases.services.base import account, label_for, record_event
from ombuds.cases.services.documents import document_store, files_removed_on_failure
from ombuds.cases.services.notifications import notices_make
from ombuds.cases.services.parties import suggestions_store
from ombuds.cases.services.procedures import procedure_version_keep
from ombuds.codes.selectors import current_version_chosen
from ombuds.core import crypto

RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
# A case reference's code: 5 of 30 signs (no 0/O, 1/I/L, nor U), 24 million codes per body and year.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_CODE_LENGTH = 5
REFERENCE_DRAWS = 50
PASSPHRASE_MIN = 10
# The idempotency scope of the public form and the public API; a staff token's calls use
# "token:<id>", the command line "cli" or "cli:<user id>" (`submission_key_hash`).
PUBLIC_SCOPE = "public"


@dataclass(frozen=True)
class Filed:
    case: Case
    receipt_code: str = ""  # shown once to an anonymous complainant
    duplicate: bool = False  # the same form sent twice: the case it already made


@dataclass(frozen=True)
class InForce:
    """What a complaint at a body is filed under, as read once in a request (`in_force`): the body's
    procedure (for the public door or not) and the version of its code in force."""

    procedure: Any
    version: Any  # CodeVersion, or None
    public: bool


def in_force(organization: Organization, *, public: bool = True) -> InForce:
    """The body's procedure (`procedure_of`: CaseRefused when there is none, or when ``public`` and
    its form is closed) and the version of its code in force today (which one it is only: its
    other fields are read if asked for, `current_version_chosen`)."""
    return InForce(
        procedure_of(organization, public=public), current_version_chosen(organization), public
    )


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


def _as_filed(c: Complaint) -> Complaint:
    """The complaint as the case keeps it: an anonymous complaint keeps nothing that names its
    complainant (whatever a form sent along with the choice), a named one no passphrase; text
    trimmed."""
    named = not c.anonymous
    return replace(
        c,
        complainant_name=c.complainant_name.strip() if named else "",
        complainant_email=c.complainant_email.strip() if named else "",
        complainant_phone=c.complainant_phone.strip() if named else "",
        consent_to_share=c.consent_to_share and named,
        passphrase="" if named else c.passphrase,
        what_happened=c.what_happened.strip(),
        outcome_sought=c.outcome_sought.strip(),
    )


def _next_reference(organization: Organization, year: int) -> str:
    """A new case's reference: the body's prefix, the year and a random code (CSEC-2026-K7Q3M).

    The code says nothing of the cases filed before or after: with consecutive numbers a recused
    person's inbox showed which numbers were hidden from them. Filings under one prefix and year
    wait for each other while the code is drawn (the body's counter row is locked; two bodies may
    share an acronym, so the prefix is locked too), and a code any case already has is drawn
    again."""
    _counter_bump(organization.pk, year)
    room = Case._meta.get_field("reference").max_length - len(f"-{year}-") - REFERENCE_CODE_LENGTH
    prefix = (organization.acronym or organization.slug).upper()[:room]
    _prefix_lock(prefix, year)
    for _ in range(REFERENCE_DRAWS):
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_CODE_LENGTH))
        reference = f"{prefix}-{year}-{code}"
        if not Case.objects.filter(reference=reference).exists():
            return reference
    raise CaseRefused(f"no free case reference for {prefix} in {year}; try again")


def _counter_bump(organization_id: int, year: int) -> None:
    """Count one more reference for the body and year, its counter row made when it has none, in
    one `INSERT … ON CONFLICT DO UPDATE` (PostgreSQL and SQLite): the row stays locked until the
    transaction ends."""
    table = connection.ops.quote_name(CaseCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, year, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (organization_id, year) DO UPDATE SET last = {table}.last + 1",
            [organization_id, year],
        )


def _prefix_lock(prefix: str, year: int) -> None:
    """Until the transaction ends, no other filing draws a code under this prefix and year: a
    PostgreSQL transaction-level advisory lock (SQLite lets one writer in at a time anyway)."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"ombuds.case-reference:{prefix}:{year}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )


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


def _proof_of_efforts(
    organization: Organization, complaint: Complaint
) -> tuple[Any | None, Complaint, list[str]]:
    """The first-tier record the complaint carries, checked by its source (`hooks`): (the record,
    the complaint with the agency as its respondent, every problem)."""
    if not complaint.first_tier_link.strip():
        return None, complaint, []
    source = hooks.proof_of_efforts()
    if source is None:
        return None, complaint, ["A complaint made to an agency first cannot be attached here."]
    return source.prepare(organization=organization, complaint=complaint)


def case_file(
    *,
    organization: Organization,
    complaint: Complaint,
    acting_user: Any = None,
    actor_label: str = "",
    key_scope: str = PUBLIC_SCOPE,
    read: InForce | None = None,
) -> Filed:
    """File a complaint: a case with its reference, the allegation as the complainant put it (citing
    provisions of the code in force today), the evidence, and the deadlines the procedure starts.

    An anonymous complainant gets a receipt code (returned once) and keeps the passphrase they chose
    (stored hashed). The same form sent twice (same ``submission_key``, through the same door:
    ``key_scope``) gives back the first case; the same key at another body, or from another token,
    files another.
    A complaint made to a member agency first (``first_tier_link``) settles the proof of efforts,
    and its agency is the respondent when the complaint named none in the register.
    ``read``: the body's `in_force` as the caller read it in this request (the public form, for its
    page), else read here. Raises CaseRefused listing every problem, writing nothing.
    """
    key = submission_key_hash(organization, key_scope, complaint.submission_key)
    if key and (repeated := _repeated(organization, key_scope, key, complaint)) is not None:
        return repeated
    public = complaint.channel == Case.Channel.WEB
    if read is None or read.public != public:
        read = in_force(organization, public=public)
    procedure, version = read.procedure, read.version
    attached, complaint, problems = _proof_of_efforts(organization, complaint)
    problems += _problems(organization, complaint)
    for provision in complaint.provisions:
        if version is None or provision.version_id != version.pk:
            problems.append(f"{provision.citation} is not in the code in force.")
    if problems:
        raise CaseRefused(problems)
    complaint = _as_filed(complaint)
    receipt = _receipt_code() if complaint.anonymous else ""
    # Argon2 takes a fifth of a second of CPU: hashed before the transaction, not while the body's
    # case counter is locked (`_next_reference`), where every other filing at the body waited.
    passphrase_hash = _passphrase_hash(complaint.passphrase) if complaint.anonymous else ""
    try:
        # The body's current data key read once for the eight values the filing seals.
        with files_removed_on_failure(), transaction.atomic(), crypto.current_keys_held():
            case = _case_create(
                organization,
                complaint,
                procedure=procedure,
                deadlines=(deadlines := _filing_deadlines(procedure)),
                version=version,
                key=key,
                key_scope=key_scope if key else "",
                receipt=receipt,
                passphrase_hash=passphrase_hash,
                created_by=account(acting_user),
                efforts_proven=attached is not None,
            )
            procedure_version_keep(case.organization_id, procedure)
            # Named without a number: who in the register it may be, for staff to link or not.
            # Looked for before the filing's event: the audit chain's head stays locked from the
            # event to the commit, and every other append waits for it.
            suggestions_store(case, place=complaint.respondent_details)
            label = _filer_label(case, acting_user, actor_label)
            read = _case_contents(case, complaint, deadlines, acting_user=acting_user, label=label)
            if attached is not None:
                hooks.proof_of_efforts().attach(record=attached, case=case, actor_label=label)
                read = None  # what the attachment changed is read again
            if case.complainant_email:
                notices_make(case, "receipt", "complainant", read=read)
    except IntegrityError:
        # The same form, sent twice at once: the other request made the case.
        if key and (repeated := _repeated(organization, key_scope, key, complaint)) is not None:
            return repeated
        raise
    return Filed(case, receipt_code=receipt)


def _case_create(
    organization: Organization,
    c: Complaint,
    *,
    procedure: Any,
    deadlines: list[CaseDeadline],
    version: Any,
    key: str | None,
    key_scope: str,
    receipt: str,
    passphrase_hash: str,
    created_by: Any,
    efforts_proven: bool,
) -> Case:
    """The case row for a complaint as filed (`_as_filed`), an anonymous one with its passphrase
    already hashed, with the version of its procedure and the next due date of ``deadlines``."""
    now = timezone.now()
    respondent_email, respondent_details = _respondent_contact(c)
    respondent = c.respondent_person or c.respondent_agency
    case = Case.objects.create(
        organization=organization,
        reference=_next_reference(organization, timezone.localdate().year),
        procedure_key=procedure.key,
        procedure_sha256=procedure.sha256,
        state=procedure.initial,
        channel=c.channel,
        filed_at=now,
        code_version=version,
        anonymous=c.anonymous,
        complainant_name=c.complainant_name,
        complainant_email=c.complainant_email,
        complainant_phone=c.complainant_phone,
        complainant_relation=c.complainant_relation,
        consent_to_share=c.consent_to_share,
        receipt_code=receipt or None,
        passphrase_hash=passphrase_hash,
        respondent_person=c.respondent_person,
        respondent_agency=c.respondent_agency,
        respondent_name=(c.respondent_name.strip() or str(respondent))[:300],
        respondent_email=respondent_email,
        respondent_details=respondent_details,
        what_happened=c.what_happened,
        happened_on=c.happened_on,
        happened_until=c.happened_until,
        outcome_sought=c.outcome_sought,
        submission_key=key,
        submission_scope=key_scope,
        created_by=created_by,
        efforts_proven_at=now if efforts_proven else None,
        next_due=min(
            (d.due_on for d in deadlines if not d.waits_for_delivery),
            default=None,
        ),
    )
    counts.case_filed(organization.pk, procedure.initial)
    return case


def _filing_deadlines(procedure: Any) -> list[CaseDeadline]:
    """The deadlines the procedure starts on filing, as `deadline_start` starts them on a new case
    (none running, the respondent not notified: those counting from that delivery wait for it);
    unsaved, without their case yet."""
    today, started = timezone.localdate(), {}
    for name in procedure.starts_on_filing:
        definition = procedure.deadlines[name]
        started.setdefault(
            name,
            CaseDeadline(
                name=name,
                label=definition.label,
                starts_on=today,
                due_on=definition.due(today, procedure.holidays),
                waits_for_delivery=definition.after_delivery,
            ),
        )
    return list(started.values())


def _filer_label(case: Case, acting_user: Any, actor_label: str) -> str:
    """Who filed, for the record: the signed-in user, the named complainant, or "anonymous
    complainant"."""
    if not getattr(acting_user, "pk", None) and not case.anonymous:
        return actor_label or f"{case.complainant_name} (complainant)"
    return label_for(
        acting_user, actor_label or ("anonymous complainant" if case.anonymous else "")
    )


def _case_contents(
    case: Case,
    complaint: Complaint,
    deadlines: list[CaseDeadline],
    *,
    acting_user: Any,
    label: str,
) -> Read:
    """What a case is filed with: the complainant's allegation, the evidence, the deadlines the
    procedure starts (its next due date is stored with it already), the recusals from the start,
    and the filing's event. Returns what the case now holds, for its receipt notice (`Read`)."""
    # A draft for the body's convenience: the narrative word for word, marked as such, which staff
    # edit before the respondent reads it (`allegation_edit`); the narrative itself stays the body's.
    allegation = Allegation.objects.create(
        case=case, position=1, summary=case.what_happened, source="complainant", verbatim=True
    )
    # All of the version in force (`case_file`), each once.
    provisions = sorted({p.pk: p for p in complaint.provisions}.values(), key=lambda p: p.position)
    if provisions:
        allegation.provisions.add(*provisions)
    # As `allegation.provisions.all()` would read them back (`Provision.Meta.ordering`).
    cached = allegation.provisions.all()
    cached._result_cache, cached._prefetch_done = provisions, True
    allegation._prefetched_objects_cache = {"provisions": cached}
    documents = [
        document_store(
            case,
            name,
            data,
            kind="evidence",
            visibility=Document.Visibility.INTERNAL,
            user=acting_user,
            label=label,
            audit_it=False,
        ).token
        for name, data in complaint.files
    ]
    for deadline in deadlines:
        deadline.case = case
        deadline.save(force_insert=True)
    # People of the body who are the respondent never see the case, from the start.
    recused = recuse_new_case(case, acting_user=acting_user)
    record_event(
        case,
        "case.filed",
        {
            "channel": case.channel,
            "anonymous": case.anonymous,
            "respondent": case.respondent_name,
            "provisions": [p.citation for p in complaint.provisions],
            "documents": documents,  # their tokens: a file's name is personal
            "procedure": case.procedure_key,
            "recused": recused,
        },
        user=acting_user,
        label=label,
    )
    # A new case: these are all its deadlines and allegations (in their order), and no sanction.
    deadlines = sorted(deadlines, key=lambda d: (d.due_on, d.pk))
    return Read(deadlines=deadlines, allegations=[allegation], sanction_choice=None)


def submission_key_hash(organization: Organization, scope: str, raw: str) -> str | None:
    """What a case keeps of a client's idempotency key: a keyed hash (never the client's value) of
    the key within its body and scope, so that nobody can claim the keys another caller will use,
    nor learn them from the database. None for no key."""
    raw = raw.strip()
    if not raw:
        return None
    message = f"{organization.pk}\x00{scope}\x00{raw}"
    return salted_hmac("ombuds.cases.submission-key", message, algorithm="sha256").hexdigest()


def _repeated(
    organization: Organization, scope: str, key: str, complaint: Complaint
) -> Filed | None:
    """The case this same form already made (a double tap, a retry after a lost answer), or None.
    It is the same form only when it says the same thing, and, when anonymous, with the same
    passphrase: a submission key alone never shows anyone else's case or receipt code."""
    made = Case.objects.filter(
        organization=organization, submission_scope=scope, submission_key=key
    )
    # Most forms are sent once: whether the key made a case is asked first, a narrow query where
    # reading a case whole costs twice as much to build; only a form sent again reads it.
    if not made.exists():
        return None
    existing = made.first()
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
