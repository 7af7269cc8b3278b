"""Erasure that erases: what a closed case says of people removed for good, by the retention purge
(`clock.case_purge`) and on request (`case_erase`, the Chair's button and `ombuds cases erase`).

Removed: the complainant's name, email, phone and relation, their receipt code and passphrase, the
narrative, the outcome sought and the respondent's details; the complainant's words copied into
allegations; messages (and the labels of the parties who wrote them); notices' texts, recipients and
delivery errors; documents' files, original names, uploaders' labels and checksums; the respondent's
links; the details and the human-readable actor labels of the case's audit events. Files'
data keys are destroyed in the change's transaction where the storage encrypts (crypto-shredding:
no backup can bring them back); once it commits, their bytes are overwritten with zeros where they
are on the local file system, then deleted.

Kept: the case (reference, state, dates, procedure), its allegations' citations and determinations,
the sanction, and the audit chain, which still verifies (only purgeable parts are emptied).

What the apps above hold of the case's people goes in the same transaction (`hooks.case_forget`:
the client's complaint to a member agency that travelled with the case). Every erasure and purge
writes its entry in the erasure journal (`ombuds.core.erasure_journal`, outside the database)
before it commits; `erasure_reapply` erases again what a restored backup still holds of a case the
journal names.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.audit.models import Event
from ombuds.cases import hooks
from ombuds.cases.models import AllegationRevision, Case, Document, Message
from ombuds.cases.rules import CaseRefused
from ombuds.cases.services.base import bump, lock_case, record_event, staff_roles
from ombuds.core import crypto, erasure_journal

logger = logging.getLogger(__name__)

# Who erases a case on request: the Chair (not when recused).
ERASERS = frozenset({"ethics_chair"})
ERASED = "(erased on request)"
PURGED = "(purged at the end of the retention period)"
NAME_REMOVED = "(file name removed)"
REASON_MAX = 1000
# How the command line is named on the record when no account acts.
OPERATOR = "operator (command line)"
# Labels of who acted without an account that name nobody: kept (forgetting one would forget it on
# every case of the chain). Any other label on a case's events names someone, and is forgotten.
GENERIC_LABELS = frozenset(
    {
        audit.SYSTEM,
        audit.ERASED,
        OPERATOR,
        "anonymous complainant",
        "complainant",
        "respondent (link)",
        "respondent",
    }
)


@dataclass(frozen=True)
class Erasure:
    """When a case was erased on request, and why (what its page says)."""

    on: dt.datetime
    reason: str


def case_erasure(case: Case) -> Erasure | None:
    """The case's erasure on request, or None when it was not erased (an erased case is purged, so
    a case that is not asks nothing of the audit log)."""
    if case.purged_at is None:
        return None
    event = (
        Event.objects.filter(subject_type="case", subject_id=str(case.pk), action="case.erased")
        .order_by("-seq")
        .first()
    )
    if event is None:
        return None
    return Erasure(on=event.occurred_at, reason=str(event.data.get("reason", "")))


def case_erase(
    *,
    case: Case,
    reason: str,
    acting_user: Any,
    expected_version: int | None,
    actor_label: str = "",
) -> Case:
    """Erase a closed case's personal data on request (see the module). The Chair erases (their
    roles on the case are checked; a recused Chair has none); with no account, an operator at the
    command line does (``actor_label`` names them). Refused when the case is open, already erased,
    or changed since ``expected_version``. One event, "case.erased", holds the reason and the
    counts, nothing personal."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise CaseRefused("say why the case is erased (the request, its date and who decided)")
    if len(reason) > REASON_MAX:
        raise CaseRefused(f"the reason is too long: at most {REASON_MAX} characters")
    with transaction.atomic():
        case = lock_case(case, expected_version)
        if acting_user is not None:  # an account: its roles on the case decide (none if recused)
            staff_roles(acting_user, case, ERASERS)
            label = ""
        else:
            label = actor_label or OPERATOR
        if case.closed_at is None:
            raise CaseRefused(
                "only a closed case is erased: close it first (a withdrawn complaint is dismissed)"
            )
        if case_erasure(case) is not None:
            raise CaseRefused(f"{case.reference} was already erased")
        removed = personal_data_remove(case, placeholder=ERASED)
        events = audit_purge(
            case, reason=f"erased on request: {reason}", user=acting_user, label=label
        )
        record_event(
            case,
            "case.erased",
            {"reason": reason, "documents": len(removed.files), "events": events},
            user=acting_user,
            label=label,
        )
        journal_append(case, removed, reason="erasure_on_request")
        transaction.on_commit(lambda: files_destroy(removed.files))
    return case


