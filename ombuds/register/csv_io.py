"""The register in and out of CSV: one file per kind (people, agencies, memberships, credentials).

`import_csv` checks every row before writing any: a file with one bad row writes nothing, and the
report names every bad row with its line, column and reason. A good file is written in one transaction,
matching existing records on their external id, so importing the same file twice changes nothing.
Status changes go through the lifecycle services and leave status events like any other change.
`export_csv` writes the columns `import_csv` reads, so an export imports back unchanged.

The formats are documented in docs/register-csv.md; keep the two in step.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.register import services
from ombuds.register.lifecycle import (
    CREDENTIAL_TRANSITIONS,
    MEMBERSHIP_TRANSITIONS,
    Transition,
    TransitionRefused,
    check_transition,
)
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Organization,
    Person,
    StatusEvent,
)
from ombuds.register.recertification import add_months

# Progress is reported as (phase, rows done, rows in the file); phase is "checking" or "writing".
ProgressCallback = Callable[[str, int, int], None]
PROGRESS_EVERY = 1000

# A record without an external id of its own is exported as "ombuds:<its id>", and an import matches that
# form back to the same record, so that a register partly entered by hand still round-trips.
OMBUDS_ID_PREFIX = "ombuds:"

IMPORT_REASON = "Imported"  # the first status event of a record an import creates
CHANGE_REASON = "CSV import"  # a status change an import makes

# Rows per query when looking records up by a list of values (below SQLite's 999 parameters).
_LOOKUP_CHUNK = 900
_BATCH = 1000

CREDENTIAL_STATUSES = list(Credential.Status.values)
MEMBERSHIP_STATUSES = list(Membership.Status.values)
LIVE_CREDENTIAL = frozenset(CREDENTIAL_STATUSES) - {"revoked", "surrendered"}


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False


KINDS: dict[str, tuple[Column, ...]] = {
    "people": (
        Column("external_id", True),
        Column("given_name", True),
        Column("family_name", True),
        Column("email"),
        Column("phone"),
        Column("city"),
        Column("region"),
        Column("country"),
    ),
    "agencies": (
        Column("external_id", True),
        Column("legal_name", True),
        Column("trade_names"),
        Column("registration_numbers"),
        Column("address"),
        Column("city"),
        Column("region"),
        Column("postal_code"),
        Column("country"),
        Column("email"),
        Column("phone"),
        Column("website"),
    ),
    "memberships": (
        Column("external_id", True),
        Column("number", True),
        Column("membership_type", True),
        Column("person"),
        Column("agency"),
        Column("status", True),
        Column("start_date"),
        Column("renewal_date"),
        Column("suspended_until"),
        Column("decision_ref"),
    ),
    "credentials": (
        Column("external_id", True),
        Column("number", True),
        Column("program", True),
        Column("holder", True),
        Column("status", True),
        Column("issued_on"),
        Column("expires_on"),
        Column("suspended_until"),
        Column("conditions"),
        Column("decision_ref"),
    ),
}
# The column whose presence in the header row says which kind a file holds.
_KIND_MARKERS = {
    "credentials": "program",
    "memberships": "membership_type",
    "agencies": "legal_name",
    "people": "given_name",
}


# --- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int | None  # None: not about one line (the register changed during the import)
    column: str | None
    reason: str

    def __str__(self) -> str:
        if self.line is None:
            return self.reason
        if self.column:
            return f"line {self.line}, column {self.column}: {self.reason}"
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did or, in a dry run, would do. With any error, nothing was written and the
    counts are zero."""

    dry_run: bool
    kind: str | None = None
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # What staff should look at but does not stop the import (CSEC 4.2: confusingly similar names).
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors if e.line is not None})

    def summary(self) -> str:
        """One line: what was done, or why nothing was."""
        if self.errors:
            if self.kind is None:
                return f"cannot import this file: {self.errors[0]}"
            bad, errors = len(self.bad_lines), len(self.errors)
            return (
                f"{self.kind}: {bad} bad {'line' if bad == 1 else 'lines'}, {errors} "
                f"{'error' if errors == 1 else 'errors'}; nothing was written"
            )
        counts = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.dry_run:
            return f"dry run, nothing written: {self.kind}, {self.rows} rows would be: {counts}"
        return f"{self.kind}: {self.rows} rows: {counts}"


class _Invalid(Exception):
    """Raised inside the transaction when a check fails, to roll everything back."""


