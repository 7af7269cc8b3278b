"""Filing and checking a return through the members' API: only an administrator of the agency, with
a member token of the body; the files' shape refused with every problem listed and nothing kept;
a return filed for the period replaced only by naming it; the files streamed to disk within a size
limit; the check keeps nothing."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from ombuds.api import multipart
from ombuds.audit.models import Event
from ombuds.compliance import services
from ombuds.compliance.models import Finding, Return, ReturnFile
from tests.compliance import api_world
from tests.compliance.api_world import PLANTED, send, write_return

tokens = api_world.tokens

pytestmark = pytest.mark.django_db


def returns_url(agency) -> str:
    return f"/api/v1/me/agencies/{agency.pk}/compliance/returns"


def check_url(agency) -> str:
    return f"/api/v1/me/agencies/{agency.pk}/compliance/check"


def nothing_stored(events_before: int) -> bool:
    return (
        not Return.objects.exists()
        and not ReturnFile.objects.exists()
        and not Finding.objects.exists()
        and Event.objects.count() == events_before
        and not default_storage.exists("evidence/council/returns")
    )


# --- who may ----------------------------------------------------------------------------------------

WHO = [
    ("agency_admin", 201, 200),
    ("agency_employee", 404, 404),  # works for the agency, does not administer it
    ("other_agency_admin", 404, 404),
    ("body_staff", 401, 401),  # a staff token does not open the members' API
    ("other_body_staff", 401, 401),
    ("wrong_scope", 401, 401),
    ("anonymous", 401, 401),
]


@pytest.mark.parametrize(("who", "filing", "checking"), WHO, ids=[w[0] for w in WHO])
def test_only_the_agencys_administrator_files_and_checks(
    client, council, tokens, tmp_path, who, filing, checking
):
    paths = write_return(tmp_path)
    events_before = Event.objects.count()
    checked = send(client, check_url(council.agency), tokens[who], paths)
    assert checked.status_code == checking, checked.content
    filed = send(client, returns_url(council.agency), tokens[who], paths)
    assert filed.status_code == filing, filed.content
    if filing == 201:
        assert Return.objects.get().filed_by == council.users["agency_admin"]
    else:
        assert "detail" in filed.json()
        assert nothing_stored(events_before)


def test_the_other_agencys_administrator_files_for_their_own(client, council, tokens, tmp_path):
    paths = write_return(tmp_path)
    answer = send(client, returns_url(council.other_agency), tokens["other_agency_admin"], paths)
    assert answer.status_code == 201
    assert Return.objects.get().agency == council.other_agency


# --- filing -------------------------------------------------------------------------------------


def test_a_filed_return_answers_with_its_files_and_findings_citing_provisions(
    client, council, tokens, tmp_path
):
    paths = write_return(tmp_path)
    answer = send(client, returns_url(council.agency), tokens["agency_admin"], paths)
    assert answer.status_code == 201
    body = answer.json()
    filed = Return.objects.get()
    assert body["id"] == filed.pk and body["status"] == "filed" and body["amends"] is None
    assert (body["period_start"], body["period_end"]) == ("2026-03-01", "2026-03-31")
    assert {f["key"]: f["name"] for f in body["files"]} == {
        key: path.name for key, path in paths.items()
    }
    ledger = filed.files.get(key="ledger")
    assert default_storage.open(ledger.file.name).read() == paths["ledger"].read_bytes()
    assert {f["rule"] for f in body["findings"]} == PLANTED
    assert body["finding_count"] == 3
    by_rule = {f["rule"]: f for f in body["findings"]}
    assert by_rule["shortfall"]["provision"] == "CSEC 1.2(c)"
    assert by_rule["no_contract"]["provision"] == "CSEC 1.3(a)"
    assert by_rule["no_contract"]["client"]
    assert by_rule["shortfall"]["amount"] and by_rule["shortfall"]["status"] == "open"
    assert all(f["version"] and f["return_id"] == filed.pk for f in body["findings"])


def test_a_return_whose_shape_is_wrong_lists_every_problem_and_keeps_nothing(
    client, council, tokens, tmp_path
):
    paths = write_return(tmp_path, plant={"records", "shortfall"})
    events_before = Event.objects.count()
    answer = send(client, returns_url(council.agency), tokens["agency_admin"], paths)
    assert answer.status_code == 400
    body = answer.json()
    assert "nothing was filed" in body["detail"]
    assert len(body["problems"]) >= 2  # each record that cannot be right, apart
    assert all(p["file"] == "ledger" for p in body["problems"])
    assert any("kind is not one of" in p["detail"] for p in body["problems"])
    assert nothing_stored(events_before)


def test_a_file_missing_or_a_column_wrong_is_400_with_the_reasons(
    client, council, tokens, tmp_path
):
    paths = write_return(tmp_path)
    events_before = Event.objects.count()
    without_bank = {k: v for k, v in paths.items() if k != "bank"}
    answer = send(client, returns_url(council.agency), tokens["agency_admin"], without_bank)
    assert answer.status_code == 400
    assert answer.json()["problems"] == [
        {
            "file": None,
            "detail": "the bank file is missing (The trust account's closing balance on each "
            "statement date)",
            "client": None,
            "date": None,
            "value": None,
        }
    ]
    paths["contracts"].write_text("client,signed_on,fee\nA,2026-01-01,5\n")
    answer = send(client, returns_url(council.agency), tokens["agency_admin"], paths)
    assert answer.status_code == 400
    assert [p["detail"] for p in answer.json()["problems"]] == [
        "the column 'fee_percent' is missing",
        "the column 'fixed_fee' is missing",
        "the column 'fee' is not one of client, signed_on, fee_percent, fixed_fee",
    ]
    assert nothing_stored(events_before)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"period": "March"}, "period: write it YYYY-MM"),
        ({"period": "2026-03-01..2026-03-15"}, "one whole month"),
        ({"return_key": ""}, "return_key: say which return"),
        ({"return_key": "tax"}, "called 'tax'"),
        ({"amends": "first"}, "amends: the number of the return"),
        ({"colour": "blue"}, "colour: not a field of this request"),
        ({"period": "2026-03" * 10}, "period: at most 40 characters"),
        ({"return_key": "t" * 41}, "return_key: at most 40 characters"),
        ({"period": "2026-03\x00"}, "period: a NUL character"),
    ],
    ids=[
        "period-words",
        "period-half",
        "no-return",
        "unknown-return",
        "amends",
        "extra",
        "long-period",
        "long-key",
        "nul",
    ],
)
def test_bad_fields_are_400_with_the_reason_and_nothing_kept(
    client, council, tokens, tmp_path, fields, reason
):
    paths = write_return(tmp_path)
    events_before = Event.objects.count()
    answer = send(client, returns_url(council.agency), tokens["agency_admin"], paths, **fields)
    assert answer.status_code == 400, answer.content
    assert reason in answer.json()["detail"]
    assert nothing_stored(events_before)


def test_a_file_the_return_does_not_declare_is_refused(client, council, tokens, tmp_path):
    paths = write_return(tmp_path)
    extra = tmp_path / "notes.csv"
    extra.write_text("a\n1\n")
    answer = send(
        client, returns_url(council.agency), tokens["agency_admin"], {**paths, "notes": extra}
    )
    assert answer.status_code == 400
    assert "no file called notes" in answer.json()["detail"]
    assert not Return.objects.exists()


def test_a_body_that_is_not_multipart_is_400(client, council, tokens):
    answer = client.post(
        returns_url(council.agency),
        {"return_key": "trust_ledger", "period": "2026-03"},
        content_type="application/json",
        headers=api_world.auth(tokens["agency_admin"]),
    )
    assert answer.status_code == 400
    assert answer.json()["detail"] == "send the request body as multipart/form-data"


def test_a_return_past_the_size_limit_is_413_before_it_is_read(
    client, council, tokens, tmp_path, settings
):
    paths = write_return(tmp_path)
    settings.OMBUDS_COMPLIANCE_UPLOAD_MAX_BYTES = paths["ledger"].stat().st_size // 2
    events_before = Event.objects.count()
    answer = send(client, returns_url(council.agency), tokens["agency_admin"], paths)
    assert answer.status_code == 413
    assert "larger than" in answer.json()["detail"]
    assert nothing_stored(events_before)


def test_the_uploaded_files_are_on_disk_and_gone_after_the_request(
    client, council, tokens, tmp_path, monkeypatch
):
    """Streamed to temporary files (never whole in memory), removed once the request ends."""
    seen, on_disk = {}, []
    real, move = services.return_file, multipart._move

    def moved(upload, folder, key):
        on_disk.append(hasattr(upload, "temporary_file_path"))
        return move(upload, folder, key)

    def spy(**kwargs):
        for key, path in kwargs["paths"].items():
            seen[key] = (path, path.exists())
        return real(**kwargs)

    monkeypatch.setattr(services, "return_file", spy)
    monkeypatch.setattr(multipart, "_move", moved)
    paths = write_return(tmp_path)
    answer = send(client, returns_url(council.agency), tokens["agency_admin"], paths)
    assert answer.status_code == 201
    assert set(seen) == {"ledger", "bank", "contracts"} and on_disk == [True, True, True]
    for key, (path, existed) in seen.items():
        assert existed and path.name == paths[key].name
        assert not path.exists()  # removed with its folder


# --- amending -----------------------------------------------------------------------------------


def test_a_second_return_for_the_period_must_name_the_first(client, council, tokens, tmp_path):
    first = send(
        client, returns_url(council.agency), tokens["agency_admin"], write_return(tmp_path / "a")
    )
    assert first.status_code == 201
    honest = write_return(tmp_path / "b", plant=())
    again = send(client, returns_url(council.agency), tokens["agency_admin"], honest)
    assert again.status_code == 409
    assert f"return {first.json()['id']} was filed" in again.json()["detail"]
    stale = send(client, returns_url(council.agency), tokens["agency_admin"], honest, amends="999")
    assert stale.status_code == 409
    assert Return.objects.count() == 1
    amended = send(
        client,
        returns_url(council.agency),
        tokens["agency_admin"],
        honest,
        amends=str(first.json()["id"]),
    )
    assert amended.status_code == 201
    assert amended.json()["amends"] == first.json()["id"] and amended.json()["findings"] == []
    assert Return.objects.get(pk=first.json()["id"]).status == Return.Status.SUPERSEDED


def test_amending_a_return_that_does_not_exist_is_400(client, council, tokens, tmp_path):
    answer = send(
        client,
        returns_url(council.agency),
        tokens["agency_admin"],
        write_return(tmp_path),
        amends="12345",
    )
    assert answer.status_code == 400
    assert "no filed return 12345" in answer.json()["detail"]


# --- checking -----------------------------------------------------------------------------------


def test_a_check_answers_the_findings_and_keeps_nothing(client, council, tokens, tmp_path):
    paths = write_return(tmp_path, plant={"negative_balance", "no_contract"})
    events_before = Event.objects.count()
    answer = send(client, check_url(council.agency), tokens["agency_admin"], paths)
    assert answer.status_code == 200
    body = answer.json()
    assert body["accepted"] is True and body["problems"] == [] and body["truncated"] == []
    assert {f["rule"] for f in body["findings"]} == {"negative_balance", "no_contract"}
    for f in body["findings"]:
        assert {"provision", "rule", "client", "date", "amount", "detail"} <= set(f)
        assert f["provision"].startswith("CSEC 1.")
    assert nothing_stored(events_before)


def test_a_check_of_files_whose_shape_is_wrong_lists_the_problems(
    client, council, tokens, tmp_path
):
    paths = write_return(tmp_path, plant={"records"})
    answer = send(client, check_url(council.agency), tokens["agency_admin"], paths)
    assert answer.status_code == 200
    body = answer.json()
    assert body["accepted"] is False and body["findings"] == []
    assert body["problems"] and all(p["file"] == "ledger" for p in body["problems"])


def test_a_check_takes_no_amends(client, council, tokens, tmp_path):
    answer = send(
        client,
        check_url(council.agency),
        tokens["agency_admin"],
        write_return(tmp_path),
        amends="1",
    )
    assert answer.status_code == 400
    assert "amends: not a field" in answer.json()["detail"]


PDF = b"%PDF-1.4\n% a certificate of the tests\n%%EOF\n"


def test_a_return_of_documents_and_statements_is_filed_through_the_api(
    client, council, tokens, tmp_path
):
    (tmp_path / "bond.pdf").write_bytes(PDF)
    (tmp_path / "accounts.pdf").write_bytes(PDF)
    paths = {
        "document_bond": tmp_path / "bond.pdf",
        "document_financial_statements": tmp_path / "accounts.pdf",
    }
    answer = send(
        client,
        returns_url(council.agency),
        tokens["agency_admin"],
        paths,
        return_key="solvency",
        period="2025",
        expires_bond="2025-06-30",
        attest="solvent",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert {d["key"]: d["expires_on"] for d in body["documents"]} == {
        "bond": "2025-06-30",
        "financial_statements": None,
    }
    assert [s["key"] for s in body["statements"]] == ["solvent"]
    # The bond expired mid-year; the insurance was not sent.
    assert sorted((f["rule"], f["provision"]) for f in body["findings"]) == [
        ("bond_in_force", "CSEC 1.2(a)"),
        ("insurance_in_force", "CSEC 1.2(a)"),
    ]


def test_a_document_given_wrong_is_400_listing_every_problem(client, council, tokens, tmp_path):
    (tmp_path / "bond.pdf").write_bytes(PDF)
    (tmp_path / "note.pdf").write_bytes(b"not a pdf at all")
    answer = send(
        client,
        returns_url(council.agency),
        tokens["agency_admin"],
        {"document_bond": tmp_path / "bond.pdf", "document_unknown": tmp_path / "note.pdf"},
        return_key="solvency",
        period="2025",
        attest="solvent,nonsense",
    )
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert "unknown" in detail and "nonsense" in detail and "bond" in detail
    assert not Return.objects.exists()
