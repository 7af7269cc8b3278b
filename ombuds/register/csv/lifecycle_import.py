"""The lifecycle importer: credentials and memberships, whose status changes only as the lifecycle allows.

One importer for both subjects (`ombuds.register.subjects`). Its check runs in phases, each over
the whole file: read the rows' cells; load what exists (the records the rows name, their holders,
the numbers taken) in a few queries; match each row to its record and refuse what may not change;
then the invariants of each record as it will be written (the lifecycle's move and its
requirements, dates in order and true on the day) and, across rows, one live credential per holder
and program. What differs between the subjects, the columns that name the record's kind and its
holder, is a small `lifecycle_columns.Columns` object; everything else is shared.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from ombuds.bodies.models import Organization
from ombuds.core.dates import add_months
from ombuds.register.csv.cells import Cells, check_new_number
from ombuds.register.csv.importers import BATCH, Change, Importer, Plan, diff
from ombuds.register.csv.lifecycle_columns import COLUMNS, Existing, Parsed
from ombuds.register.csv.lookup import (
    OMBUDS_ID_PREFIX,
    by_reference,
    chunks,
    reference,
    unknown_reference,
)
from ombuds.register.csv.reading import Row, RowError
from ombuds.register.lifecycle import Transition, TransitionRefused, check_transition
from ombuds.register.models import StatusEvent
from ombuds.register.services.transitions import lifecycle_transition
from ombuds.register.subjects import CREDENTIAL, MEMBERSHIP, LifecycleSubject

IMPORT_REASON = "Imported"  # the first status event of a record an import creates
CHANGE_REASON = "CSV import"  # a status change an import makes

# The column of the file that satisfies each requirement of a lifecycle transition.
_REQUIREMENT_COLUMNS = {
    "until": "suspended_until",
    "decision_ref": "decision_ref",
    "expires_on": "expires_on",
    "renewal_date": "renewal_date",
}


class LifecycleImporter(Importer):
    """Credentials or memberships (`subject`): a status that changes only as the lifecycle allows."""

    subject: LifecycleSubject

    def __init__(self, organization: Organization, *, kind: str, **options: Any) -> None:
        super().__init__(organization, **options)
        self.columns = COLUMNS[kind](organization)
        self.subject = self.columns.subject
        self.kind, self.noun, self.model = kind, self.subject.name, self.subject.model
        self.date_fields = self.subject.date_fields

    def check(self, rows: list[Row], errors: list[RowError]) -> Plan:
        kinds = self.columns.kinds()
        self.columns.type_codes = {k.pk: k.code for k in kinds.values()}  # for the messages
        self.cycle_months = {k.pk: getattr(k, "cycle_months", None) for k in kinds.values()}
        parsed = self.read(rows, errors, kinds)
        existing = self.load(parsed)
        matched = self.match(parsed, existing)
        plan, kept = self.plan(matched)
        if self.subject is CREDENTIAL:
            self.one_live_credential(kept, parsed)
        return plan

    # Phase 1: every row's cells, checked on their own.
    def read(self, rows: list[Row], errors: list[RowError], kinds: dict[str, Any]) -> list[Parsed]:
        parsed = []
        for n, row in enumerate(rows, start=1):
            parsed.append(self.read_one(Cells(row, errors), kinds))
            self.tick("checking", n)
        return parsed

    def read_one(self, cells: Cells, kinds: dict[str, Any]) -> Parsed:
        ref = cells.external_id()
        number, kind, holders = self.columns.read(cells, kinds)
        status = cells.choice("status", self.subject.statuses, "status")
        values: dict[str, Any] = {}
        for name in self.date_fields:
            if cells.has(name):
                values[name] = cells.date(name)
        self.columns.extra(cells, values)
        decision_ref = cells.text("decision_ref", max_length=200)
        return Parsed(cells, ref, number, kind, holders, status, values, decision_ref)

    # Phase 2: what the rows name, in a few queries whatever the file's length.
    def load(self, parsed: list[Parsed]) -> Existing:
        columns = self.columns
        refs: dict[Any, list[str]] = defaultdict(list)
        scopes = {}
        for row in parsed:
            scope = columns.scope(row)
            if scope is not None and row.ref:
                refs[scope.pk].append(row.ref)
                scopes[scope.pk] = scope
        names = (*columns.fields, *self.date_fields)
        records = {
            pk: by_reference(columns.records(scopes[pk]), scope_refs, names)
            for pk, scope_refs in refs.items()
        }
        holders = {
            column: by_reference(
                model.objects.filter(organization=self.organization),
                (row.holders[column] for row in parsed if row.holders[column]),
            )
            for column, (model, _what, _hint) in columns.holder_columns.items()
        }
        numbers: dict[tuple[int, str], SimpleNamespace] = {}
        base = columns.numbers().order_by()
        for chunk in chunks({row.number for row in parsed if row.number}):
            for pk, scope_pk, number, external_id in base.filter(number__in=chunk).values_list(
                "pk", columns.scope_field, "number", "external_id"
            ):
                numbers[(scope_pk, number)] = SimpleNamespace(pk=pk, external_id=external_id)
        return Existing(records, holders, numbers)

    # Phase 3: each row to its record; what an existing record cannot change.
    def match(self, parsed: list[Parsed], existing: Existing) -> list[Parsed]:
        org, noun = self.organization, self.noun
        seen_refs: dict[tuple[int, str], int] = {}
        seen_numbers: dict[tuple[int, str], int] = {}
        matched = []
        for row in parsed:
            cells, scope = row.cells, self.columns.scope(row)
            if scope is None:
                continue
            if row.ref:
                self.duplicate(cells, seen_refs, (scope.pk, row.ref), "external_id", row.ref)
            if row.number:
                self.duplicate(cells, seen_numbers, (scope.pk, row.number), "number", row.number)
            for column, (_model, what, hint) in self.columns.holder_columns.items():
                ref = row.holders[column]
                row.found[column] = existing.holders[column].get(ref)
                if ref and row.found[column] is None:
                    cells.error(column, unknown_reference(what, ref, org, hint))
            row.obj = existing.records.get(scope.pk, {}).get(row.ref)
            if row.obj is None and row.ref.startswith(OMBUDS_ID_PREFIX):
                cells.error("external_id", unknown_reference(noun, row.ref, org, ""))
            if row.obj is not None:
                if row.number and row.number != row.obj.number:
                    cells.error(
                        "number",
                        f"the number of an existing {noun} cannot change: it is {row.obj.number}",
                    )
                self.columns.check_existing(row, row.obj)
            elif row.number and (scope.pk, row.number) in existing.numbers:
                taken = existing.numbers[(scope.pk, row.number)]
                cells.error(
                    "number",
                    f"{row.number} is already the number of another {self.columns.label(row)}"
                    f"{noun} (external id {reference(taken)})",
                )
            else:
                check_new_number(cells, row.number, noun)
            if cells.ok:
                matched.append(row)
        return matched

    # Phase 4: each record as it will be written, then the rules across records.
    def plan(self, matched: list[Parsed]) -> tuple[Plan, list[Parsed]]:
        plan = Plan()
        kept = []
        for row in matched:
            cells = row.cells
            row.values.update(self.columns.record_values(row))
            change = None
            if row.obj is None:
                final = dict.fromkeys(self.date_fields) | row.values
                self.check_final(cells, row.status, final, row.values)
                self.check_new(cells, row.status, final)
            else:
                change = self.plan_update(cells, row.obj, row.status, row.values, row.decision_ref)
            if not cells.ok:
                continue
            kept.append(row)
            if row.obj is None:
                plan.creates.append((cells.line, self.columns.new_record(row), row.decision_ref))
            elif change is None:
                plan.unchanged += 1
            else:
                plan.changes.append(change)
        return plan, kept

    def one_live_credential(self, kept: list[Parsed], parsed: list[Parsed]) -> None:
        """One live credential per holder and program, in the file and in the register."""
        live = frozenset(self.subject.statuses) - self.subject.ended
        in_file: dict[tuple[int, int], list[Parsed]] = defaultdict(list)
        for row in kept:
            if row.status in live:
                in_file[(row.kind.pk, row.found["holder"].pk)].append(row)
        if not in_file:
            return
        named = {row.obj.pk for row in parsed if row.obj is not None}
        in_db = self.live_credentials({holder for _program, holder in in_file}, live)
        for (program_pk, holder_pk), rows in in_file.items():
            name, first = str(rows[0].kind), rows[0]
            for row in rows[1:]:
                row.cells.error(
                    "holder",
                    f"this person would hold two live {name} credentials: "
                    f"{first.number} on line {first.cells.line} is live too",
                )
            others = [c for c in in_db[(program_pk, holder_pk)] if c.pk not in named]
            if others:
                first.cells.error(
                    "holder",
                    f"this person already holds a live {name} credential ({others[0].number}) "
                    "that this file does not name",
                )

    def live_credentials(
        self, holders: set[int], live: frozenset[str]
    ) -> dict[tuple[int, int], list[SimpleNamespace]]:
        # (The status is tested here: filtering on it in SQL leads SQLite to the status index.)
        found: dict[tuple[int, int], list[SimpleNamespace]] = defaultdict(list)
        base = self.columns.numbers().order_by()
        for chunk in chunks(holders):
            for pk, program_id, holder_id, number, status in base.filter(
                holder_id__in=chunk
            ).values_list("pk", "program_id", "holder_id", "number", "status"):
                if status in live:
                    found[(program_id, holder_id)].append(SimpleNamespace(pk=pk, number=number))
        return found

    # The lifecycle's rules, shared by both subjects.
    def check_change(
        self, cells: Cells, source: str, target: str, given: dict[str, Any]
    ) -> Transition | None:
        """The lifecycle's verdict on source → target, judged as the service will judge it today;
        a missing requirement is reported against the column that should hold it."""
        try:
            row = check_transition(
                self.subject.transitions, source, target, given=set(_REQUIREMENT_COLUMNS)
            )
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
        due = self.subject.due_field
        if due in row.requires and given.get(due) and given[due] <= self.today:
            cells.error(due, f"{row.name} needs a new {due} after today")
        return row if cells.ok else None

    def plan_update(
        self, cells: Cells, obj: Any, status: str, values: dict[str, Any], decision_ref: str
    ) -> Change | None:
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
            transition = self.planned_transition(cells, obj, status, values, decision_ref, final)
            if transition is None:
                return None
        final.update(values)
        self.check_final(cells, status, final, values)
        if status == obj.status and not diff(obj, values):
            return None
        return Change(
            cells.line,
            obj,
            values,
            to_status=status if status != obj.status else None,
            transition=transition,
        )

    def planned_transition(
        self,
        cells: Cells,
        obj: Any,
        status: str,
        values: dict[str, Any],
        decision_ref: str,
        final: dict[str, Any],
    ) -> dict[str, Any] | None:
        """The arguments of the status change a row asks for (None: refused), with what the
        service does besides the status set in ``final``, so that the checks see the result."""
        due = self.subject.due_field
        given = {
            "until": values.get("suspended_until") if status == "suspended" else None,
            "decision_ref": decision_ref,
        }
        if values.get(due) and values[due] != final.get(due):
            given[due] = values[due]
        row = self.check_change(cells, obj.status, status, given)
        if row is None:
            return None
        transition: dict[str, Any] = {"decision_ref": decision_ref}
        if status == "suspended":
            transition["until"] = final["suspended_until"] = given["until"]
        elif obj.status == "suspended":
            final["suspended_until"] = None
        if due in row.requires:
            transition["due_date"] = final[due] = given[due]
        self.side_effects(obj, status, final)
        return transition

    def side_effects(self, obj: Any, status: str, final: dict[str, Any]) -> None:
        """Set in `final` the dates the service sets by itself on this move."""
        if self.subject is MEMBERSHIP:
            if status == "active" and obj.start_date is None:
                final["start_date"] = self.today
        elif status == "active" and obj.status == "candidate":
            if obj.issued_on is None:
                final["issued_on"] = self.today
            if obj.expires_on is None:  # a newly certified holder is due after one cycle
                final["expires_on"] = add_months(self.today, self.cycle_months[obj.program_id])

    def check_final(
        self, cells: Cells, status: str, final: dict[str, Any], given: dict[str, Any]
    ) -> None:
        """The record as it will be once written: the suspension rule, dates in order."""
        noun = self.noun
        if status == "suspended" and final["suspended_until"] is None:
            cells.error("suspended_until", f"a suspended {noun} needs the date its suspension ends")
        if status != "suspended" and given.get("suspended_until") is not None:
            cells.error("suspended_until", f"only a suspended {noun} has one; this one is {status}")
        start_field, due = self.subject.start_field, self.subject.due_field
        start, end = final[start_field], final[due]
        if self.subject is CREDENTIAL and start and end and end <= start:
            cells.error(due, f"{end} is not after {start_field} {start}")
        elif self.subject is MEMBERSHIP and start and end and end < start:
            cells.error(due, f"{end} is before {start_field} {start}")

    def check_new(self, cells: Cells, status: str, final: dict[str, Any]) -> None:
        """A new record's status agrees with its dates on the day of the import, as the daily task
        would leave it: valid through its expiry or renewal date, past it from the day after."""
        today, until = self.today, final["suspended_until"]
        if self.subject is CREDENTIAL:
            _check_new_credential(cells, status, final, today)
        else:
            _check_new_membership(cells, status, final, today)
        if status == "suspended" and until is not None and until <= today:
            cells.error(
                "suspended_until",
                f"{until} is not after today ({today}): a suspension that has ended is not one",
            )
        issued = final.get("issued_on")
        if status == "candidate" and issued is not None and issued > today:
            cells.error(
                "issued_on",
                f"{issued} is after today ({today}): a candidate's issue date cannot be ahead",
            )

    # Writing.
    def transition(self, change: Change) -> Any:
        return lifecycle_transition(
            subject=self.subject,
            record=self.model(pk=change.obj.pk),
            to_status=change.to_status,
            effective_date=self.today,
            reason=CHANGE_REASON,
            acting_user=self.acting_user,
            expected_status=change.obj.status,
            **change.transition,
        )

    def after_create(self, batch: list[tuple[int, Any, str]]) -> None:
        objs = [obj for _line, obj, _ref in batch]
        if any(obj.pk is None for obj in objs):  # a database that cannot return ids on insert
            self.columns.fetch_pks(objs)
        StatusEvent.objects.bulk_create(
            [
                StatusEvent(
                    **{self.noun: obj},
                    from_status="",
                    to_status=obj.status,
                    effective_date=self.today,
                    reason=IMPORT_REASON,
                    decision_ref=ref,
                    actor=self.acting_user,
                )
                for _line, obj, ref in batch
            ],
            batch_size=BATCH,
        )


def _check_new_credential(cells: Cells, status: str, final: dict[str, Any], today: Any) -> None:
    expires = final["expires_on"]
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


def _check_new_membership(cells: Cells, status: str, final: dict[str, Any], today: Any) -> None:
    renewal = final["renewal_date"]
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
