"""Every change the compliance app makes: a programme installed, a return filed (its files checked
first, refused with every problem when their shape is wrong), and the check of a return's files
that stores nothing. Each change is one transaction with its audit event.

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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import is_body_staff
from ombuds.codes.selectors import current_version
from ombuds.compliance import checking, engine, findings
from ombuds.compliance.models import Finding, Programme, Return, ReturnFile
from ombuds.compliance.programme import Programme as ProgrammeSpec
from ombuds.compliance.programme import load
from ombuds.compliance.selectors import code_citations, programme_current
from ombuds.core.changes import ChangedMeanwhile
from ombuds.core.dates import add_months
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


def _prepare(
    organization: Organization,
    agency: Agency,
    return_key: str,
    period: tuple[dt.date, dt.date],
    paths: Mapping[str, Path],
) -> tuple[Programme, ProgrammeSpec, engine.Outcome]:
    programme = programme_current(organization)
    if programme is None:
        raise ReturnRefused([f"{organization.slug} has no compliance programme installed"])
    spec = load(programme.text)
    problems = []
    if agency.organization_id != organization.pk:
        problems.append(f"agency {agency.pk} is not in {organization.slug}'s register")
    if return_key not in spec.returns or not spec.returns[return_key].files:
        problems.append(f"the programme has no return of files called {return_key!r}")
    elif period_problem(spec.returns[return_key].period, period):
        problems.append(period_problem(spec.returns[return_key].period, period))
    if problems:
        raise ReturnRefused(problems)
    extra = sorted(set(paths) - set(spec.returns[return_key].files))
    if extra:
        raise ReturnRefused([f"the return has no file called {', '.join(extra)}"])
    try:
        outcome = engine.check_files(spec, return_key, paths, period)
    except engine.FilesUnreadable as exc:
        raise ReturnRefused([str(exc)]) from exc
    return programme, spec, outcome


def period_problem(kind: str, period: tuple[dt.date, dt.date]) -> str:
    """Why a period does not suit a return filed monthly, quarterly or yearly ("" when it does):
    whole calendar months, quarters or years."""
    start, end = period
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}.get(kind)
    if end < start:
        return "the period ends before it starts"
    if months is None:
        return ""
    if start.day != 1 or (kind == "quarterly" and start.month % 3 != 1):
        return f"a {kind} return's period starts on the first day of a {kind[:-2]}"
    if end != add_months(start, months) - dt.timedelta(days=1):
        return f"a {kind} return's period is one whole {kind[:-2]}"
    return ""


def return_check(
    *,
    organization: Organization,
    agency: Agency,
    return_key: str,
    period: tuple[dt.date, dt.date],
    paths: Mapping[str, Path],
) -> engine.Outcome:
    """Check a return's files as if they were filed, storing nothing: the shape problems (the
    outcome is then refused) or every rule's findings. ReturnRefused when they cannot be checked."""
    return _prepare(organization, agency, return_key, period, paths)[2]


def may_file(user: Any, organization: Organization, agency: Agency) -> bool:
    """The agency's own administrators file its returns; so may the body's staff."""
    return is_agency_admin(user, agency) or is_body_staff(user, organization)


def _store(filed: Return, paths: Mapping[str, Path]) -> list[ReturnFile]:
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
        stored.append(item)
        item.save()
    return stored


def return_file(
    *,
    organization: Organization,
    agency: Agency,
    return_key: str,
    period: tuple[dt.date, dt.date],
    paths: Mapping[str, Path],
    user: Any,
    label: str = "",
    amends: int | None = None,
) -> Return:
    """File a return: refused (ReturnRefused, nothing stored) unless the user administers the
    agency or is the body's staff and the files' shape is right; otherwise the files are kept
    encrypted, every finding stored, one audit event written, all in one transaction. A return
    already filed for the period is amended only by naming it (``amends``): ChangedMeanwhile when
    the caller did not know of it (filed meanwhile) or named another."""
    if not may_file(user, organization, agency):
        raise ReturnRefused([f"you may not file returns for agency {agency.pk}"])
    programme, _spec, outcome = _prepare(organization, agency, return_key, period, paths)
    if outcome.refused:
        raise ReturnRefused(
            [
                f"{p.file}: {p.detail}" + (f" ({p.value})" if p.value else "")
                for p in outcome.problems
            ],
            outcome,
        )
    stored: list[ReturnFile] = []
    try:
        with transaction.atomic():
            filed = _filed(organization, agency, programme, return_key, period, user, label, amends)
            stored = _store(filed, paths)
            made = Finding.objects.bulk_create(_findings(filed, _spec, outcome.findings))
            followed = findings.carry_over(filed.amends, filed, made) if filed.amends else {}
            followed["overdue corrected"] = findings.overdue_correct(filed)
            _audit(filed, stored, outcome, user, label, followed)
    except BaseException:
        for item in stored:
            item.file.storage.delete(item.file.name)
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
    filed: Return, stored: list[ReturnFile], outcome: engine.Outcome, user, label, followed
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
            "findings": dict(sorted(by_provision.items())),
            "amends": filed.amends_id,
            **{k: v for k, v in followed.items() if v},
        },
        organization=filed.organization,
        actor=user,
        actor_label=_label(user, label),
    )