class _Refused(Exception):
    """A lifecycle service refused a row's status change while writing (the record changed since
    the checks, or a rule the checks do not repeat)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class _FileUnreadable(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


# --- reading the file ---------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _FileUnreadable(1, "the file is UTF-16; save it as CSV UTF-8")
    bom = 3 if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + bom
        line = data.count(b"\n", 0, offset) + 1
        raise _FileUnreadable(
            line,
            f"not UTF-8: byte 0x{data[offset]:02X} at offset {offset} cannot be read; "
            "save the file as CSV UTF-8",
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        offset = len(text[:nul].encode("utf-8")) + bom
        raise _FileUnreadable(
            text.count("\n", 0, nul) + 1,
            f"a NUL byte at offset {offset}: this is not a CSV text file (a spreadsheet or UTF-16?)",
        )
    if not text.strip():
        raise _FileUnreadable(1, "the file is empty")
    return text


_CSV_MESSAGES = {
    "unexpected end of data": "a quoted value opened here is never closed",
    "',' expected after '\"'": "a closing quote must be followed by a comma or the end of the line",
    "new-line character seen in unquoted field": "a line break inside a value that is not quoted",
}


def _records(text: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line where the record starts, values or None, the reason it is malformed)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, _CSV_MESSAGES.get(str(exc), f"malformed CSV: {exc}")
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        yield line, values, ""


def _kind_of(header: list[str], line: int) -> str:
    kinds = [kind for kind, marker in _KIND_MARKERS.items() if marker in header]
    if len(kinds) != 1:
        markers = ", ".join(f"{marker} ({kind})" for kind, marker in _KIND_MARKERS.items())
        raise _FileUnreadable(
            line,
            f"unknown header ({', '.join(header)}): the first row names the columns, and exactly "
            f"one of these says what the file holds: {markers}",
        )
    return kinds[0]


@dataclass
class _Row:
    line: int
    cells: dict[str, str]


def _parse(text: str, report: ImportReport) -> list[_Row] | None:
    records = _records(text)
    for line, values, problem in records:
        if values is None:
            raise _FileUnreadable(line, f"the header row cannot be read: {problem}")
        if any(v.strip() for v in values):
            header = [v.strip().lower() for v in values]
            header_line = line
            break
    else:
        raise _FileUnreadable(1, "the file is empty")
    kind = _kind_of(header, header_line)
    report.kind = kind
    columns = {c.name: c for c in KINDS[kind]}
    fatal = False
    for position, name in enumerate(header, start=1):
        if not name:
            report.errors.append(
                RowError(header_line, str(position), "a column without a name in the header")
            )
            fatal = True
        elif name not in columns:
            report.errors.append(
                RowError(
                    header_line,
                    name,
                    f"unknown column for {kind}; the columns are: {', '.join(columns)}",
                )
            )
            fatal = True
        elif header.index(name) != position - 1:
            report.errors.append(RowError(header_line, name, "this column appears twice"))
            fatal = True
    for column in columns.values():
        if column.required and column.name not in header:
            report.errors.append(
                RowError(header_line, column.name, f"{kind} need this column; it is missing")
            )
            fatal = True
    if kind == "memberships" and "person" not in header and "agency" not in header:
        report.errors.append(
            RowError(header_line, None, "memberships need a person or an agency column")
        )
        fatal = True
    if fatal:
        return None
    rows = []
    for line, values, problem in records:
        if values is None:
            report.errors.append(RowError(line, None, problem))
        elif not any(v.strip() for v in values):
            continue  # blank lines, and the empty rows spreadsheets add at the end
        elif len(values) != len(header):
            report.errors.append(
                RowError(
                    line, None, f"{len(values)} values where the header has {len(header)} columns"
                )
            )
        else:
            rows.append(
                _Row(
                    line,
                    {
                        name: _unescape_formula(v.strip())
                        for name, v in zip(header, values, strict=True)
                    },
                )
            )
    return rows


# --- checking values ----------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_email_valid = EmailValidator()
_url_valid = URLValidator(schemes=["http", "https"])


def _max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


class _Cells:
    """One row's values, each read once with its check; a failed check records the row error."""

    def __init__(self, row: _Row, errors: list[RowError]) -> None:
        self.line = row.line
        self.cells = row.cells
        self._errors = errors
        self.ok = True

    def has(self, column: str) -> bool:
        return column in self.cells

    def error(self, column: str | None, reason: str) -> None:
        self._errors.append(RowError(self.line, column, reason))
        self.ok = False

    def text(self, column: str, *, max_length: int | None = None, required: bool = False) -> str:
        value = self.cells.get(column, "")
        if required and not value:
            self.error(column, "a value is required")
        elif max_length is not None and len(value) > max_length:
            self.error(column, f"{len(value)} characters; at most {max_length}")
        return value

    def external_id(self, column: str = "external_id") -> str:
        return self.text(column, max_length=100, required=True)

    def date(self, column: str) -> dt.date | None:
        value = self.cells.get(column, "")
        if not value:
            return None
        if _ISO_DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.error(column, f"{value!r} is not a date; write it as YYYY-MM-DD")
        return None

    def choice(self, column: str, allowed: list[str], what: str) -> str:
        value = self.cells.get(column, "").lower()
        if not value:
            self.error(column, "a value is required")
        elif value not in allowed:
            self.error(column, f"unknown {what} {value!r}; one of: {', '.join(allowed)}")
        return value

    def email(self, column: str, model: type[models.Model]) -> str:
        value = self.text(column, max_length=_max_length(model, column))
        if value:
            try:
                _email_valid(value)
            except ValidationError:
                self.error(column, f"{value!r} is not an email address")
        return value

    def url(self, column: str, model: type[models.Model]) -> str:
        value = self.text(column, max_length=_max_length(model, column))
        if value and "://" not in value:
            value = f"https://{value}"  # as the staff form does
        if value:
            try:
                _url_valid(value)
            except ValidationError:
                self.error(column, f"{value!r} is not a web address")
        return value

    def country(self, column: str = "country") -> str:
        value = self.cells.get(column, "")
        if value and not _COUNTRY.fullmatch(value):
            self.error(column, f"{value!r} is not a two-letter country code (ISO 3166, e.g. US)")
        return value.upper()


def normalise_number(number: str) -> str:
    """Credential numbers are stored upper-case without spaces; verification relies on it."""
    return "".join(number.split()).upper()


# A number is part of public addresses (/register/<number>/, /register/members/<number>/): letters,
# digits, '.', '-' and '_', starting with a letter or a digit. Credential numbers are checked by
# services.check_number (after upper-casing and removing spaces); membership numbers keep their case.
_MEMBERSHIP_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")


def _check_new_number(cells: _Cells, number: str, noun: str) -> None:
    """The number of a new record: refused unless it can stand in a public address. Only new
    records are checked: an existing record's number cannot change, and refusing its row would only
    stop a register entered before the rule from importing back. Too long or empty is reported
    already."""
    if not number or len(number) > 50:
        return
    if noun == "credential":
        try:
            services.check_number(number)
        except TransitionRefused as exc:
            cells.error("number", str(exc))
    elif not _MEMBERSHIP_NUMBER.fullmatch(number):
        cells.error(
            "number",
            f"membership number {number!r} must be letters, digits, '.', '-' or '_', "
            "starting with a letter or digit",
        )


# Spreadsheets read a cell that starts with one of these as a formula (CSV injection). Export writes
# such a value with a leading "'", which spreadsheets take as "this is text"; import removes it.
# A value that itself starts with "'"s before one of them gets one more, so that it comes back too.
_ESCAPED = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED_FIRST = frozenset("'=+-@\t\r")


def _escape_formula(value: str) -> str:
    if value[:1] in _ESCAPED_FIRST and _ESCAPED.match(value):
        return f"'{value}"
    return value


def _unescape_formula(value: str) -> str:
    return value[1:] if value.startswith("'") and _ESCAPED.match(value, 1) else value


def _chunks(values: Iterable[Any], size: int = _LOOKUP_CHUNK) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _by_reference(
    queryset: models.QuerySet, refs: Iterable[str], fields: Iterable[str] = ()
) -> dict[str, SimpleNamespace]:
    """Records of `queryset` by the references rows use: an external id, or "ombuds:<id>" for a
    record without one. A few hundred references a query; plain values, not model instances (a
    large file would spend most of its time building those)."""
    refs = set(refs)
    pks = {}
    for ref in refs:
        if ref.startswith(OMBUDS_ID_PREFIX) and ref[len(OMBUDS_ID_PREFIX) :].isdigit():
            pks[int(ref[len(OMBUDS_ID_PREFIX) :])] = ref
    external = refs - set(pks.values())
    names = ["pk", "external_id", *fields]
    queryset = queryset.order_by()
    found: dict[str, SimpleNamespace] = {}
    # Spelled out as SQL so that SQLite uses the partial unique index on external_id: the planner
    # proves the index's condition only against a literal, and Django would bind '' as a parameter.
    with_external_id = queryset.extra(where=[f"NOT ({_column(queryset.model)} = '')"])
    for chunk in _chunks(external):
        for values in with_external_id.filter(external_id__in=chunk).values(*names):
            found[values["external_id"]] = SimpleNamespace(**values)
    for chunk in _chunks(pks):
        for values in queryset.filter(pk__in=chunk, external_id="").values(*names):
            found[pks[values["pk"]]] = SimpleNamespace(**values)
    return found