def journal_append(case: Case, removed: Removed, *, reason: str) -> None:
    """The erasure's entry in the journal, last in its transaction (CaseRefused, and nothing
    erased, when the journal cannot be written). A commit failing after it leaves an entry that
    re-applying erases then, as was asked."""
    try:
        erasure_journal.append(
            kind="case",
            body=case.organization.slug,
            record=case.pk,
            reference=case.reference,
            files=[name for _, name in removed.files],
            reason=reason,
        )
    except erasure_journal.JournalError as exc:
        raise CaseRefused(str(exc)) from exc


def holding_personal_data() -> models.Q:
    """Cases (purged or not) that still hold something a purge removes and that can be found
    without reading an encrypted value: a notice's recipient, an uploader's label, a document
    not yet emptied."""
    return (
        models.Q(notices__recipient_email__gt="")
        | models.Q(documents__uploaded_by_label__gt="")
        | models.Exists(Document.objects.filter(case=models.OuterRef("pk"), purged_at__isnull=True))
    )


def erasure_reapply(entry: erasure_journal.Entry) -> bool | None:
    """Erase again a case the journal names, when a restored backup brought back what was erased
    (the case not purged, or still holding something, or a named file's key still there). None
    when there is no such case here (same body, id and reference); False when nothing was left;
    True when erased again, with its events (the original's action, "case.erased" or
    "case.purged", saying it was re-applied)."""
    found = Case.objects.filter(
        pk=entry.record, reference=entry.reference, organization__slug=entry.body
    ).first()
    if found is None:
        return None
    storage = Document._meta.get_field("file").storage
    with transaction.atomic():
        case = lock_case(found, None)
        # Files the entry names whose keys a restore brought back: shredded again.
        named = [(storage, name) for name in entry.files if crypto.destroy_file_key(name)]
        holding = Case.objects.filter(pk=case.pk).filter(holding_personal_data()).exists()
        if case.purged_at is not None and not holding and not named:
            return False
        on_request = entry.reason == "erasure_on_request"
        removed = personal_data_remove(case, placeholder=ERASED if on_request else PURGED)
        why = f"re-applied from the erasure journal after a restore ({entry.reason})"
        events = audit_purge(case, reason=why, user=None)
        record_event(
            case,
            "case.erased" if on_request else "case.purged",
            {
                "reason": why,
                "journal": entry.id,
                "documents": len(removed.files),
                "events": events,
            },
            user=None,
            label="",
        )
        files = list(dict.fromkeys(removed.files + named))
        transaction.on_commit(lambda: files_destroy(files))
    return True


@dataclass
class Removed:
    files: list[tuple[Any, str]]  # (storage, name): destroyed once the change commits


def personal_data_remove(case: Case, *, placeholder: str) -> Removed:
    """Empty what a locked case says of people, inside the caller's transaction (its version
    bumped); the files to destroy once that commits. Idempotent: an already purged case is swept
    again (what an earlier purge left, such as notice recipients, goes too)."""
    now = timezone.now()
    files = _documents_remove(case, now)
    for audience in (Message.Audience.COMPLAINANT, Message.Audience.RESPONDENT):
        case.messages.filter(from_party=True, audience=audience).update(author_label=audience)
    case.messages.filter(purged_at__isnull=True).update(purged_at=now)
    case.messages.update(body="")
    for notice in case.notices.all():  # saved one by one: their texts are encrypted
        notice.link_token = notice.recipient_email = notice.last_error = notice.body = ""
        notice.subject = "(purged)"
        notice.save(
            update_fields=["link_token", "recipient_email", "last_error", "body", "subject"]
        )
    _allegations_remove(case, placeholder, now)
    # The parties' links: the respondent's, and the complainant's with its address's hash.
    case.party_links.all().delete()
    # The register entries the respondent's name suggested at filing.
    case.respondent_suggestions.all().delete()
    hooks.case_forget(case)
    case.complainant_name = case.complainant_email = case.complainant_phone = ""
    case.complainant_relation = Case.Relation.OTHER
    case.what_happened = placeholder
    case.outcome_sought = case.respondent_details = case.respondent_email = ""
    case.passphrase_hash, case.receipt_code = "", None
    case.purged_at = case.purged_at or now
    bump(
        case,
        "complainant_name",
        "complainant_email",
        "complainant_phone",
        "complainant_relation",
        "what_happened",
        "outcome_sought",
        "respondent_details",
        "respondent_email",
        "passphrase_hash",
        "receipt_code",
        "purged_at",
    )
    return Removed(files=files)


