"""The duties a stored provision states, and its text as written beside its full text: on the
permalink page, in the API, in the JSON export, after a correction and after the data migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from ombuds.codes import exports, services
from ombuds.codes.models import Provision
from ombuds.codes.parser import ParsedCode

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("ombuds.codes.migrations.0003_provision_duties")


def _code() -> ParsedCode:
    """Written for the tests: a lead-in with two clauses, and a provision with mixed duties."""
    return ParsedCode.from_dict(
        {
            "title": "Guild Code",
            "provisions": [
                {
                    "label": "1",
                    "citation": "1",
                    "text": "Members shall:",
                    "full_text": "Members shall:",
                    "modality": "obligation",
                    "children": [
                        {
                            "label": "(a)",
                            "citation": "1(a)",
                            "text": "keep a ledger of every fee; and",
                            "full_text": "Members shall keep a ledger of every fee",
                            "modality": "obligation",
                        },
                        {
                            "label": "(b)",
                            "citation": "1(b)",
                            "text": "answer every letter.",
                            "full_text": "Members shall answer every letter",
                            "modality": "obligation",
                        },
                    ],
                },
                {
                    "label": "2",
                    "citation": "2",
                    "text": "Complaints may be sent to the clerk, who shall answer them. "
                    "Members should be patient. Members shall not threaten the clerk.",
                    "modality": "obligation",
                },
            ],
        }
    )


@pytest.fixture
def guild_code(body):
    version, _ = services.code_version_import(
        organization=body, parsed=_code(), source=b"duties", label="v1", publish=True
    )
    return version


def test_import_stores_each_duty_with_its_sentence(guild_code):
    provision = guild_code.provisions.get(citation="2")
    assert [d["kind"] for d in provision.duties] == [
        "permission",
        "obligation",
        "recommendation",
        "prohibition",
    ]
    assert provision.duties[2]["sentence"] == "Members should be patient."
    clause = guild_code.provisions.get(citation="1(a)")
    assert clause.duties == [
        {"kind": "obligation", "sentence": "Members shall keep a ledger of every fee"}
    ]


def test_the_permalink_shows_the_clause_as_written_and_its_duties(client, guild_code):
    html = client.get("/guild/code/1(a)").content.decode()
    assert "Members shall keep a ledger of every fee" in html  # composed
    assert "(a) keep a ledger of every fee; and" in html  # as written
    assert "As written" in html
    page = client.get("/guild/code/2").content.decode()
    assert "<dt>Duties</dt>" in page
    assert "<strong>must not</strong>: Members shall not threaten the clerk." in page
    assert "<strong>should</strong>: Members should be patient." in page
    assert "<strong>may</strong>:" in page


def test_the_permalink_says_as_written_only_where_it_differs(client, guild_code):
    assert "As written" not in client.get("/guild/code/2").content.decode()


def test_the_api_gives_text_as_written_full_text_and_duties(client, guild_code):
    data = client.get("/api/v1/bodies/guild/code/provisions/1(a)").json()
    assert data["text"] == "keep a ledger of every fee; and"
    assert data["full_text"] == "Members shall keep a ledger of every fee"
    assert data["duties"] == [
        {"kind": "obligation", "sentence": "Members shall keep a ledger of every fee"}
    ]
    tree = client.get("/api/v1/bodies/guild/code").json()
    assert [d["kind"] for d in tree["provisions"][1]["duties"]][-1] == "prohibition"


def test_the_json_export_carries_duties_and_imports_back(body, guild_code):
    data = exports.version_to_dict(guild_code)
    assert data["provisions"][1]["duties"][0]["kind"] == "permission"
    again = ParsedCode.from_dict(data)
    assert again.to_dict() == data


def test_a_correction_works_the_duties_out_again(body):
    draft, _ = services.code_version_import(
        organization=body, parsed=_code(), source=b"draft", label="draft"
    )
    provision = draft.provisions.get(citation="2")
    services.provision_update(
        provision=provision,
        label="2",
        citation="2",
        heading="",
        text="Members may publish their fees.",
    )
    provision.refresh_from_db()
    assert provision.duties == [
        {"kind": "permission", "sentence": "Members may publish their fees."}
    ]
    assert provision.modality == "permission"


def test_the_migration_computes_duties_without_touching_the_canonical_text(guild_code):
    canonical = exports.version_to_markdown(guild_code)
    # As stored before the migration: no duties, and 2 read as a permission by the old rule.
    guild_code.provisions.update(duties=[])
    guild_code.provisions.filter(citation="2").update(modality="permission")
    MIGRATION.compute_duties(apps, None)
    stored = {p.citation: p for p in Provision.objects.filter(version=guild_code)}
    assert [d["kind"] for d in stored["2"].duties][:2] == ["permission", "obligation"]
    assert stored["2"].modality == "obligation"  # a binding duty outranks the permission
    assert stored["1(b)"].duties == [
        {"kind": "obligation", "sentence": "Members shall answer every letter"}
    ]
    assert stored["1"].modality == "obligation"
    guild_code.refresh_from_db()
    assert exports.version_to_markdown(guild_code) == canonical