def _column(model: type[models.Model]) -> str:
    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)}.{quote('external_id')}"


def _reference(obj: Any) -> str:
    return obj.external_id or f"{OMBUDS_ID_PREFIX}{obj.pk}"


def _unknown_reference(what: str, ref: str, organization: Organization, hint: str) -> str:
    if ref.startswith(OMBUDS_ID_PREFIX):
        return (
            f"no {what} {ref} in {organization.short_name}: ids of the form ombuds:N name "
            "records that have no external id of their own"
        )
    return f"no {what} with external id {ref!r} in {organization.short_name}{hint}"


# The column of the file that satisfies each requirement of a lifecycle transition.
_REQUIREMENT_COLUMNS = {
    "until": "suspended_until",
    "decision_ref": "decision_ref",
    "expires_on": "expires_on",
    "renewal_date": "renewal_date",
}
# Requirements that are a new date, given by a row whose date differs from the record's.
_NEW_DATES = ("expires_on", "renewal_date")


# --- the plan an import carries out -------------------------------------------------------------


@dataclass
class _Change:
    line: int
    obj: Any
    values: dict[str, Any]  # attribute -> the row's value; the writer applies those that differ
    to_status: str | None = None
    transition: dict[str, Any] = field(default_factory=dict)  # extra arguments of the service


@dataclass
class _Plan:
    creates: list[tuple[int, Any, str]] = field(default_factory=list)  # line, object, decision_ref
    changes: list[_Change] = field(default_factory=list)
    unchanged: int = 0


def _diff(obj: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if getattr(obj, name) != value}


class _Importer:
    """Checks a file's rows into a plan (`check`), then carries the plan out (`write`)."""

    kind: str
    noun: str
    model: type[models.Model]

    def __init__(
        self,
        organization: Organization,
        *,
        acting_user: Any,
        progress: ProgressCallback | None,
        total: int,
    ) -> None:
        self.organization = organization
        self.acting_user = acting_user if getattr(acting_user, "pk", None) else None
        self.progress = progress
        self.total = total
        self.today = timezone.localdate()
        self.warnings: list[RowError] = []

    def tick(self, phase: str, done: int, total: int | None = None) -> None:
        total = self.total if total is None else total
        if self.progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            self.progress(phase, done, total)

    def check(self, rows: list[_Row], errors: list[RowError]) -> _Plan:
        raise NotImplementedError

    def write(self, plan: _Plan) -> None:
        """Status changes one by one through the lifecycle service, then every other change in bulk,
        then the new records in batches. Changes come first: a credential surrendered in this file
        frees its holder for a new one."""
        done, total = 0, len(plan.changes) + len(plan.creates)
        updates: dict[tuple[str, ...], list[Any]] = defaultdict(list)
        now = timezone.now()
        for change in plan.changes:
            current = change.obj
            if change.to_status is not None:
                try:
                    current = self.transition(change)
                except TransitionRefused as exc:
                    raise _Refused(change.line, str(exc)) from exc
                done += 1
                self.tick("writing", done, total)
            if changed := _diff(current, change.values):
                # Only the changed fields are written, so a bare instance with them is enough.
                obj = self.model(pk=change.obj.pk, updated_at=now, **changed)
                updates[tuple(sorted(changed))].append(obj)
        for names, objs in updates.items():
            self.model.objects.bulk_update(objs, [*names, "updated_at"], batch_size=_BATCH)
        done = len(plan.changes)
        if done:
            self.tick("writing", done, total)
        for batch in _chunks(plan.creates, _BATCH):
            self.model.objects.bulk_create([obj for _line, obj, _ref in batch])
            self.after_create(batch)
            done += len(batch)
            self.tick("writing", done, total)

    def transition(self, change: _Change) -> Any:
        raise NotImplementedError

    def after_create(self, batch: list[tuple[int, Any, str]]) -> None:
        pass

    def duplicate(
        self, cells: _Cells, seen: dict[Any, int], key: Any, column: str, value: str
    ) -> None:
        if key in seen:
            cells.error(column, f"{value!r} is already on line {seen[key]}")
        else:
            seen[key] = cells.line


class _SimpleImporter(_Importer):
    """People and agencies: plain records matched on their external id."""

    fields: tuple[str, ...]  # the model fields the columns after external_id fill

    def values(self, cells: _Cells) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, rows: list[_Row], errors: list[RowError]) -> _Plan:
        plan = _Plan()
        parsed = []
        for n, row in enumerate(rows, start=1):
            cells = _Cells(row, errors)
            parsed.append((cells, cells.external_id(), self.values(cells)))
            self.tick("checking", n)
        existing = _by_reference(
            self.model.objects.filter(organization=self.organization),
            (ref for _c, ref, _v in parsed if ref),
            self.fields,
        )
        seen: dict[str, int] = {}
        for cells, ref, values in parsed:
            if ref:
                self.duplicate(cells, seen, ref, "external_id", ref)
            obj = existing.get(ref)
            if obj is None and ref.startswith(OMBUDS_ID_PREFIX):
                cells.error(
                    "external_id", _unknown_reference(self.noun, ref, self.organization, "")
                )
            if not cells.ok:
                continue
            if obj is None:
                new = self.model(organization=self.organization, external_id=ref, **values)
                plan.creates.append((cells.line, new, ""))
            elif changed := _diff(obj, values):
                plan.changes.append(_Change(cells.line, obj, changed))
            else:
                plan.unchanged += 1
        return plan


class _PeopleImporter(_SimpleImporter):
    kind = "people"
    noun = "person"
    model = Person
    fields = ("given_name", "family_name", "email", "phone", "city", "region", "country")

    def values(self, cells: _Cells) -> dict[str, Any]:
        values: dict[str, Any] = {
            "given_name": cells.text("given_name", max_length=150, required=True),
            "family_name": cells.text("family_name", max_length=150, required=True),
        }
        for name in ("phone", "city", "region"):
            if cells.has(name):
                values[name] = cells.text(name, max_length=_max_length(Person, name))
        if cells.has("email"):
            values["email"] = cells.email("email", Person)
        if cells.has("country"):
            values["country"] = cells.country()
        return values