def _file_fields() -> list[str]:
    """Every file a document keeps (the original, and any copy made of it)."""
    return [f.name for f in Document._meta.get_fields() if isinstance(f, models.FileField)]


def _documents_remove(case: Case, now: dt.datetime) -> list[tuple[Any, str]]:
    files: list[tuple[Any, str]] = []
    names = _file_fields()
    for document in case.documents.all():
        for name in names:
            stored = getattr(document, name)
            if stored:
                # Crypto-shredding, in the erasure's own transaction: once it commits, neither the
                # file nor any copy of it (a backup of the storage, a disk image) can be read.
                crypto.destroy_file_key(stored.name)
                files.append((stored.storage, stored.name))
    case.documents.update(
        **dict.fromkeys(names, ""),
        original_name=NAME_REMOVED,
        uploaded_by_label="",
        sha256="",
        shared_name="",
        shared_sha256="",
    )
    case.documents.filter(purged_at__isnull=True).update(purged_at=now)
    return files


def _allegations_remove(case: Case, placeholder: str, now: dt.datetime) -> None:
    """The complainant's words in allegations (filed from the narrative, or still a verbatim copy
    of it) and every earlier text of an allegation; the citations and determinations stay."""
    case.allegations.filter(models.Q(source="complainant") | models.Q(verbatim=True)).update(
        summary=placeholder
    )
    revisions = AllegationRevision.objects.filter(allegation__case=case)
    revisions.update(old_summary="", new_summary="")
    revisions.filter(purged_at__isnull=True).update(purged_at=now)


def audit_purge(case: Case, *, reason: str, user: Any, label: str = "") -> int:
    """Empty the details of the case's audit events and forget who acted in them without an
    account (the complainant by name: their label, on every event of the chain that carries it);
    the pseudonymous ids stay and the chain still verifies. How many events were purged."""
    label = "" if user else (label or audit.SYSTEM)
    purged = audit.purge_subject(
        subject_type="case",
        subject_id=case.pk,
        reason=reason,
        actor=user,
        actor_label=label,
        organization=case.organization,
    )
    named = (
        Event.objects.filter(subject_type="case", subject_id=str(case.pk), actor__isnull=True)
        .exclude(actor_label__in=GENERIC_LABELS)
        .values_list("actor_label", flat=True)
        .distinct()
    )
    audit.labels_purge(
        audit.refs_of(labels=set(named)), reason=reason, actor=user, actor_label=label
    )
    return purged


# --- the files ------------------------------------------------------------------------------------


def files_destroy(files: Iterable[tuple[Any, str]]) -> int:
    """Destroy stored files for good once the erasure committed (their keys are already destroyed,
    where the storage encrypts): the bytes overwritten with zeros where they are on the local file
    system, then deleted. One file that fails is logged (by its stored
    name, which names nobody) and the others still go; how many were destroyed."""
    destroyed = 0
    for storage, name in files:
        try:
            file_destroy(storage, name)
        except Exception:  # one file the storage cannot remove must not keep the others
            logger.exception("stored file %s could not be destroyed", name)
            continue
        destroyed += 1
    return destroyed


def file_destroy(storage: Any, name: str) -> None:
    try:
        path = storage.path(name)
    except NotImplementedError:  # object storage: no local bytes to overwrite
        path = None
    if path and os.path.exists(path):
        _overwrite(path)
    storage.delete(name)


def _overwrite(path: str, chunk: int = 1 << 20) -> None:
    """Overwrite a file's bytes with zeros, on disk, before it is unlinked."""
    with open(path, "r+b") as handle:
        left = os.fstat(handle.fileno()).st_size
        zeros = bytes(min(chunk, left))
        while left > 0:
            left -= handle.write(zeros[: min(chunk, left)])
        handle.flush()
        os.fsync(handle.fileno())
