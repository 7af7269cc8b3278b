"""The columns that differ between credentials and memberships in a lifecycle import: what names a
record's kind (a credential program, a membership type) and its holder, and the rules about them.
`lifecycle_import.LifecycleImporter` does everything else once for both."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db import models

from ombuds.bodies.models import Organization
from ombuds.register.csv.cells import Cells, normalise_number
from ombuds.register.csv.lookup import OMBUDS_ID_PREFIX, chunks
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)
from ombuds.register.subjects import CREDENTIAL, MEMBERSHIP, LifecycleSubject


@dataclass
class Parsed:
    """One row as read, then matched to what exists."""

    cells: Cells
    ref: str
    number: str
    kind: Any  # the credential program or membership type the row names; None when unknown
    holders: dict[str, str]  # holder column -> the reference in it ("" when empty)
    status: str
    values: dict[str, Any]
    decision_ref: str
    obj: SimpleNamespace | None = None  # the existing record
    found: dict[str, SimpleNamespace | None] = field(default_factory=dict)  # column -> holder


@dataclass
class Existing:
    """What the rows name that is already in the register."""

    records: dict[int, dict[str, SimpleNamespace]]  # scope pk -> reference -> record
    holders: dict[str, dict[str, SimpleNamespace]]  # holder column -> reference -> record
    numbers: dict[tuple[int, str], SimpleNamespace]  # (scope pk, number) -> record


class Columns:
    """The columns that name a record's kind and holder, and the rules about them."""

    subject: LifecycleSubject
    scope_field: str  # the field that scopes numbers and external ids: program_id, organization_id
    fields: tuple[str, ...]  # what the match reads of an existing record, besides its dates
    # holder column -> (model, what it is called, the hint of an unknown reference)
    holder_columns: dict[str, tuple[type[models.Model], str, str]]

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.type_codes: dict[int, str] = {}  # the codes of the kinds, by id

    def kinds(self) -> dict[str, Any]:
        raise NotImplementedError

    def read(self, cells: Cells, kinds: dict[str, Any]) -> tuple[str, Any, dict[str, str]]:
        """The row's number, kind and holder references."""
        raise NotImplementedError

    def extra(self, cells: Cells, values: dict[str, Any]) -> None:
        """Columns of the subject's own, read after the dates."""

    def scope(self, row: Parsed) -> Any:
        """What numbers and external ids are unique in; None: the row cannot be matched."""
        return self.organization

    def records(self, scope: Any) -> models.QuerySet:
        return self.subject.model.objects.filter(**{self.scope_field: scope.pk})

    def numbers(self) -> models.QuerySet:
        return self.subject.model.objects.filter(organization=self.organization)

    def label(self, row: Parsed) -> str:
        return ""

    def check_existing(self, row: Parsed, obj: SimpleNamespace) -> None:
        raise NotImplementedError

    def record_values(self, row: Parsed) -> dict[str, Any]:
        raise NotImplementedError

    def new_record(self, row: Parsed) -> Any:
        raise NotImplementedError

    def fetch_pks(self, objs: list[Any]) -> None:
        """Set the ids of new records, on a database that cannot return them on insert."""
        raise NotImplementedError


def _current(obj: SimpleNamespace, name: str) -> str:
    ref = getattr(obj, f"{name}__external_id")
    return ref or f"{OMBUDS_ID_PREFIX}{getattr(obj, f'{name}_id')}"


