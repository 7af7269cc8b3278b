"""What the register's hand-written statements (`public_verify`, `public_search`) share: a list's
placeholders, and a JSON column's value as the ORM would have read it."""

from __future__ import annotations

from django.db import connection


def placeholders(values: list) -> str:
    """``%s, %s, …``: one parameter for each value of an ``IN (…)`` list."""
    return ", ".join(["%s"] * len(values))


def json_value(model, name: str, value):
    """A JSON column's value as the ORM reads it (the engines hand back its text)."""
    return model._meta.get_field(name).from_db_value(value, None, connection)
