"""Looking up, in a few queries, the records a file's rows name."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from django.db import connection, models

from ombuds.bodies.models import Organization

# A record without an external id of its own is exported as "ombuds:<its id>", and an import matches that
# form back to the same record, so that a register partly entered by hand still round-trips.
OMBUDS_ID_PREFIX = "ombuds:"

# Rows per query when looking records up by a list of values (below SQLite's 999 parameters).
LOOKUP_CHUNK = 900


def chunks(values: Iterable[Any], size: int = LOOKUP_CHUNK) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def by_reference(
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
    for chunk in chunks(external):
        for values in with_external_id.filter(external_id__in=chunk).values(*names):
            found[values["external_id"]] = SimpleNamespace(**values)
    for chunk in chunks(pks):
        for values in queryset.filter(pk__in=chunk, external_id="").values(*names):
            found[pks[values["pk"]]] = SimpleNamespace(**values)
    return found


def _column(model: type[models.Model]) -> str:
    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)}.{quote('external_id')}"


def reference(obj: Any) -> str:
    return obj.external_id or f"{OMBUDS_ID_PREFIX}{obj.pk}"


def unknown_reference(what: str, ref: str, organization: Organization, hint: str) -> str:
    if ref.startswith(OMBUDS_ID_PREFIX):
        return (
            f"no {what} {ref} in {organization.short_name}: ids of the form ombuds:N name "
            "records that have no external id of their own"
        )
    return f"no {what} with external id {ref!r} in {organization.short_name}{hint}"
