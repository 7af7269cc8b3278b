"""The respondent's link became a party's link (migration cases 0010): links sent before it keep
opening the respondent's page, and only that; going back drops the complainants' links rather than
turning them into respondents'."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ombuds.cases import services
from ombuds.cases.models import ComplainantLink, PartyLink
from tests.cases.conftest import file_case

BEFORE = [("cases", "0014_notice_delivery")]
AFTER = [("cases", "0015_party_links")]


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def _migrate_all() -> None:
    """Every app back to its latest migration: going back to BEFORE also unapplied the other apps'
    migrations that depend on the cases' later ones, which the tests after this one need."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_links_sent_before_the_migration_stay_the_respondents(csec):
    case = file_case(csec)
    assert ComplainantLink.objects.filter(case=case).exists()
    token = "a-respondent-link-sent-last-year"
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM cases_respondentlink")
            assert cursor.fetchone()[0] == 0  # the complainant's link did not turn into one
            now = timezone.now()
            cursor.execute(
                "INSERT INTO cases_respondentlink (case_id, token_hash, created_at, expires_at)"
                " VALUES (%s, %s, %s, %s)",
                [
                    case.pk,
                    hashlib.sha256(token.encode()).hexdigest(),
                    now,
                    now + dt.timedelta(days=10),
                ],
            )
    finally:
        _migrate(AFTER)
        _migrate_all()
    link = PartyLink.objects.get(case=case)
    assert link.party == PartyLink.Party.RESPONDENT
    assert services.respondent_link_case(token) == case
    assert services.complainant_link_case(token) is None