class _CredentialColumns(Columns):
    subject = CREDENTIAL
    scope_field = "program_id"
    fields = ("program_id", "number", "status", "holder_id", "holder__external_id", "conditions")
    holder_columns = {"holder": (Person, "person", ": import the people first")}

    def kinds(self) -> dict[str, Any]:
        return {p.code: p for p in CredentialProgram.objects.filter(organization=self.organization)}

    def read(self, cells, kinds):
        number = normalise_number(cells.text("number", required=True))
        if len(number) > 50:
            cells.error("number", f"{len(number)} characters; at most 50")
        code = cells.text("program", required=True).lower()
        program = kinds.get(code)
        if code and program is None:
            known = ", ".join(sorted(kinds)) or "none yet"
            cells.error(
                "program",
                f"no credential program {code!r} in {self.organization.short_name}; "
                f"its programs: {known}",
            )
        return number, program, {"holder": cells.text("holder", required=True)}

    def extra(self, cells, values):
        if cells.has("conditions"):
            values["conditions"] = cells.text("conditions")

    def scope(self, row):
        return row.kind

    def numbers(self):
        return Credential.objects.filter(program__organization=self.organization)

    def label(self, row):
        return f"{row.kind} "

    def check_existing(self, row, obj):
        # A credential is personal: it never passes to someone else.
        holder = row.found["holder"]
        if holder is not None and holder.pk != obj.holder_id:
            row.cells.error(
                "holder",
                "the holder of an existing credential cannot change: it is "
                f"{_current(obj, 'holder')}",
            )

    def record_values(self, row):
        return {"holder_id": row.found["holder"].pk}

    def new_record(self, row):
        return Credential(
            program=row.kind,
            number=row.number,
            external_id=row.ref,
            status=row.status,
            **row.values,
        )

    def fetch_pks(self, objs):
        by_key = {(o.program_id, o.number): o for o in objs}
        for chunk in chunks([o.number for o in objs]):
            rows = Credential.objects.filter(number__in=chunk).values_list(
                "pk", "program_id", "number"
            )
            for pk, program_id, number in rows:
                if (program_id, number) in by_key:
                    by_key[(program_id, number)].pk = pk


class _MembershipColumns(Columns):
    subject = MEMBERSHIP
    scope_field = "organization_id"
    fields = (
        "number",
        "status",
        "membership_type_id",
        "person_id",
        "person__external_id",
        "agency_id",
        "agency__external_id",
    )
    holder_columns = {
        "person": (Person, "person", ": import the people first"),
        "agency": (Agency, "agency", ": import the agencies first"),
    }

    def kinds(self) -> dict[str, Any]:
        return {t.code: t for t in MembershipType.objects.filter(organization=self.organization)}

    def read(self, cells, kinds):
        number = cells.text("number", max_length=50, required=True)
        code = cells.text("membership_type", required=True).lower()
        mtype = kinds.get(code)
        if code and mtype is None:
            known = ", ".join(sorted(kinds)) or "none yet"
            cells.error(
                "membership_type",
                f"no membership type {code!r} in {self.organization.short_name}; "
                f"its types: {known}",
            )
        person, agency = cells.text("person"), cells.text("agency")
        column = "person" if cells.has("person") else "agency"
        if person and agency:
            cells.error(column, "a membership is a person's or an agency's, not both")
        elif not person and not agency:
            cells.error(column, "name the member: a person's or an agency's external id")
        elif mtype is not None and (mtype.kind == "organization") != bool(agency):
            cells.error(
                column,
                f"{mtype.code} memberships are for "
                f"{'agencies' if mtype.kind == 'organization' else 'people'}",
            )
        return number, mtype, {"person": person, "agency": agency}

    def check_existing(self, row, obj):
        # A membership, its history and its sanctions stay with their member and type.
        mtype, person, agency = row.kind, row.found["person"], row.found["agency"]
        if mtype is not None and mtype.pk != obj.membership_type_id:
            row.cells.error(
                "membership_type",
                "the membership type of an existing membership cannot change: it is "
                f"{self.type_codes.get(obj.membership_type_id, obj.membership_type_id)}",
            )
        if (person is not None and person.pk != obj.person_id) or (
            agency is not None and agency.pk != obj.agency_id
        ):
            if obj.person_id is not None:
                current = f"the person {_current(obj, 'person')}"
            else:
                current = f"the agency {_current(obj, 'agency')}"
            row.cells.error(
                "person" if person is not None else "agency",
                f"the member of an existing membership cannot change: it is {current}",
            )

    def record_values(self, row):
        if row.obj is not None:
            return {}
        person, agency = row.found["person"], row.found["agency"]
        return {
            "membership_type_id": row.kind.pk,
            "person_id": person.pk if person else None,
            "agency_id": agency.pk if agency else None,
        }

    def new_record(self, row):
        return Membership(
            organization=self.organization,
            number=row.number,
            external_id=row.ref,
            status=row.status,
            **row.values,
        )

    def fetch_pks(self, objs):
        by_number = {o.number: o for o in objs}
        for chunk in chunks(by_number):
            rows = Membership.objects.filter(
                organization=self.organization, number__in=chunk
            ).values_list("pk", "number")
            for pk, number in rows:
                by_number[number].pk = pk


COLUMNS: dict[str, type[Columns]] = {
    "credentials": _CredentialColumns,
    "memberships": _MembershipColumns,
}
