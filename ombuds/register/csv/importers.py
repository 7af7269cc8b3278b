"""Importers: each checks a file's rows into a plan (`check`), then carries the plan out (`write`).

People and agencies are plain records matched on their external id (here); credentials and
memberships follow their lifecycle (`lifecycle_import`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.register.csv.cells import (
    Cells,
    field_max_length,
    registration_numbers,
    trade_names,
)
from ombuds.register.csv.lookup import (
    OMBUDS_ID_PREFIX,
    by_reference,
    chunks,
    unknown_reference,
)
from ombuds.register.csv.reading import KINDS, Row, RowError
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Agency, Person
from ombuds.register.names import NameIndex

# Progress is reported as (phase, rows done, rows in the file); phase is "checking" or "writing".
ProgressCallback = Callable[[str, int, int], None]
PROGRESS_EVERY = 1000
BATCH = 1000  # rows per bulk write


class Refused(Exception):
    """A lifecycle service refused a row's status change while writing (the record changed since
    the checks, or a rule the checks do not repeat)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@dataclass
class Change:
    line: int
    obj: Any
    values: dict[str, Any]  # attribute -> the row's value; the writer applies those that differ
    to_status: str | None = None
    transition: dict[str, Any] = field(default_factory=dict)  # extra arguments of the service


@dataclass
class Plan:
    creates: list[tuple[int, Any, str]] = field(default_factory=list)  # line, object, decision_ref
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0

    def field_changes(self) -> list[dict[str, Any]]:
        """Each field the plan changes on an existing record, with the record's id and external
        id and the old and new values: the import's audit event lists them."""
        listed = []
        for change in self.changes:
            fields = diff(change.obj, change.values)
            if change.to_status is not None:
                fields = {"status": change.to_status, **fields}
            listed.extend(
                {
                    "id": change.obj.pk,
                    "external_id": change.obj.external_id,
                    "field": name,
                    "old": getattr(change.obj, name),
                    "new": new,
                }
                for name, new in fields.items()
            )
        return listed


def diff(obj: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if getattr(obj, name) != value}


class Importer:
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

    def check(self, rows: list[Row], errors: list[RowError]) -> Plan:
        raise NotImplementedError

    def write(self, plan: Plan) -> None:
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
                    raise Refused(change.line, str(exc)) from exc
                done += 1
                self.tick("writing", done, total)
            if changed := diff(current, change.values):
                # Only the changed fields are written, so a bare instance with them is enough.
                obj = self.model(pk=change.obj.pk, updated_at=now, **changed)
                updates[tuple(sorted(changed))].append(obj)
        for names, objs in updates.items():
            self.model.objects.bulk_update(objs, [*names, "updated_at"], batch_size=BATCH)
        done = len(plan.changes)
        if done:
            self.tick("writing", done, total)
        for batch in chunks(plan.creates, BATCH):
            self.model.objects.bulk_create([obj for _line, obj, _ref in batch])
            self.after_create(batch)
            done += len(batch)
            self.tick("writing", done, total)

    def transition(self, change: Change) -> Any:
        raise NotImplementedError

    def after_create(self, batch: list[tuple[int, Any, str]]) -> None:
        pass

    def duplicate(
        self, cells: Cells, seen: dict[Any, int], key: Any, column: str, value: str
    ) -> None:
        if key in seen:
            cells.error(column, f"{value!r} is already on line {seen[key]}")
        else:
            seen[key] = cells.line


class SimpleImporter(Importer):
    """People and agencies: plain records matched on their external id."""

    fields: tuple[str, ...]  # the model fields the columns after external_id fill

    def values(self, cells: Cells) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, rows: list[Row], errors: list[RowError]) -> Plan:
        plan = Plan()
        parsed = []
        for n, row in enumerate(rows, start=1):
            cells = Cells(row, errors)
            parsed.append((cells, cells.external_id(), self.values(cells)))
            self.tick("checking", n)
        existing = by_reference(
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
                cells.error("external_id", unknown_reference(self.noun, ref, self.organization, ""))
            if not cells.ok:
                continue
            if obj is None:
                new = self.model(organization=self.organization, external_id=ref, **values)
                plan.creates.append((cells.line, new, ""))
            elif changed := diff(obj, values):
                plan.changes.append(Change(cells.line, obj, changed))
            else:
                plan.unchanged += 1
        return plan


class PeopleImporter(SimpleImporter):
    kind = "people"
    noun = "person"
    model = Person
    fields = ("given_name", "family_name", "email", "phone", "city", "region", "country")

    def values(self, cells: Cells) -> dict[str, Any]:
        values: dict[str, Any] = {
            "given_name": cells.text("given_name", max_length=150, required=True, name=True),
            "family_name": cells.text("family_name", max_length=150, required=True, name=True),
        }
        for name in ("phone", "city", "region"):
            if cells.has(name):
                values[name] = cells.text(
                    name, max_length=field_max_length(Person, name), name=name == "city"
                )
        if cells.has("email"):
            values["email"] = cells.email("email", Person)
        if cells.has("country"):
            values["country"] = cells.country()
        return values


class AgencyImporter(SimpleImporter):
    kind = "agencies"
    noun = "agency"
    model = Agency
    fields = tuple(c.name for c in KINDS["agencies"][1:])

    def check(self, rows: list[Row], errors: list[RowError]) -> Plan:
        plan = super().check(rows, errors)
        self.warn_similar_names(plan)
        return plan

    def warn_similar_names(self, plan: Plan) -> None:
        """CSEC 4.2: warn of new or renamed agencies whose names a client could confuse with
        another agency's, in the register or elsewhere in the file. A warning does not stop the
        import: staff decide, as on the agency page."""
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

    def values(self, cells: Cells) -> dict[str, Any]:
        values: dict[str, Any] = {
            "legal_name": cells.text("legal_name", max_length=300, required=True, name=True)
        }
        for name in ("address", "city", "region", "postal_code", "phone"):
            if cells.has(name):
                values[name] = cells.text(
                    name,
                    max_length=field_max_length(Agency, name),
                    name=name == "city",
                )
        if cells.has("trade_names"):
            values["trade_names"] = trade_names(cells)
        if cells.has("registration_numbers"):
            values["registration_numbers"] = registration_numbers(cells)
        if cells.has("country"):
            values["country"] = cells.country()
        if cells.has("email"):
            values["email"] = cells.email("email", Agency)
        if cells.has("website"):
            values["website"] = cells.url("website", Agency)
        return values
