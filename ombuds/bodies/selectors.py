"""Reads about bodies and the roles people hold on them. Return objects or None; never HTTP errors."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import QuerySet

from ombuds.bodies.models import BodyRole, Organization

# Roles that do a body's staff work: edit its codes (drafts, imports, publishing) and its register.
STAFF_ROLES = CODE_EDITOR_ROLES = frozenset({"administrator", "staff"})


def organization_list() -> QuerySet[Organization]:
    return Organization.objects.order_by("name")


# Every page of a body reads the body by its slug first. Building that query cost the ORM ten times
# what the database takes to answer it, so it is written here, each value converted as the ORM's
# compiler converts it for the engine (a date and time from SQLite, for one).
_FIELDS = Organization._meta.concrete_fields


def organization_columns(alias: str = "") -> str:
    """The body's columns in the order `organization_from_row` reads them (``alias.``-qualified for
    a query joining the body to its records, as the register lookup does)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + connection.ops.quote_name(f.column) for f in _FIELDS)


ORGANIZATION_WIDTH = len(_FIELDS)
_TABLE = connection.ops.quote_name(Organization._meta.db_table)
_BY_SLUG = f"SELECT {organization_columns()} FROM {_TABLE} WHERE slug = %s"


_ATTNAMES = [f.attname for f in _FIELDS]


def _converters(conn) -> list[tuple[int, object, list]]:
    """The converters of each column that has any, worked out once per connection (each thread
    has its own) and kept on it, so that they go with it: working them out is most of making a
    body from its row."""
    found = getattr(conn, "_ombuds_organization_converters", None)
    if found is None:
        found = []
        for i, field in enumerate(_FIELDS):
            column = field.get_col(Organization._meta.db_table)
            converters = conn.ops.get_db_converters(column) + field.get_db_converters(conn)
            if converters:
                found.append((i, column, converters))
        conn._ombuds_organization_converters = found
    return found


def organization_from_row(row) -> Organization:
    """The body whose `organization_columns` a query read, as the ORM would have made it."""
    conn = connections[DEFAULT_DB_ALIAS]
    values = list(row)
    for i, column, converters in _converters(conn):
        for convert in converters:
            values[i] = convert(values[i], column, conn)
    return Organization.from_db(conn.alias, _ATTNAMES, values)


def organization_get(slug: str) -> Organization | None:
    """The body with this slug, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_BY_SLUG, [slug])
        row = cursor.fetchone()
    return None if row is None else organization_from_row(row)


def user_roles(user, organization: Organization) -> set[str]:
    """The user's roles on the body (none for anonymous visitors)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        BodyRole.objects.filter(user=user, organization=organization).values_list("role", flat=True)
    )


def is_body_staff(user, organization: Organization) -> bool:
    """Superusers, and the body's administrators and staff."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(user_roles(user, organization) & STAFF_ROLES)


can_edit_codes = is_body_staff


def roles_by_body(user) -> dict[int, tuple[Organization, set[str]]]:
    """Each body the user holds a role on, by id, with the roles: one query, in the bodies' order
    by name. Empty for anonymous visitors; a superuser's own roles only."""
    if user is None or not user.is_authenticated:
        return {}
    by_body: dict[int, tuple[Organization, set[str]]] = {}
    roles = BodyRole.objects.filter(user=user).select_related("organization")
    for role in roles.order_by("organization__name"):
        by_body.setdefault(role.organization_id, (role.organization, set()))[1].add(role.role)
    return by_body


def bodies_of(
    user, roles: dict[int, tuple[Organization, set[str]]] | None = None
) -> tuple[list[Organization], list[Organization]]:
    """(bodies whose register and code the user edits, bodies whose cases they work on: any role),
    from one query (none when ``roles``, `roles_by_body` of the user, is given). A superuser has
    both for every body."""
    if user is None or not user.is_authenticated:
        return [], []
    if user.is_superuser:
        every = list(Organization.objects.order_by("name"))
        return every, every
    by_body = roles_by_body(user) if roles is None else roles
    cases = [org for org, _kinds in by_body.values()]
    staff = [org for org, kinds in by_body.values() if kinds & STAFF_ROLES]
    return staff, cases
