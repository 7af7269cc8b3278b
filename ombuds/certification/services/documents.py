"""The documents a candidate gives as evidence: checked by their content like every upload
(`ombuds.cases.documents`), kept encrypted under the body's key, added and removed only while the
candidate may change the application."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from ombuds.audit import services as audit
from ombuds.cases import documents as uploads
from ombuds.certification.models import Application, ApplicationDocument
from ombuds.certification.requirements import Requirements as Spec
from ombuds.certification.services.common import (
    CertificationRefused,
    check_own_editable,
    lock,
    real_user,
    spec_of,
)

PER_EVIDENCE = 5

# (evidence key, the file's name, its bytes)
Upload = tuple[str, str, bytes]


def uploads_problems(
    application: Application, spec: Spec, files: list[Upload]
) -> dict[str, list[str]]:
    """What is wrong with each file, by field ("document-<key>"); empty when all can be kept."""
    errors: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for key, _name, _data in files:
        counts[key] = counts.get(key, 0) + 1
    for key, name, data in files:
        field = f"document-{key}"
        evidence = spec.evidence_for(key)
        if evidence is None:
            errors.setdefault(field, []).append(f"The programme asks for no evidence {key!r}.")
            continue
        try:
            uploads.check_upload(name, data)
        except uploads.UploadRefused as exc:
            errors.setdefault(field, []).append(f"{exc}.")
    for key, count in counts.items():
        evidence = spec.evidence_for(key)
        kept = application.documents.filter(evidence_key=key).count()
        if evidence is not None and kept + count > PER_EVIDENCE:
            errors.setdefault(f"document-{key}", []).append(
                f"At most {PER_EVIDENCE} documents for {evidence.label}."
            )
    return errors


@contextmanager
def files_removed_on_failure() -> Iterator[list]:
    """Files stored inside the block are deleted again when it fails: no evidence stays on disk
    without its record."""
    stored: list = []
    try:
        yield stored
    except BaseException:
        for storage, name in stored:
            storage.delete(name)
        raise


def store(
    application: Application, key: str, name: str, data: bytes, *, user: Any, stored: list
) -> ApplicationDocument:
    """Keep one checked file on the (locked) application, in the caller's transaction."""
    found = uploads.check_upload(name, data)
    document = ApplicationDocument(
        application=application,
        evidence_key=key,
        token=secrets.token_hex(16),
        original_name=name[:255],
        content_type=found.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=real_user(user),
    )
    document.file.save(document.token, ContentFile(data), save=False)
    stored.append((document.file.storage, document.file.name))
    document.save()
    audit.record(
        action="certification.document_added",
        subject_type="certification.application",
        subject_id=application.pk,
        data={
            "reference": application.reference,
            "document": document.token,
            "evidence": key,
            "sha256": document.sha256,
        },
        organization=application.organization,
        actor=user,
    )
    return document


def document_add(
    *, application: Application, evidence_key: str, name: str, data: bytes, acting_user: Any
) -> ApplicationDocument:
    """Keep a document proving one kind of evidence (CertificationRefused saying what is wrong
    with it: its kind, its size, too many). The file is removed again if the change fails."""
    with files_removed_on_failure() as stored, transaction.atomic():
        application = lock(application, None)
        check_own_editable(application, acting_user, "its documents")
        errors = uploads_problems(
            application, spec_of(application.requirements), [(evidence_key, name, data)]
        )
        if errors:
            raise CertificationRefused(errors)
        return store(application, evidence_key, name, data, user=acting_user, stored=stored)


@transaction.atomic
def document_remove(*, application: Application, token: str, acting_user: Any) -> None:
    """Remove one of the candidate's documents (the file goes once the change commits)."""
    application = lock(application, None)
    check_own_editable(application, acting_user, "its documents")
    document = application.documents.filter(token=token).first()
    if document is None:
        raise CertificationRefused("No such document on this application.")
    storage, name = document.file.storage, document.file.name
    document.delete()
    audit.record(
        action="certification.document_removed",
        subject_type="certification.application",
        subject_id=application.pk,
        data={"reference": application.reference, "document": token},
        organization=application.organization,
        actor=acting_user,
    )
    transaction.on_commit(lambda: storage.delete(name))
