"""On PostgreSQL a statement a connection keeps running is prepared: the server parses and plans it
once (DB_PREPARE_THRESHOLD), and the answers are the same."""

from __future__ import annotations

import pytest
from django.db import connection

from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import organization_get

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"
    ),
]


def _prepared_reads_of_bodies() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "register_organization" WHERE slug = $1%'],
        )
        return cursor.fetchone()[0]


def test_a_body_read_again_and_again_is_prepared_and_reads_the_same():
    Organization.objects.create(slug="guild", name="Guild of Examples", acronym="GOE")
    first = organization_get("guild")
    assert _prepared_reads_of_bodies() == 0
    for _ in range(6):
        again = organization_get("guild")
        assert (again.pk, again.name, again.created_at) == (first.pk, first.name, first.created_at)
    assert _prepared_reads_of_bodies() == 1
    assert organization_get("nobody") is None  # a prepared read with another parameter
