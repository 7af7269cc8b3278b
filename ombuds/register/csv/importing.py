"""`import_csv`: one register file into a body's register, all of it or nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO

from django.db import IntegrityError, connection, transaction
from django.db.models import Model

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
from ombuds.register.csv.reading import (
    FileUnreadable,
    ImportReport,
    Row,
    RowError,
    check_source,
    data_rows,
    raw_rows,
    read_header,
    records_of,
)
from ombuds.register.csv.staged import StagedCredentialImporter
from ombuds.register.models import Agency, Credential, Membership, Person, StatusEvent
from ombuds.register.services.events import audit_batched

# After this many new rows PostgreSQL's planner statistics are stale enough to pick a bad plan for the
# next import's look-ups (measured: a 1M-credential import after 1M people ran at half speed).
ANALYZE_AFTER = 10_000

# The tables each kind writes besides the status events, for `_refresh_statistics`.
WRITTEN: dict[str, tuple[type[Model], ...]] = {
    "people": (Person,),
    "agencies": (Agency,),
    "memberships": (Membership,),
    "credentials": (Credential,),
}

# The kinds checked and written by sets (`staged`); the others by `importers` and `lifecycle_import`.
STAGED_KINDS = frozenset({"credentials"})


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
    data: bytes | BinaryIO,
    dry_run: bool,
    acting_user: Any = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import one CSV file of people, agencies, memberships or credentials into a body's register.

    ``data`` is the file's bytes or a binary file open for reading (read a block at a time: a file
    of credentials is never held whole). Checks every row first and reports each bad one (line,
    column, reason). With any error nothing is written, dry run or not; otherwise a non-dry run
    writes everything in one transaction. Records are matched on their external id, so importing
    the same file again changes nothing. Status changes of existing records go through the
    lifecycle services (reason "CSV import"); each new record gets one status event ("Imported").
    One audit event records the file (its SHA-256) with the actor and, for each field changed on
    an existing record, its old and new values. ``progress(phase, done, total)`` is called every
    PROGRESS_EVERY rows of each phase ("checking", then "writing").
    """
    report = ImportReport(dry_run=dry_run)
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    try:
        sha256 = check_source(source)
        records = records_of(source)
        header = read_header(records, report)
    except FileUnreadable as exc:
        report.errors.append(RowError(exc.line, None, exc.reason))
        return report
    if header is None:
        return report
    if report.kind in STAGED_KINDS:
        total = _count_rows(source) if progress is not None else 0
        importer = StagedCredentialImporter(
            organization, acting_user=acting_user, progress=progress, total=total
        )
        importer.header, importer.header_order = set(header), header
        plan = _check_and_write_staged(
            importer,
            raw_rows(records, header, report),
            report,
            sha256=sha256,
            acting_user=acting_user,
        )
        report.rows = importer.rows
        created = importer.created
    else:
        rows = list(data_rows(records, header, report))
        report.rows = len(rows)
        importer = _importer(
            report.kind, organization, acting_user=acting_user, progress=progress, total=len(rows)
        )
        if dry_run:
            plan = importer.check(rows, report.errors)
            report.warnings = importer.warnings
        else:
            plan = _check_and_write(importer, rows, report, sha256=sha256, acting_user=acting_user)
        created = len(plan.creates) if plan is not None else 0
    if not report.errors:
        report.created, report.updated = created, len(plan.changes)
        report.unchanged = plan.unchanged
        if not dry_run and report.created >= ANALYZE_AFTER:
            _refresh_statistics(WRITTEN[report.kind])
    report.errors.sort(key=lambda e: e.line or 0)
    return report


def _count_rows(source: BinaryIO) -> int:
    """The rows of a file, for the progress of its check: one quick pass more."""
    scratch = ImportReport(dry_run=True)
    records = records_of(source)
    header = read_header(records, scratch)
    return sum(1 for _row in data_rows(records, header or [], scratch))


def _check_and_write(
    importer: Importer, rows: list, report: ImportReport, *, sha256: str, acting_user: Any
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
                _record_import(
                    importer,
                    plan,
                    report,
                    created=len(plan.creates),
                    sha256=sha256,
                    acting_user=acting_user,
                )
    except _Invalid:
        pass
    except Refused as exc:
        report.errors.append(RowError(exc.line, "status", exc.reason))
    except IntegrityError as exc:
        report.errors.append(
            RowError(None, None, f"the database refused the import: {exc}; nothing was written")
        )
    return plan


def _check_and_write_staged(
    importer: StagedCredentialImporter,
    rows: Iterator[Row],
    report: ImportReport,
    *,
    sha256: str,
    acting_user: Any,
) -> Plan | None:
    """The same, for credentials by sets (`staged`); a dry run is rolled back after the check."""
    plan = None
    try:
        with transaction.atomic():
            plan = importer.check_staged(rows, report.errors)
            report.rows = importer.rows
            if report.errors or report.dry_run:
                raise _Invalid
            with audit_batched():
                importer.write_staged(plan)
            if importer.created or plan.changes:
                _record_import(
                    importer,
                    plan,
                    report,
                    created=importer.created,
                    sha256=sha256,
                    acting_user=acting_user,
                )
    except _Invalid:
        pass
    except Refused as exc:
        report.errors.append(RowError(exc.line, "status", exc.reason))
    except IntegrityError as exc:
        report.errors.append(
            RowError(None, None, f"the database refused the import: {exc}; nothing was written")
        )
    finally:
        importer.drop()
    return plan


def _record_import(
    importer: Importer,
    plan: Plan,
    report: ImportReport,
    *,
    created: int,
    sha256: str,
    acting_user: Any,
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
            "created": created,
            "updated": len(plan.changes),
            "sha256": sha256,
            "changes": plan.field_changes(),
        },
        organization=importer.organization,
        actor=acting_user,
    )


def _refresh_statistics(written: tuple[type[Model], ...]) -> None:
    """ANALYZE the tables an import of many new rows wrote, and the status events."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (*written, StatusEvent):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
