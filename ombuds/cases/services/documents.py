"""Documents and messages on a case: the body's people add documents and write notes or messages to
a party; a party writes back; the respondent answers. Files stored inside a change are deleted again
when it fails, so no evidence stays on disk without its record."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ombuds.cases import cleaning
from ombuds.cases import documents as uploads
from ombuds.cases.facts import respondent_notice_made
from ombuds.cases.models import Case, Document, Message
from ombuds.cases.rules import DECIDERS, HANDLERS, CaseRefused
from ombuds.cases.selectors import procedure_of
from ombuds.cases.services.base import (
    account,
    bump,
    label_for,
    lock_case,
    record_event,
    refuse_when_closed,
    staff_roles,
)
from ombuds.cases.services.deadlines import answer_deadlines_meet
from ombuds.cases.services.notifications import notices_make, respondent_address

_written_files: ContextVar[list | None] = ContextVar("case_written_files", default=None)

SHARED_WITH_RESPONDENT = (Document.Visibility.RESPONDENT, Document.Visibility.PARTIES)


@contextmanager
def files_removed_on_failure() -> Iterator[None]:
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


def uploads_check(files: list[tuple[str, bytes]]) -> None:
    """CaseRefused for the first file that is not one a case takes."""
    for name, data in files:
        try:
            uploads.check_upload(name, data)
        except uploads.UploadRefused as exc:
            raise CaseRefused(str(exc)) from exc


def document_store(
    case: Case,
    name: str,
    data: bytes,
    *,
    kind: str,
    visibility: str,
    user: Any,
    label: str,
    audit_it: bool = True,
    respondents_own: bool = False,
) -> Document:
    """Keep a file on the case (checked by its content), inside the caller's transaction; its
    event too unless the caller's own event lists it (``audit_it=False``). A file shared with the
    respondent gets its copy for them, cleaned of metadata and under a neutral name (CaseRefused
    when it cannot be cleaned), unless it is the respondent's own (``respondents_own``)."""
    found = uploads.check_upload(name, data)
    shared = None
    if visibility in SHARED_WITH_RESPONDENT and not respondents_own:
        try:
            shared = cleaning.clean(data)
        except cleaning.CleaningRefused as exc:
            raise CaseRefused(f"{name[:255]} is not shared with the respondent: {exc}") from exc
    document = Document(
        case=case,
        token=secrets.token_hex(16),
        kind=kind,
        original_name=name[:255],
        content_type=found.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        visibility=visibility,
        uploaded_by=account(user),
        uploaded_by_label=label_for(user, label),
    )
    document.file.save(document.token, ContentFile(data), save=False)
    written = _written_files.get()
    if written is not None:
        written.append((document.file.storage, document.file.name))
    if shared is not None:
        number = case.documents.exclude(shared_file="").count() + 1
        document.shared_name = f"document-{number}{shared.extension}"
        document.shared_sha256 = hashlib.sha256(shared.data).hexdigest()
        document.shared_file.save(document.token, ContentFile(shared.data), save=False)
        if written is not None:
            written.append((document.shared_file.storage, document.shared_file.name))
    elif respondents_own:
        document.shared_name = PurePath(name).name[:100]
    document.save()
    if audit_it:
        record_event(
            case,
            "case.document_added",
            {
                "document": document.token,
                "kind": kind,
                "sha256": document.sha256,
                **(
                    {"shared as": document.shared_name, "shared sha256": document.shared_sha256}
                    if shared is not None
                    else {}
                ),
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
    with files_removed_on_failure(), transaction.atomic():
        case = lock_case(case, None)
        staff_roles(acting_user, case, HANDLERS | DECIDERS)
        refuse_when_closed(case)
        try:
            document = document_store(
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
        bump(case)
    return document


def document_viewed(*, document: Document, viewer: Any = None, viewer_label: str = "") -> None:
    """Record that someone opened a confidential document (the view is itself on the record)."""
    with transaction.atomic():
        record_event(
            document.case,
            "case.document_viewed",
            {"document": document.token},
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
        case = lock_case(case, None)
        if not from_party:
            staff_roles(acting_user, case, HANDLERS | DECIDERS)
            if audience == Message.Audience.RESPONDENT and not respondent_notice_made(case):
                raise CaseRefused(
                    "the respondent has not been notified of the complaint yet: a message would "
                    "tell them of it before the procedure does"
                )
        message = Message.objects.create(
            case=case,
            audience=audience,
            body=body.strip(),
            author=account(acting_user),
            author_label=label_for(acting_user, actor_label),
            from_party=from_party,
        )
        bump(case)
        record_event(
            case,
            "case.message",
            {"audience": audience, "from_party": from_party, "message": message.pk},
            user=acting_user,
            label=actor_label,
        )
        if not from_party and audience == Message.Audience.COMPLAINANT and case.complainant_email:
            notices_make(case, "message", "complainant")
        if not from_party and audience == Message.Audience.RESPONDENT and respondent_address(case):
            notices_make(case, "message", "respondent")
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
    ``actor_label`` names them; from their account, ``acting_user`` is who answered. The answer
    meets their running answer deadlines; sent when none was running after they had answered, it
    is kept as a supplement to their answer."""
    if not body.strip() and not files:
        raise CaseRefused("write your answer or attach a document")
    with files_removed_on_failure(), transaction.atomic():
        case = lock_case(case, None)
        refuse_when_closed(case)
        uploads_check(files)
        met = answer_deadlines_meet(case, procedure_of(case))
        supplement = case.respondent_answered_at is not None and not met
        label = label_for(acting_user, actor_label)
        if supplement:
            label = f"{label} (supplement to the answer)"
        if body.strip():
            Message.objects.create(
                case=case,
                audience=Message.Audience.RESPONDENT,
                body=body.strip(),
                author=account(acting_user),
                author_label=label,
                from_party=True,
            )
        documents = [
            document_store(
                case,
                name,
                data,
                kind="answer",
                visibility=Document.Visibility.RESPONDENT,
                user=acting_user,
                label=label,
                audit_it=False,
                respondents_own=True,
            ).token
            for name, data in files
        ]
        case.respondent_answered_at = case.respondent_answered_at or timezone.now()
        bump(case, "respondent_answered_at")
        record_event(
            case,
            "case.respondent_answered",
            {
                "documents": documents,
                "words": len(body.split()),
                "deadlines met": met,
                "supplement": supplement,
            },
            user=acting_user,
            label=label,
        )
    return case