def _split_plain(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _read_json_list(cells: _Cells, column: str) -> list | None:
    try:
        data = json.loads(cells.cells[column])
    except ValueError as exc:
        cells.error(column, f"starts with [ but is not a JSON list: {exc.msg}")
        return None
    if not isinstance(data, list):
        cells.error(column, "not a JSON list")
        return None
    return data


def _trade_names(cells: _Cells) -> list[str]:
    value = cells.cells.get("trade_names", "")
    if not value.startswith("["):
        return _split_plain(value)
    data = _read_json_list(cells, "trade_names")
    if data is None:
        return []
    if not all(isinstance(item, str) and item.strip() for item in data):
        cells.error("trade_names", "the JSON list must hold non-empty names")
    return data


def _registration_numbers(cells: _Cells) -> list[dict[str, str]]:
    column = "registration_numbers"
    value = cells.cells.get(column, "")
    if value.startswith("["):
        data = _read_json_list(cells, column)
        if data is None:
            return []
        for item in data:
            if (
                not isinstance(item, dict)
                or set(item) != {"authority", "number"}
                or not all(isinstance(v, str) for v in item.values())
                or not item["number"].strip()
            ):
                cells.error(
                    column, 'each entry of the JSON list must be {"authority": …, "number": …}'
                )
                return []
        return data
    numbers = []
    for part in _split_plain(value):
        authority, colon, number = part.rpartition(":")
        if not colon:
            authority, number = "", part
        if not number.strip():
            cells.error(column, f"{part!r} has no number; write 'Authority: NUMBER'")
            return []
        numbers.append({"authority": authority.strip(), "number": number.strip()})
    return numbers


class _AgencyImporter(_SimpleImporter):
    kind = "agencies"
    noun = "agency"
    model = Agency
    fields = tuple(c.name for c in KINDS["agencies"][1:])

    def check(self, rows: list[_Row], errors: list[RowError]) -> _Plan:
        plan = super().check(rows, errors)
        self.warn_similar_names(plan)
        return plan

    def warn_similar_names(self, plan: _Plan) -> None:
        """CSEC 4.2: warn of new or renamed agencies whose names a client could confuse with
        another agency's, in the register or elsewhere in the file. A warning does not stop the
        import: staff decide, as on the agency page."""
        from ombuds.register.names import NameIndex

        # line, the agency's record (None when new), its names as the file leaves them
        named: list[tuple[int, Agency | None, list[str]]] = [
            (line, None, [obj.legal_name, *obj.trade_names]) for line, obj, _ref in plan.creates
        ]
        for change in plan.changes:
            if {"legal_name", "trade_names"} & set(change.values):
                legal = change.values.get("legal_name", change.obj.legal_name)
                trade = change.values.get("trade_names", change.obj.trade_names)
                named.append((change.line, change.obj, [legal, *trade]))
        if not named:
            return
        index = NameIndex()
        labels: dict[Any, str] = {}
        renamed = [obj.pk for _line, obj, _names in named if obj is not None]
        for agency in Agency.objects.filter(organization=self.organization).exclude(pk__in=renamed):
            index.add(agency.pk, [agency.legal_name, *agency.trade_names])
            labels[agency.pk] = agency.legal_name
        for line, _obj, names in named:
            index.add(("line", line), names)
            labels[("line", line)] = f"{names[0]} (line {line})"
        for line, _obj, names in named:
            for key, matched, _score in index.matches(names, exclude=("line", line)):
                shown = labels[key]
                also = "" if shown.startswith(matched) else f" (trading as “{matched}”)"
                self.warnings.append(
                    RowError(
                        line,
                        "legal_name",
                        f"a client could confuse this agency's name with {shown}{also} (CSEC 4.2)",
                    )
                )

    def values(self, cells: _Cells) -> dict[str, Any]:
        values: dict[str, Any] = {
            "legal_name": cells.text("legal_name", max_length=300, required=True)
        }
        for name in ("address", "city", "region", "postal_code", "phone"):
            if cells.has(name):
                values[name] = cells.text(name, max_length=_max_length(Agency, name))
        if cells.has("trade_names"):
            values["trade_names"] = _trade_names(cells)
        if cells.has("registration_numbers"):
            values["registration_numbers"] = _registration_numbers(cells)
        if cells.has("country"):
            values["country"] = cells.country()
        if cells.has("email"):
            values["email"] = cells.email("email", Agency)
        if cells.has("website"):
            values["website"] = cells.url("website", Agency)
        return values


class _LifecycleImporter(_Importer):
    """Credentials and memberships: a status that changes only as the lifecycle allows."""

    table: tuple[Transition, ...]
    date_fields: tuple[str, ...]

    def check_change(
        self, cells: _Cells, source: str, target: str, given: dict[str, Any]
    ) -> Transition | None:
        """The lifecycle's verdict on source → target, judged as the service will judge it today;
        a missing requirement is reported against the column that should hold it."""
        try:
            row = check_transition(self.table, source, target, given=set(_REQUIREMENT_COLUMNS))
        except TransitionRefused as exc:
            cells.error("status", str(exc))
            return None
        for requirement in sorted(row.requires):
            if not given.get(requirement):
                column = _REQUIREMENT_COLUMNS[requirement]
                cells.error(column, f"{row.name} ({source} → {target}) needs {column}")
        if target == "suspended" and given.get("until") and given["until"] <= self.today:
            cells.error(
                "suspended_until",
                f"a suspension starting today ({self.today}) must end after today",
            )
        for name in _NEW_DATES:
            if name in row.requires and given.get(name) and given[name] <= self.today:
                cells.error(name, f"{row.name} needs a new {name} after today")
        return row if cells.ok else None

    def plan_update(
        self, cells: _Cells, obj: Any, status: str, values: dict[str, Any], decision_ref: str
    ) -> _Change | None:
        """The change a row makes to an existing record, or None when it changes nothing.

        An empty date cell leaves the record's date as it is: dates are the lifecycle's to set (a
        certification sets the issue and expiry dates), and a second import of the same file must
        not undo what the first one's status changes set.
        """
        values = {
            name: value
            for name, value in values.items()
            if value is not None or name not in self.date_fields
        }
        final = {name: getattr(obj, name) for name in self.date_fields}
        transition: dict[str, Any] = {}
        if status != obj.status:
            given = {
                "until": values.get("suspended_until") if status == "suspended" else None,
                "decision_ref": decision_ref,
            }
            for name in _NEW_DATES:
                if values.get(name) and values[name] != final.get(name):
                    given[name] = values[name]
            row = self.check_change(cells, obj.status, status, given)
            if row is None:
                return None
            transition["decision_ref"] = decision_ref
            # What the service does besides the status, so that the checks below see the result.
            if status == "suspended":
                transition["until"] = final["suspended_until"] = given["until"]
            elif obj.status == "suspended":
                final["suspended_until"] = None
            for name in _NEW_DATES:
                if name in row.requires:
                    transition[name] = final[name] = given[name]
            self.side_effects(obj, status, final)
        final.update(values)
        self.check_final(cells, status, final, values)
        if status == obj.status and not _diff(obj, values):
            return None
        return _Change(
            cells.line,
            obj,
            values,
            to_status=status if status != obj.status else None,
            transition=transition,
        )

    def side_effects(self, obj: Any, status: str, final: dict[str, Any]) -> None:
        """Set in `final` the dates the service sets by itself on this move."""
        raise NotImplementedError

    def check_final(
        self, cells: _Cells, status: str, final: dict[str, Any], given: dict[str, Any]
    ) -> None:
        """The record as it will be once written: the suspension rule, dates in order."""
        if status == "suspended" and final["suspended_until"] is None:
            cells.error(
                "suspended_until", f"a suspended {self.noun} needs the date its suspension ends"
            )
        if status != "suspended" and given.get("suspended_until") is not None:
            cells.error(
                "suspended_until", f"only a suspended {self.noun} has one; this one is {status}"
            )

    def after_create(self, batch: list[tuple[int, Any, str]]) -> None:
        objs = [obj for _line, obj, _ref in batch]
        if any(obj.pk is None for obj in objs):  # a database that cannot return ids on insert
            self.fetch_pks(objs)
        subject = self.model.__name__.lower()
        StatusEvent.objects.bulk_create(
            [
                StatusEvent(
                    **{subject: obj},
                    from_status="",
                    to_status=obj.status,
                    effective_date=self.today,
                    reason=IMPORT_REASON,
                    decision_ref=ref,
                    actor=self.acting_user,
                )
                for _line, obj, ref in batch
            ],
            batch_size=_BATCH,
        )

    def fetch_pks(self, objs: list[Any]) -> None:
        raise NotImplementedError


class _CredentialImporter(_LifecycleImporter):
    kind = "credentials"
    noun = "credential"
    model = Credential
    table = CREDENTIAL_TRANSITIONS
    date_fields = ("issued_on", "expires_on", "suspended_until")

    def check(self, rows: list[_Row], errors: list[RowError]) -> _Plan:
        org = self.organization
        programs = {p.code: p for p in CredentialProgram.objects.filter(organization=org)}
        self.cycle_months = {p.pk: p.cycle_months for p in programs.values()}
        parsed = []
        for n, row in enumerate(rows, start=1):
            cells = _Cells(row, errors)
            ref = cells.external_id()
            number = normalise_number(cells.text("number", required=True))
            if len(number) > 50:
                cells.error("number", f"{len(number)} characters; at most 50")
            code = cells.text("program", required=True).lower()
            program = programs.get(code)
            if code and program is None:
                known = ", ".join(sorted(programs)) or "none yet"
                cells.error(
                    "program",
                    f"no credential program {code!r} in {org.short_name}; its programs: {known}",
                )
            holder = cells.text("holder", required=True)
            status = cells.choice("status", CREDENTIAL_STATUSES, "status")
            values: dict[str, Any] = {}
            for name in self.date_fields:
                if cells.has(name):
                    values[name] = cells.date(name)
            if cells.has("conditions"):
                values["conditions"] = cells.text("conditions")
            decision_ref = cells.text("decision_ref", max_length=200)
            parsed.append((cells, ref, number, program, holder, status, values, decision_ref))
            self.tick("checking", n)

        base = Credential.objects.filter(program__in=list(programs.values())).order_by()
        existing: dict[int, dict[str, SimpleNamespace]] = {}
        for program in programs.values():
            refs = [p[1] for p in parsed if p[3] is program and p[1]]
            if refs:
                existing[program.pk] = _by_reference(
                    Credential.objects.filter(program=program),
                    refs,
                    (
                        "program_id",
                        "number",
                        "status",
                        "holder_id",
                        "holder__external_id",
                        *self.date_fields,
                        "conditions",
                    ),
                )
        holders = _by_reference(
            Person.objects.filter(organization=org), (p[4] for p in parsed if p[4])
        )
        numbers: dict[tuple[int, str], SimpleNamespace] = {}
        for chunk in _chunks({p[2] for p in parsed if p[2]}):
            for pk, program_id, number, external_id in base.filter(number__in=chunk).values_list(
                "pk", "program_id", "number", "external_id"
            ):
                numbers[(program_id, number)] = SimpleNamespace(pk=pk, external_id=external_id)
        # Live credentials of the file's holders, for "one live credential per holder and program".
        # (The status is tested here: filtering on it in SQL leads SQLite to the status index.)
        live_in_db: dict[tuple[int, int], list[SimpleNamespace]] = defaultdict(list)
        for chunk in _chunks({h.pk for h in holders.values()}):
            for pk, program_id, holder_id, number, status in base.filter(
                holder_id__in=chunk
            ).values_list("pk", "program_id", "holder_id", "number", "status"):
                if status in LIVE_CREDENTIAL:
                    live_in_db[(program_id, holder_id)].append(
                        SimpleNamespace(pk=pk, number=number)
                    )

        plan = _Plan()
        seen_refs: dict[tuple[int, str], int] = {}
        seen_numbers: dict[tuple[int, str], int] = {}
        matched: set[int] = set()
        live_in_file: dict[tuple[int, int], list[tuple[_Cells, str]]] = defaultdict(list)
        for cells, ref, number, program, holder_ref, status, values, decision_ref in parsed:
            if program is None:
                continue
            if ref:
                self.duplicate(cells, seen_refs, (program.pk, ref), "external_id", ref)
            if number:
                self.duplicate(cells, seen_numbers, (program.pk, number), "number", number)
            holder = holders.get(holder_ref)
            if holder_ref and holder is None:
                cells.error(
                    "holder",
                    _unknown_reference("person", holder_ref, org, ": import the people first"),
                )
            obj = existing.get(program.pk, {}).get(ref)
            if obj is None and ref.startswith(OMBUDS_ID_PREFIX):
                cells.error("external_id", _unknown_reference("credential", ref, org, ""))
            if obj is not None:
                matched.add(obj.pk)
                if number and number != obj.number:
                    cells.error(
                        "number",
                        f"the number of an existing credential cannot change: it is {obj.number}",
                    )
                # A credential is personal: it never passes to someone else.
                if holder is not None and holder.pk != obj.holder_id:
                    current = obj.holder__external_id or f"{OMBUDS_ID_PREFIX}{obj.holder_id}"
                    cells.error(
                        "holder",
                        f"the holder of an existing credential cannot change: it is {current}",
                    )
            elif number and (program.pk, number) in numbers:
                cells.error(
                    "number",
                    f"{number} is already the number of another {program} credential "
                    f"(external id {_reference(numbers[(program.pk, number)])})",
                )
            else:
                _check_new_number(cells, number, "credential")
            if not cells.ok or holder is None:
                continue
            values["holder_id"] = holder.pk
            if obj is None:
                final = dict.fromkeys(self.date_fields) | values
                self.check_final(cells, status, final, values)
                self.check_new(cells, status, final)
                change = None
            else:
                change = self.plan_update(cells, obj, status, values, decision_ref)
            if not cells.ok:
                continue
            if status in LIVE_CREDENTIAL:
                live_in_file[(program.pk, holder.pk)].append((cells, number))
            if obj is None:
                new = Credential(
                    program=program, number=number, external_id=ref, status=status, **values
                )
                plan.creates.append((cells.line, new, decision_ref))
            elif change is None:
                plan.unchanged += 1
            else:
                plan.changes.append(change)
        for (program_pk, holder_pk), live in live_in_file.items():
            name = next(str(p) for p in programs.values() if p.pk == program_pk)
            first_cells, first_number = live[0]
            for cells, _number in live[1:]:
                cells.error(
                    "holder",
                    f"this person would hold two live {name} credentials: "
                    f"{first_number} on line {first_cells.line} is live too",
                )
            others = [c for c in live_in_db[(program_pk, holder_pk)] if c.pk not in matched]
            if others:
                first_cells.error(
                    "holder",
                    f"this person already holds a live {name} credential ({others[0].number}) "
                    "that this file does not name",
                )
        return plan

    def side_effects(self, obj, status, final) -> None:
        if status == "active" and obj.status == "candidate":
            if obj.issued_on is None:
                final["issued_on"] = self.today
            if obj.expires_on is None:  # a newly certified holder is due after one cycle
                final["expires_on"] = add_months(self.today, self.cycle_months[obj.program_id])

    def check_final(self, cells, status, final, given) -> None:
        super().check_final(cells, status, final, given)
        issued, expires = final["issued_on"], final["expires_on"]
        if issued and expires and expires <= issued:
            cells.error("expires_on", f"{expires} is not after issued_on {issued}")

    def check_new(self, cells: _Cells, status: str, final: dict[str, Any]) -> None:
        """A new credential's status agrees with its dates on the day of the import, as the daily
        task would leave it: valid through its expiry date, expired from the day after."""
        today = self.today
        issued, expires, until = final["issued_on"], final["expires_on"], final["suspended_until"]
        if status in ("active", "suspended", "expired", "lapsed") and expires is None:
            cells.error("expires_on", f"a new {status} credential needs its expiry date")
        elif status in ("active", "suspended") and expires < today:
            cells.error(
                "expires_on",
                f"{expires} is before today ({today}): a credential past its expiry date is "
                f"expired or lapsed, not {status}",
            )
        elif status in ("expired", "lapsed") and expires >= today:
            cells.error(
                "expires_on",
                f"{expires} is not before today ({today}): an {status} credential is past its "
                "expiry date",
            )
        if status == "suspended" and until is not None and until <= today:
            cells.error(
                "suspended_until",
                f"{until} is not after today ({today}): a suspension that has ended is not one",
            )
        if status == "candidate" and issued is not None and issued > today:
            cells.error(
                "issued_on",
                f"{issued} is after today ({today}): a candidate's issue date cannot be ahead",
            )

    def transition(self, change: _Change) -> Credential:
        return services.credential_transition(
            credential=Credential(pk=change.obj.pk),
            to_status=change.to_status,
            effective_date=self.today,
            reason=CHANGE_REASON,
            acting_user=self.acting_user,
            expected_status=change.obj.status,
            **change.transition,
        )

    def fetch_pks(self, objs: list[Any]) -> None:
        by_key = {(o.program_id, o.number): o for o in objs}
        for chunk in _chunks([o.number for o in objs]):
            rows = Credential.objects.filter(number__in=chunk).values_list(
                "pk", "program_id", "number"
            )
            for pk, program_id, number in rows:
                if (program_id, number) in by_key:
                    by_key[(program_id, number)].pk = pk


class _MembershipImporter(_LifecycleImporter):
    kind = "memberships"
    noun = "membership"
    model = Membership
    table = MEMBERSHIP_TRANSITIONS
    date_fields = ("start_date", "renewal_date", "suspended_until")

    def check(self, rows: list[_Row], errors: list[RowError]) -> _Plan:
        org = self.organization
        types = {t.code: t for t in MembershipType.objects.filter(organization=org)}
        parsed = []
        for n, row in enumerate(rows, start=1):
            cells = _Cells(row, errors)
            ref = cells.external_id()
            number = cells.text("number", max_length=50, required=True)
            code = cells.text("membership_type", required=True).lower()
            mtype = types.get(code)
            if code and mtype is None:
                known = ", ".join(sorted(types)) or "none yet"
                cells.error(
                    "membership_type",
                    f"no membership type {code!r} in {org.short_name}; its types: {known}",
                )
            person, agency = cells.text("person"), cells.text("agency")
            holder_column = "person" if cells.has("person") else "agency"
            if person and agency:
                cells.error(holder_column, "a membership is a person's or an agency's, not both")
            elif not person and not agency:
                cells.error(holder_column, "name the member: a person's or an agency's external id")
            elif mtype is not None and (mtype.kind == "organization") != bool(agency):
                cells.error(
                    holder_column,
                    f"{mtype.code} memberships are for "
                    f"{'agencies' if mtype.kind == 'organization' else 'people'}",
                )
            status = cells.choice("status", MEMBERSHIP_STATUSES, "status")
            values: dict[str, Any] = {}
            for name in self.date_fields:
                if cells.has(name):
                    values[name] = cells.date(name)
            decision_ref = cells.text("decision_ref", max_length=200)
            parsed.append((cells, ref, number, mtype, person, agency, status, values, decision_ref))
            self.tick("checking", n)

        base = Membership.objects.filter(organization=org).order_by()
        existing = _by_reference(
            base,
            (p[1] for p in parsed if p[1]),
            (
                "number",
                "status",
                "membership_type_id",
                "person_id",
                "person__external_id",
                "agency_id",
                "agency__external_id",
                *self.date_fields,
            ),
        )
        type_codes = {t.pk: t.code for t in types.values()}
        people = _by_reference(
            Person.objects.filter(organization=org), (p[4] for p in parsed if p[4])
        )
        agencies = _by_reference(
            Agency.objects.filter(organization=org), (p[5] for p in parsed if p[5])
        )
        numbers: dict[str, SimpleNamespace] = {}
        for chunk in _chunks({p[2] for p in parsed if p[2]}):
            for pk, number, external_id in base.filter(number__in=chunk).values_list(
                "pk", "number", "external_id"
            ):
                numbers[number] = SimpleNamespace(pk=pk, external_id=external_id)

        plan = _Plan()
        seen_refs: dict[str, int] = {}
        seen_numbers: dict[str, int] = {}
        for (
            cells,
            ref,
            number,
            mtype,
            person_ref,
            agency_ref,
            status,
            values,
            decision_ref,
        ) in parsed:
            if ref:
                self.duplicate(cells, seen_refs, ref, "external_id", ref)
            if number:
                self.duplicate(cells, seen_numbers, number, "number", number)
            person, agency = people.get(person_ref), agencies.get(agency_ref)
            if person_ref and person is None:
                cells.error(
                    "person",
                    _unknown_reference("person", person_ref, org, ": import the people first"),
                )
            if agency_ref and agency is None:
                cells.error(
                    "agency",
                    _unknown_reference("agency", agency_ref, org, ": import the agencies first"),
                )
            obj = existing.get(ref)
            if obj is None and ref.startswith(OMBUDS_ID_PREFIX):
                cells.error("external_id", _unknown_reference("membership", ref, org, ""))
            if obj is not None:
                if number and number != obj.number:
                    cells.error(
                        "number",
                        f"the number of an existing membership cannot change: it is {obj.number}",
                    )
                # A membership, its history and its sanctions stay with their member and type.
                if mtype is not None and mtype.pk != obj.membership_type_id:
                    cells.error(
                        "membership_type",
                        "the membership type of an existing membership cannot change: it is "
                        f"{type_codes.get(obj.membership_type_id, obj.membership_type_id)}",
                    )
                if (person is not None and person.pk != obj.person_id) or (
                    agency is not None and agency.pk != obj.agency_id
                ):
                    if obj.person_id is not None:
                        current = obj.person__external_id or f"{OMBUDS_ID_PREFIX}{obj.person_id}"
                        current = f"the person {current}"
                    else:
                        current = obj.agency__external_id or f"{OMBUDS_ID_PREFIX}{obj.agency_id}"
                        current = f"the agency {current}"
                    cells.error(
                        "person" if person is not None else "agency",
                        f"the member of an existing membership cannot change: it is {current}",
                    )
            elif number in numbers:
                cells.error(
                    "number",
                    f"{number} is already the number of another membership "
                    f"(external id {_reference(numbers[number])})",
                )
            else:
                _check_new_number(cells, number, "membership")
            if not cells.ok:
                continue
            if obj is None:
                values["membership_type_id"] = mtype.pk
                values["person_id"] = person.pk if person else None
                values["agency_id"] = agency.pk if agency else None
                final = dict.fromkeys(self.date_fields) | values
                self.check_final(cells, status, final, values)
                self.check_new(cells, status, final)
                if cells.ok:
                    new = Membership(
                        organization=org, number=number, external_id=ref, status=status, **values
                    )
                    plan.creates.append((cells.line, new, decision_ref))
            else:
                change = self.plan_update(cells, obj, status, values, decision_ref)
                if not cells.ok:
                    continue
                if change is None:
                    plan.unchanged += 1
                else:
                    plan.changes.append(change)
        return plan

    def side_effects(self, obj, status, final) -> None:
        if status == "active" and obj.start_date is None:
            final["start_date"] = self.today

    def check_final(self, cells, status, final, given) -> None:
        super().check_final(cells, status, final, given)
        start, renewal = final["start_date"], final["renewal_date"]
        if start and renewal and renewal < start:
            cells.error("renewal_date", f"{renewal} is before start_date {start}")

    def check_new(self, cells: _Cells, status: str, final: dict[str, Any]) -> None:
        """A new membership's status agrees with its dates on the day of the import, as the daily
        task would leave it: active through its renewal date, in grace from the day after."""
        today = self.today
        renewal, until = final["renewal_date"], final["suspended_until"]
        if status in ("active", "grace") and renewal is None:
            cells.error("renewal_date", f"a new {status} membership needs its renewal date")
        elif status == "active" and renewal < today:
            cells.error(
                "renewal_date",
                f"{renewal} is before today ({today}): a membership past its renewal date is in "
                "grace or lapsed, not active",
            )
        elif status == "grace" and renewal >= today:
            cells.error(
                "renewal_date",
                f"{renewal} is not before today ({today}): a membership in grace is past its "
                "renewal date",
            )
        if status == "suspended" and until is not None and until <= today:
            cells.error(
                "suspended_until",
                f"{until} is not after today ({today}): a suspension that has ended is not one",
            )

    def transition(self, change: _Change) -> Membership:
        return services.membership_transition(
            membership=Membership(pk=change.obj.pk),
            to_status=change.to_status,
            effective_date=self.today,
            reason=CHANGE_REASON,
            acting_user=self.acting_user,
            expected_status=change.obj.status,
            **change.transition,
        )

    def fetch_pks(self, objs: list[Any]) -> None:
        by_number = {o.number: o for o in objs}
        for chunk in _chunks(by_number):
            rows = Membership.objects.filter(
                organization=self.organization, number__in=chunk
            ).values_list("pk", "number")
            for pk, number in rows:
                by_number[number].pk = pk


_IMPORTERS: dict[str, type[_Importer]] = {
    "people": _PeopleImporter,
    "agencies": _AgencyImporter,
    "memberships": _MembershipImporter,
    "credentials": _CredentialImporter,
}


# --- the entry points ---------------------------------------------------------------------------


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
    record gets one status event ("Imported"). ``progress(phase, done, total)`` is called every
    PROGRESS_EVERY rows of each phase ("checking", then "writing").
    """
    report = ImportReport(dry_run=dry_run)
    try:
        rows = _parse(_decode(data), report)
    except _FileUnreadable as exc:
        report.errors.append(RowError(exc.line, None, exc.reason))
        return report
    if rows is None:
        return report
    report.rows = len(rows)
    importer = _IMPORTERS[report.kind](
        organization, acting_user=acting_user, progress=progress, total=len(rows)
    )
    if dry_run:
        plan = importer.check(rows, report.errors)
        report.warnings = importer.warnings
    else:
        try:
            # The checks run inside the transaction too, so that what they saw is what gets written
            # (SQLite takes its write lock at the start; PostgreSQL's constraints catch the rest).
            with transaction.atomic():
                plan = importer.check(rows, report.errors)
                if report.errors:
                    raise _Invalid
                report.warnings = importer.warnings
                with services.audit_batched():
                    importer.write(plan)
                if plan.creates or plan.changes:
                    # One event for the file: the audit chain's lock is taken at the end only.
                    audit.record(
                        action="register.imported",
                        subject_type="organization",
                        subject_id=organization.pk,
                        data={
                            "kind": report.kind,
                            "rows": report.rows,
                            "created": len(plan.creates),
                            "updated": len(plan.changes),
                            "sha256": hashlib.sha256(data).hexdigest(),
                        },
                        organization=organization,
                        actor=acting_user,
                    )
        except _Invalid:
            pass
        except _Refused as exc:
            report.errors.append(RowError(exc.line, "status", exc.reason))
        except IntegrityError as exc:
            report.errors.append(
                RowError(None, None, f"the database refused the import: {exc}; nothing was written")
            )
    if not report.errors:
        report.created, report.updated = len(plan.creates), len(plan.changes)
        report.unchanged = plan.unchanged
        if not dry_run and report.created >= _ANALYZE_AFTER:
            _refresh_statistics()
    report.errors.sort(key=lambda e: e.line or 0)
    return report


# After this many new rows PostgreSQL's planner statistics are stale enough to pick a bad plan for the
# next import's look-ups (measured: a 1M-credential import after 1M people ran at half speed).
_ANALYZE_AFTER = 10_000


def _refresh_statistics() -> None:
    from django.db import connection

    from ombuds.register.models import Agency, Credential, Membership, Person, StatusEvent

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Person, Agency, Membership, Credential, StatusEvent):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _trade_names_cell(names: list) -> str:
    if all(isinstance(n, str) for n in names):
        plain = "; ".join(names)
        if _split_plain(plain) == names and not plain.startswith("["):
            return plain
    return json.dumps(names, ensure_ascii=False)


def _registration_numbers_cell(numbers: list) -> str:
    parts = []
    for item in numbers:
        if not isinstance(item, dict) or set(item) != {"authority", "number"}:
            break
        authority, number = item["authority"], item["number"]
        parts.append(f"{authority}: {number}" if authority else number)
    plain = "; ".join(parts)
    if len(parts) == len(numbers) and not plain.startswith("["):
        cells = _Cells(_Row(0, {"registration_numbers": plain}), [])
        if _registration_numbers(cells) == numbers:
            return plain
    # Authority first, whatever order the database keeps the keys in (PostgreSQL's jsonb sorts them).
    ordered = [
        {"authority": i["authority"], "number": i["number"], **i}
        if isinstance(i, dict) and {"authority", "number"} <= set(i)
        else i
        for i in numbers
    ]
    return json.dumps(ordered, ensure_ascii=False)


def _ref_or_id(external_id: str, pk: int | None) -> str:
    if pk is None:
        return ""
    return external_id or f"{OMBUDS_ID_PREFIX}{pk}"


def _export_rows(organization: Organization, kind: str) -> Iterator[list[str]]:
    if kind == "people":
        names = [c.name for c in KINDS[kind]][1:]
        for pk, ext, *values in (
            Person.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "external_id", *names)
            .iterator(chunk_size=2000)
        ):
            yield [_ref_or_id(ext, pk), *map(_cell, values)]
    elif kind == "agencies":
        for a in Agency.objects.filter(organization=organization).order_by("pk").iterator(2000):
            yield [
                _reference(a),
                a.legal_name,
                _trade_names_cell(a.trade_names),
                _registration_numbers_cell(a.registration_numbers),
                *(
                    getattr(a, name)
                    for name in ("address", "city", "region", "postal_code", "country")
                ),
                a.email,
                a.phone,
                a.website,
            ]
    elif kind == "memberships":
        rows = (
            Membership.objects.filter(organization=organization)
            .order_by("number", "pk")
            .values_list(
                "pk",
                "external_id",
                "number",
                "membership_type__code",
                "person_id",
                "person__external_id",
                "agency_id",
                "agency__external_id",
                "status",
                "start_date",
                "renewal_date",
                "suspended_until",
            )
        )
        for pk, ext, number, code, p_pk, p_ext, a_pk, a_ext, status, *dates in rows.iterator(
            chunk_size=2000
        ):
            yield [
                _ref_or_id(ext, pk),
                number,
                code,
                _ref_or_id(p_ext, p_pk),
                _ref_or_id(a_ext, a_pk),
                status,
                *map(_cell, dates),
                "",
            ]
    else:
        rows = (
            Credential.objects.filter(program__organization=organization)
            .order_by("program__code", "number", "pk")
            .values_list(
                "pk",
                "external_id",
                "number",
                "program__code",
                "holder_id",
                "holder__external_id",
                "status",
                "issued_on",
                "expires_on",
                "suspended_until",
                "conditions",
            )
        )
        for pk, ext, number, code, h_pk, h_ext, status, *rest in rows.iterator(chunk_size=2000):
            yield [
                _ref_or_id(ext, pk),
                number,
                code,
                _ref_or_id(h_ext, h_pk),
                status,
                *map(_cell, rest),
                "",
            ]


def export_csv(*, organization: Organization, kind: str) -> str:
    """The body's register of one kind as CSV, in exactly the columns `import_csv` reads: importing
    the export back changes nothing. decision_ref is left empty (it belongs to a status change, not
    to the record); records without an external id are written as "ombuds:<id>"; a value a
    spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return) is
    written after a "'", which import removes."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of: {', '.join(KINDS)}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # The csv module quotes a value holding a line break only if it is in the line terminator: a
    # lone carriage return would be written bare and end the row there. Such rows are quoted whole.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow([c.name for c in KINDS[kind]])
    for row in _export_rows(organization, kind):
        row = [_escape_formula(value) for value in row]
        (quoted if any("\r" in value for value in row) else writer).writerow(row)
    return out.getvalue()
