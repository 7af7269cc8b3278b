"""Idempotency keys (`submission_key`) are scoped to the body and to the door a complaint came
through ("public" for the form and the public API, a token's or the command line's own scope), and
stored as a keyed hash: nobody can claim the keys other callers will use, and a repeat through the
same door gives back the first case."""

from __future__ import annotations

import json

from ombuds.cases import services
from ombuds.cases.models import Case
from ombuds.cases.services.filing import PUBLIC_SCOPE, submission_key_hash
from tests.cases.conftest import complaint


def test_the_same_key_at_two_bodies_files_two_cases(csec, espcc):
    at_csec = services.case_file(
        organization=csec.org, complaint=complaint(csec, submission_key="shared-key")
    )
    at_espcc = services.case_file(
        organization=espcc.org, complaint=complaint(espcc, submission_key="shared-key")
    )
    assert not at_csec.duplicate and not at_espcc.duplicate
    assert Case.objects.count() == 2


def test_the_same_key_from_two_tokens_files_two_cases(csec):
    first = services.case_file(
        organization=csec.org,
        complaint=complaint(csec, submission_key="batch-7"),
        key_scope="token:1",
    )
    second = services.case_file(
        organization=csec.org,
        complaint=complaint(csec, submission_key="batch-7"),
        key_scope="token:2",
    )
    public = services.case_file(
        organization=csec.org, complaint=complaint(csec, submission_key="batch-7")
    )
    assert len({first.case.pk, second.case.pk, public.case.pk}) == 3
    assert not (first.duplicate or second.duplicate or public.duplicate)


def test_a_repeat_in_the_same_scope_returns_the_first_case(csec):
    first = services.case_file(
        organization=csec.org,
        complaint=complaint(csec, submission_key="retry-me"),
        key_scope="token:1",
    )
    again = services.case_file(
        organization=csec.org,
        complaint=complaint(csec, submission_key="retry-me"),
        key_scope="token:1",
    )
    assert again.duplicate and again.case.pk == first.case.pk
    assert Case.objects.count() == 1


def test_the_client_key_is_not_stored_only_its_keyed_hash(csec):
    case = services.case_file(
        organization=csec.org, complaint=complaint(csec, submission_key="my-own-key")
    ).case
    case.refresh_from_db()
    assert case.submission_scope == PUBLIC_SCOPE
    assert case.submission_key == submission_key_hash(csec.org, PUBLIC_SCOPE, "my-own-key")
    assert "my-own-key" not in case.submission_key and len(case.submission_key) == 64
    assert case.submission_key != submission_key_hash(csec.org, "token:1", "my-own-key")


def test_through_the_public_api_the_key_is_scoped_to_the_body(client, csec, espcc):
    body_json = {
        "what_happened": "The agency kept my deposit.",
        "respondent_name": "Someone Else Ltd",
        "complainant_name": "Pat Doe",
        "submission_key": "api-key-1",
    }
    answers = [
        client.post(
            f"/api/v1/bodies/{body.org.slug}/complaints",
            json.dumps(body_json),
            content_type="application/json",
        )
        for body in (csec, espcc, csec)
    ]
    assert [a.status_code for a in answers] == [201, 201, 200]
    assert answers[2].json()["reference"] == answers[0].json()["reference"]


def test_the_migration_keeps_a_form_sent_before_the_upgrade_finding_its_case(csec):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("ombuds.cases.migrations.0009_scoped_submission_keys")
    filed = services.case_file(organization=csec.org, complaint=complaint(csec))
    Case.objects.filter(pk=filed.case.pk).update(submission_key="old-raw-key", submission_scope="")
    migration.hash_existing_keys(apps, None)
    again = services.case_file(
        organization=csec.org, complaint=complaint(csec, submission_key="old-raw-key")
    )
    assert again.duplicate and again.case.pk == filed.case.pk
