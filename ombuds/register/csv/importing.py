"""`import_csv`: one register file into a body's register, all of it or nothing."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, connection, transaction

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.register.csv.importers import (
    AgencyImporter,
    Importer,
    PeopleImporter,
    Plan,
    ProgressCallback,
    Refused,
)
from ombuds.register.csv.lifecycle_import import LifecycleImporter
from ombuds.register.csv.reading import FileUnreadable, ImportReport, RowError, decode, parse
from ombuds.register.models import Agency, Credential, Membership, Person, StatusEvent
from ombuds.register.services.events import audit_batched

# After this many new rows PostgreSQL's planner statistics are stale enough to pick a bad plan for the
# next import's look-ups (measured: a 1M-credential import after 1M people ran at half speed).
ANALYZE_AFTER = 10_000


class _Invalid(Exception):
    """Raised inside the transaction when a check fails, to roll everything back."""


def _importer(kind: str, organization: Organization, **options: Any) -> Importer:
    if kind == "people":
        return PeopleImporter(organization, **options)
    if kind == "agencies":
        return AgencyImporter(organization, **options)
    return LifecycleImporter(organization, kind=kind, **options)


def import_csv(
    *,
    organization: Organization,
    data: bytes,
    dry_run: bool,
    acting_user: Any = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import one CSV file of people, agencies, memberships or credentials into a body's register.

    Checks every row first and reports each bad one (line, column, reason). With any error nothing is
    written, dry run or not; otherwise a non-dry run writes everything in one transaction. Records
    are matched on their external id, so importing the same file again changes nothing. Status
    changes of existing records go through the lifecycle services (reason "CSV import"); each new
    record gets one status event ("Imported"). One audit event records the file (its SHA-256) with
    the actor and, for each field changed on an existing record, its old and new values.
    ``progress(phase, done, total)`` is called every PROGRESS_EVERY rows of each phase
    ("checking", then "writing").
    """
    report = ImportReport(dry_run=dry_run)
    try:
        rows = parse(decode(data), report)
    except FileUnreadable as exc:
        report.errors.append(RowError(exc.line, None, exc.reason))
        return report
    if rows is None:
        return report
    report.rows = len(rows)
    importer = _importer(
        report.kind, organization, acting_user=acting_user, progress=progress, total=len(rows)
    )
    if dry_run:
        plan = importer.check(rows, report.errors)
        report.warnings = importer.warnings
    else:
        plan = _check_and_write(importer, rows, report, data=data, acting_user=acting_user)
    if not report.errors:
        report.created, report.updated = len(plan.creates), len(plan.changes)
        report.unchanged = plan.unchanged
        if not dry_run and report.created >= ANALYZE_AFTER:
            _refresh_statistics()
    report.errors.sort(key=lambda e: e.line or 0)
    return report


def _check_and_write(
    importer: Importer, rows: list, report: ImportReport, *, data: bytes, acting_user: Any
) -> Plan | None:
    """Check and write in one transaction; the errors go to the report, and nothing is written."""
    plan = None
    try:
        # The checks run inside the transaction too, so that what they saw is what gets written
        # (SQLite takes its write lock at the start; PostgreSQL's constraints catch the rest).
        with transaction.atomic():
            plan = importer.check(rows, report.errors)
            if report.errors:
                raise _Invalid
            report.warnings = importer.warnings
            with audit_batched():
                importer.write(plan)
            if plan.creates or plan.changes:
                _record_import(importer, plan, report, data=data, acting_user=acting_user)
    except _Invalid:
        pass
    except Refused as exc:
        report.errors.append(RowError(exc.line, "status", exc.reason))
    except IntegrityError as exc:
        report.errors.append(
            RowError(None, None, f"the database refused the import: {exc}; nothing was written")
        )
    return plan


def _record_import(
    importer: Importer, plan: Plan, report: ImportReport, *, data: bytes, acting_user: Any
) -> None:
    """One audit event for the file: the audit chain's lock is taken at the end only, once. It
    lists every field the file changed on an existing record, with the old and new values."""
    audit.record(
        action="register.imported",
        subject_type="organization",
        subject_id=importer.organization.pk,
        data={
            "kind": report.kind,
            "rows": report.rows,
            "created": len(plan.creates),
            "updated": len(plan.changes),
            "sha256": hashlib.sha256(data).hexdigest(),
            "changes": plan.field_changes(),
        },
        organization=importer.organization,
        actor=acting_user,
    )


def _refresh_statistics() -> None:

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Person, Agency, Membership, Credential, StatusEvent):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
