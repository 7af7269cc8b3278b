"""What the complainant does from their own page (a named complainant's personal link, or an
anonymous complainant's receipt code and passphrase): write to the body, send documents, and send
what the procedure asks of them, such as proof of efforts to resolve (CSEC 5.1).

Proof of efforts is the step that records it (the procedure's `[case] efforts.proof` document
input), taken as the complainant when the file gives them that step: the case records the proof at
once and goes back to the Chair, who reads it before notifying the respondent (or dismisses the
complaint). The Chair is told of everything the complainant sends."""

from __future__ import annotations

from django.db import transaction

from ombuds.cases.facts import facts
from ombuds.cases.models import Case, Document, Message
from ombuds.cases.procedure import Procedure, Transition
from ombuds.cases.rules import CaseRefused
from ombuds.cases.selectors import procedure_of, running_deadlines
from ombuds.cases.services.base import bump, lock_case, record_event
from ombuds.cases.services.documents import (
    document_store,
    files_removed_on_failure,
    uploads_check,
)
from ombuds.cases.services.notifications import notices_make
from ombuds.cases.services.steps import case_step

# What a complainant's own documents are called on the case (the proof has the procedure's name).
COMPLAINANT_DOCUMENT = "from_complainant"
MAX_FILES = 5


def complainant_label(case: Case, door: str = "") -> str:
    """How the record names the complainant acting from their page."""
    who = "anonymous complainant" if case.anonymous else "complainant"
    return f"{who} ({door})" if door else who


def proof_step(case: Case, procedure: Procedure | None = None) -> Transition | None:
    """The step open to the complainant now that takes the procedure's proof of efforts (the
    `[case] efforts.proof` document input), or None."""
    procedure = procedure or procedure_of(case)
    proof = procedure.declared.efforts.proof
    if not proof:
        return None
    for step in procedure.available(
        case.state, {"complainant"}, facts(case), running_deadlines(case)
    ):
        if any(i.name == proof and i.kind == "document" for i in step.inputs):
            return step
    return None


def _check_files(files: list[tuple[str, bytes]]) -> None:
    if len(files) > MAX_FILES:
        raise CaseRefused(f"send at most {MAX_FILES} files at once")
    uploads_check(files)


def complainant_send(
    *,
    case: Case,
    body: str = "",
    files: list[tuple[str, bytes]] | None = None,
    actor_label: str = "complainant",
) -> Case:
    """A message and documents from the complainant: the message to the body, the documents kept on
    the case for the body's people (checked by their content, encrypted at rest), the Chair told.
    Refused when there is nothing to send, a file is not one a case takes, or the case's content
    was purged."""
    files = list(files or [])
    if not body.strip() and not files:
        raise CaseRefused("write your message or attach a document")
    with files_removed_on_failure(), transaction.atomic():
        case = lock_case(case, None)
        if case.purged_at:
            raise CaseRefused("this complaint's file has been closed for good")
        _check_files(files)
        if body.strip():
            Message.objects.create(
                case=case,
                audience=Message.Audience.COMPLAINANT,
                body=body.strip(),
                author_label=actor_label,
                from_party=True,
            )
        for name, data in files:
            document_store(
                case,
                name,
                data,
                kind=COMPLAINANT_DOCUMENT,
                visibility=Document.Visibility.INTERNAL,
                user=None,
                label=actor_label,
                audit_it=False,
            )
        bump(case)
        record_event(
            case,
            "case.complainant_sent",
            {"documents": [n for n, _d in files], "words": len(body.split())},
            user=None,
            label=actor_label,
        )
        if files:
            _tell_chair(case, "documents", files)
    return case


def complainant_proof_send(
    *,
    case: Case,
    files: list[tuple[str, bytes]],
    note: str = "",
    actor_label: str = "complainant",
    expected_version: int | None = None,
) -> Case:
    """The complainant's proof of efforts to resolve: the procedure's step that records it, taken
    as the complainant (the first file is its document input, the others kept beside it under the
    same kind), and the Chair told. Refused when the procedure asks for no proof now."""
    if not files:
        raise CaseRefused("attach the proof: a letter, an email, a reply")
    with files_removed_on_failure(), transaction.atomic():
        case = lock_case(case, expected_version)
        procedure = procedure_of(case)
        step = proof_step(case, procedure)
        if step is None:
            raise CaseRefused("no proof of efforts is asked of you now")
        _check_files(files)
        proof = procedure.declared.efforts.proof
        # A note beside the proof goes to the step's first text input, if it has one.
        text = next((i.name for i in step.inputs if i.kind == "text"), None)
        inputs = {text: note.strip()} if text and note.strip() else {}
        case = case_step(
            case=case,
            step=step.name,
            roles={"complainant"},
            actor_label=actor_label,
            inputs=inputs,
            files={proof: files[0]},
        )
        for name, data in files[1:]:
            document_store(
                case,
                name,
                data,
                kind=proof,
                visibility=Document.Visibility.INTERNAL,
                user=None,
                label=actor_label,
            )
        _tell_chair(case, "proof of efforts to resolve", files, step=step.name)
    return case


def _tell_chair(case: Case, what: str, files: list[tuple[str, bytes]], step: str = "") -> None:
    names = ", ".join(name for name, _d in files)
    notices_make(
        case, "complainant_sent", "chair", inputs={"what": what, "names": names, "step": step}
    )
