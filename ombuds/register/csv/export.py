"""`export_csv`: a body's register as CSV, in exactly the columns the import reads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

from ombuds.bodies.models import Organization
from ombuds.register.csv.cells import Cells, registration_numbers, split_plain
from ombuds.register.csv.lookup import OMBUDS_ID_PREFIX, reference
from ombuds.register.csv.reading import KINDS, Row, escape_formula
from ombuds.register.models import Agency, Credential, Membership, Person


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _trade_names_cell(names: list) -> str:
    if all(isinstance(n, str) for n in names):
        plain = "; ".join(names)
        if split_plain(plain) == names and not plain.startswith("["):
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
        cells = Cells(Row(0, {"registration_numbers": plain}), [])
        if registration_numbers(cells) == numbers:
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


def _people_rows(organization: Organization) -> Iterator[list[str]]:
    names = [c.name for c in KINDS["people"]][1:]
    for pk, ext, *values in (
        Person.objects.filter(organization=organization)
        .order_by("pk")
        .values_list("pk", "external_id", *names)
        .iterator(chunk_size=2000)
    ):
        yield [_ref_or_id(ext, pk), *map(_cell, values)]


def _agency_rows(organization: Organization) -> Iterator[list[str]]:
    for a in Agency.objects.filter(organization=organization).order_by("pk").iterator(2000):
        yield [
            reference(a),
            a.legal_name,
            _trade_names_cell(a.trade_names),
            _registration_numbers_cell(a.registration_numbers),
            *(getattr(a, name) for name in ("address", "city", "region", "postal_code", "country")),
            a.email,
            a.phone,
            a.website,
        ]


def _membership_rows(organization: Organization) -> Iterator[list[str]]:
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


def _credential_rows(organization: Organization) -> Iterator[list[str]]:
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


_ROWS = {
    "people": _people_rows,
    "agencies": _agency_rows,
    "memberships": _membership_rows,
    "credentials": _credential_rows,
}


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
    for row in _ROWS[kind](organization):
        row = [escape_formula(value) for value in row]
        (quoted if any("\r" in value for value in row) else writer).writerow(row)
    return out.getvalue()
