"""Every change the compliance app makes: a programme installed, a return filed (its files,
documents, expiry dates and statements checked first, refused with every problem when any is
wrong), and the check of a return that stores nothing. Each change is one transaction with its
audit event. The web pages, the API and the command line call these, with the documents as
``DocumentGiven`` (key, file name, bytes), the expiry dates by document key (a date or
the text the filer wrote) and the keys of the statements attested.

The checks run before the transaction: DuckDB reads the files where they lie (a large ledger takes
seconds), and no lock is held meanwhile; the transaction then locks the agency, so two filings for
the same agency and period are taken one after the other and the second must say which return it
amends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import is_body_staff
from ombuds.codes.selectors import current_version
from ombuds.compliance import checking, engine, findings, periods
from ombuds.compliance.documents import Document, DocumentGiven, given_check, rules_check
from ombuds.compliance.models import (
    Finding,
    Programme,
    Return,
    ReturnDocument,
    ReturnFile,
    ReturnStatement,
)
from ombuds.compliance.programme import Programme as ProgrammeSpec
from ombuds.compliance.programme import load
from ombuds.compliance.selectors import code_citations, programme_current
from ombuds.core.changes import ChangedMeanwhile
from ombuds.members.agency_roles import is_agency_admin
from ombuds.register.models import Agency


class ReturnRefused(Exception):
    """The return cannot be checked or filed; ``problems`` says every reason, nothing was stored."""

    def __init__(self, problems: list[str], outcome: engine.Outcome | None = None):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.outcome = outcome


def _label(user: Any, label: str) -> str:
    if label:
        return label
    if getattr(user, "pk", None):
        return user.get_full_name() or user.get_username()
    return audit.SYSTEM


def programme_install(
    *, organization: Organization, text: str, user: Any = None, label: str = ""
) -> Programme:
    """Install a version of the body's programme once its every problem is gone (ReturnRefused
    with them otherwise), its provisions checked against the body's code in force. Installing the
    same text again changes nothing; another text under an installed version is refused."""
    _spec, problems = checking.programme_problems(
        text, source="programme", citations=code_citations(organization)
    )
    if problems:
        raise ReturnRefused(problems)
    if code_citations(organization) is None:
        raise ReturnRefused([f"{organization.slug} has no published code for the rules to cite"])
    spec = load(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction.atomic():
        Organization.objects.select_for_update().get(pk=organization.pk)
        same = Programme.objects.filter(
            organization=organization, key=spec.key, version=spec.version
        ).first()
        if same is not None:
            if same.sha256 != digest:
                raise ReturnRefused(
                    [
                        f"version {spec.version} of {spec.key} is installed with other words: "
                        "give this text a new version"
                    ]
                )
            return same
        programme = Programme.objects.create(
            organization=organization,
            key=spec.key,
            version=spec.version,
            text=text,
            sha256=digest,
            installed_by=user if getattr(user, "pk", None) else None,
        )
        audit.record(
            action="compliance.programme_installed",
            subject_type="compliance.programme",
            subject_id=programme.pk,
            data={"key": spec.key, "version": spec.version, "sha256": digest},
            organization=organization,
            actor=user,
            actor_label=_label(user, label),
        )
    return programme


@dataclass
class _Prepared:
    programme: Programme
    spec: ProgrammeSpec
    outcome: engine.Outcome
    documents: list[Document]
    statements: list[str]


def _prepare(
    organization: Organization,
    agency: Agency,
    return_key: str,
    period: tuple[dt.date, dt.date],
    paths: Mapping[str, Path],
    given: Sequence[DocumentGiven],
    expires: Mapping[str, dt.date | str | None],
    statements: Collection[str],
) -> _Prepared:
    """What was given, checked (ReturnRefused with every problem), then every rule run: the files'
    by the engine (its shape problems refuse the outcome), the documents' and statements' here."""
    programme = programme_current(organization)
    if programme is None:
        raise ReturnRefused([f"{organization.slug} has no compliance programme installed"])
    spec = load(programme.text)
    problems = []
    if agency.organization_id != organization.pk:
        problems.append(f"agency {agency.pk} is not in {organization.slug}'s register")
    if return_key not in spec.returns:
        problems.append(f"the programme has no return called {return_key!r}")
    elif reason := periods.problem(spec.returns[return_key].period, period):
        problems.append(reason)
    if problems:
        raise ReturnRefused(problems)
    declared = spec.returns[return_key]
    extra = sorted(set(paths) - set(declared.files))
    if extra:
        problems.append(f"the return has no file called {', '.join(extra)}")
    checked, given_problems = given_check(declared, given, expires, statements)
    problems += given_problems
    if problems:
        raise ReturnRefused(problems)
    outcome = engine.Outcome([], [])
    if declared.files:
        try:
            outcome = engine.check_files(spec, return_key, paths, period)
        except engine.FilesUnreadable as exc:
            raise ReturnRefused([str(exc)]) from exc
    attested = list(dict.fromkeys(statements))
    if not outcome.refused:
        outcome.findings += rules_check(
            spec,
            return_key,
            documents={d.key: d.expires_on for d in checked},
            statements=attested,
            period_end=period[1],
        )
    return _Prepared(programme, spec, outcome, checked, attested)


def return_check(
    *,
    organization: Organization,
    agency: Agency,
    return_key: str,
    period: tuple[dt.date, dt.date],
    paths: Mapping[str, Path] | None = None,
    documents: Sequence[DocumentGiven] = (),
    expires: Mapping[str, dt.date | str | None] | None = None,
    statements: Collection[str] = (),
) -> engine.Outcome:
    """Check a return as if it were filed, storing nothing: the files' shape problems (the outcome
    is then refused) or every rule's findings, the documents' and statements' included.
    ReturnRefused, with every problem, when what was given cannot be checked."""
    return _prepare(
        organization,
        agency,
        return_key,
        period,
        paths or {},
        documents,
        expires or {},
        statements,
    ).outcome


def may_file(user: Any, organization: Organization, agency: Agency) -> bool:
    """The agency's own administrators file its returns; so may the body's staff."""
    return is_agency_admin(user, agency) or is_body_staff(user, organization)


def _store(filed: Return, paths: Mapping[str, Path], written: list) -> list[ReturnFile]:
    stored = []
    for key, path in sorted(paths.items()):
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda f=f: f.read(1 << 20), b""):
                digest.update(block)
        item = ReturnFile(
            filed_return=filed,
            key=key,
            token=secrets.token_hex(16),
            original_name=path.name[:255],
            size=path.stat().st_size,
            sha256=digest.hexdigest(),
        )
        with open(path, "rb") as f:
            item.file.save(item.token, File(f), save=False)
        written.append(item.file)
        stored.append(item)
        item.save()
    return stored


def _store_documents(filed: Return, checked: list[Document], written: list) -> list[ReturnDocument]:
    stored = []
    for document in sorted(checked, key=lambda d: d.key):
        item = ReturnDocument(
            filed_return=filed,
            key=document.key,
            token=secrets.token_hex(16),
            original_name=document.name,
            extension=document.extension,
            content_type=document.content_type,
            size=len(document.data),
            sha256=hashlib.sha256(document.data).hexdigest(),
            expires_on=document.expires_on,
        )
        item.file.save(item.token, ContentFile(document.data), save=False)
        written.append(item.file)
        stored.append(item)
        item.save()
    return stored


def _store_statements(
    filed: Return, spec: ProgrammeSpec, keys: list[str], user: Any, label: str
) -> list[ReturnStatement]:
    return ReturnStatement.objects.bulk_create(
        ReturnStatement(
            filed_return=filed,
            key=key,
            label=spec.returns[filed.return_key].statements[key].label,
            attested_at=filed.filed_at,
            attested_by=user if getattr(user, "pk", None) else None,
            attested_by_label=_label(user, label),
        )
        for key in sorted(keys)
    )


def return_file(
    *,
    organization: Organization,
    agency: Agency,
    return_key: str,
    period: tuple[dt.date, dt.date],
    paths: Mapping[str, Path] | None = None,
    documents: Sequence[DocumentGiven] = (),
    expires: Mapping[str, dt.date | str | None] | None = None,
    statements: Collection[str] = (),
    user: Any,
    label: str = "",
    amends: int | None = None,
) -> Return:
    """File a return: refused (ReturnRefused with every problem, nothing stored) unless the user
    administers the agency or is the body's staff, the files' shape is right and the documents,
    their expiry dates and the statements are the return's own; otherwise the files and documents
    are kept encrypted, the statements attested in the user's name with their exact words, every
    finding stored (a document missing or expired, a statement not attested, are findings), one
    audit event written, all in one transaction. A return already filed for the period is amended
    only by naming it (``amends``): ChangedMeanwhile when the caller did not know of it (filed
    meanwhile) or named another. An amended return stands alone: what it does not give again is
    not filed."""
    if not may_file(user, organization, agency):
        raise ReturnRefused([f"you may not file returns for agency {agency.pk}"])
    paths = paths or {}
    prepared = _prepare(
        organization, agency, return_key, period, paths, documents, expires or {}, statements
    )
    outcome = prepared.outcome
    if outcome.refused:
        raise ReturnRefused(
            [
                f"{p.file}: {p.detail}" + (f" ({p.value})" if p.value else "")
                for p in outcome.problems
            ],
            outcome,
        )
    written: list = []
    try:
        with transaction.atomic():
            filed = _filed(
                organization, agency, prepared.programme, return_key, period, user, label, amends
            )
            stored = _store(filed, paths, written)
            kept = _store_documents(filed, prepared.documents, written)
            attested = _store_statements(filed, prepared.spec, prepared.statements, user, label)
            made = Finding.objects.bulk_create(_findings(filed, prepared.spec, outcome.findings))
            followed = findings.carry_over(filed.amends, filed, made) if filed.amends else {}
            followed["overdue corrected"] = findings.overdue_correct(filed)
            _audit(filed, stored, kept, attested, outcome, user, label, followed)
    except BaseException:
        for item in written:
            item.storage.delete(item.name)
        raise
    return filed


def _filed(organization, agency, programme, return_key, period, user, label, amends) -> Return:
    Agency.objects.select_for_update().get(pk=agency.pk)
    current = Return.objects.filter(
        agency=agency,
        return_key=return_key,
        period_start=period[0],
        period_end=period[1],
        status=Return.Status.FILED,
    ).first()
    if (current.pk if current else None) != amends:
        if current is None:
            raise ReturnRefused([f"there is no filed return {amends} for this period to amend"])
        raise ChangedMeanwhile(
            f"return {current.pk} was filed for this period on "
            f"{current.filed_at:%Y-%m-%d %H:%M}: name it to amend it"
        )
    if current is not None:
        current.status = Return.Status.SUPERSEDED
        current.save(update_fields=["status", "updated_at"])
    try:
        return Return.objects.create(
            organization=organization,
            agency=agency,
            programme=programme,
            return_key=return_key,
            period_start=period[0],
            period_end=period[1],
            filed_by=user if getattr(user, "pk", None) else None,
            filed_by_label=_label(user, label),
            created_by=user if getattr(user, "pk", None) else None,
            amends=current,
            code_version=current_version(organization),
        )
    except IntegrityError as exc:  # pragma: no cover - the lock above serialises filings
        raise ChangedMeanwhile("a return for this period was filed meanwhile") from exc


def _findings(filed: Return, spec: ProgrammeSpec, found: list[engine.Finding]) -> list[Finding]:
    cure_by = timezone.localdate(filed.filed_at) + dt.timedelta(days=findings.cure_days(spec))
    return [
        Finding(
            organization=filed.organization,
            agency=filed.agency,
            filed_return=filed,
            return_key=filed.return_key,
            period_start=filed.period_start,
            period_end=filed.period_end,
            fingerprint=findings.fingerprint(f.rule, f.client, f.date, f.evidence.get("reference")),
            cure_by=cure_by,
            rule_key=f.rule,
            provision=f.provision,
            severity=f.severity,
            client_ref=(f.client or "")[:200],
            date=f.date,
            amount=f.amount,
            detail=f.detail,
            evidence=dict(f.evidence),
            created_by=filed.filed_by,
        )
        for f in found
    ]


def _audit(
    filed: Return,
    stored: list[ReturnFile],
    kept: list[ReturnDocument],
    attested: list[ReturnStatement],
    outcome: engine.Outcome,
    user: Any,
    label: str,
    followed: dict[str, int],
) -> None:
    by_provision = Counter(f.provision for f in outcome.findings)
    audit.record(
        action="compliance.return_filed",
        subject_type="compliance.return",
        subject_id=filed.pk,
        data={
            "agency": filed.agency_id,
            "return": filed.return_key,
            "period": [filed.period_start.isoformat(), filed.period_end.isoformat()],
            "programme": f"{filed.programme.key} v{filed.programme.version}",
            "files": {item.key: item.sha256 for item in stored},
            "documents": {
                item.key: {
                    "sha256": item.sha256,
                    "expires_on": item.expires_on.isoformat() if item.expires_on else None,
                }
                for item in kept
            },
            "statements": {item.key: item.label for item in attested},
            "findings": dict(sorted(by_provision.items())),
            "amends": filed.amends_id,
            **{k: v for k, v in followed.items() if v},
        },
        organization=filed.organization,
        actor=user,
        actor_label=_label(user, label),
    )
