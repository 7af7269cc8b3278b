"""Returns made of documents and attested statements (CSEC's solvency, contract terms and data
security returns): each presence, expiry and attestation rule finds what is missing, expired or not
attested and stays quiet otherwise; what was given wrong is refused with every problem and nothing
kept; a document missing is a finding, not a refusal; who may file; amended returns; the command
line."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from ombuds.audit.models import Event
from ombuds.cases import documents as uploads
from ombuds.compliance import periods, services
from ombuds.compliance.documents import DocumentGiven
from ombuds.compliance.models import Finding, Return, ReturnDocument, ReturnStatement
from ombuds.core.changes import ChangedMeanwhile

YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
PDF = b"%PDF-1.4\n% a certificate of the tests\n%%EOF\n"
SOLVENT = "The agency can pay its debts as they fall due and holds every client's money in trust"


def doc(key: str, name: str = "", data: bytes = PDF) -> DocumentGiven:
    return DocumentGiven(key, name or f"{key}.pdf", data)


def complete() -> dict:
    """A solvency return with nothing to find: every document, in force to the year's end."""
    return {
        "documents": [doc("financial_statements"), doc("bond"), doc("insurance")],
        "expires": {"bond": "2027-06-30", "insurance": dt.date(2026, 12, 31)},
        "statements": ["solvent"],
    }


def file_it(council, who="agency_admin", return_key="solvency", period=YEAR, **given):
    return services.return_file(
        organization=council.body,
        agency=council.agency,
        return_key=return_key,
        period=period,
        user=council.users[who],
        **given,
    )


def check(council, return_key="solvency", period=YEAR, **given):
    return services.return_check(
        organization=council.body,
        agency=council.agency,
        return_key=return_key,
        period=period,
        **given,
    )


def found(outcome_or_return) -> set[tuple[str, str]]:
    if isinstance(outcome_or_return, Return):
        return {(f.rule_key, f.provision) for f in outcome_or_return.findings.all()}
    return {(f.rule, f.provision) for f in outcome_or_return.findings}


def nothing_kept(events_before: int) -> bool:
    return (
        not Return.objects.exists()
        and not ReturnDocument.objects.exists()
        and not ReturnStatement.objects.exists()
        and not Finding.objects.exists()
        and Event.objects.count() == events_before
        and not stored_files("evidence/council/returns")
    )


def stored_files(folder: str) -> list[str]:
    """Every file under ``folder`` in the storage (an empty folder left behind holds nothing)."""
    if not default_storage.exists(folder):
        return []
    folders, files = default_storage.listdir(folder)
    return [f"{folder}/{f}" for f in files] + [
        name for sub in folders for name in stored_files(f"{folder}/{sub}")
    ]


# -- the rules ------------------------------------------------------------------------------------


def test_a_complete_return_has_no_findings(council):
    assert check(council, **complete()).findings == []


@pytest.mark.parametrize(
    ("change", "rule", "detail"),
    [
        (
            lambda g: g["documents"].pop(0),
            "financial_statements_filed",
            "Financial statements for the year: not filed",
        ),
        (
            lambda g: (g["documents"].pop(1), g["expires"].pop("bond")),
            "bond_in_force",
            "Surety bond certificate: not filed",
        ),
        (
            lambda g: g["expires"].update(insurance="2026-12-30"),
            "insurance_in_force",
            "Insurance certificate: expires on 2026-12-30, before the period ends on 2026-12-31",
        ),
        (
            lambda g: g["statements"].clear(),
            "solvency_attested",
            f"{SOLVENT}: not attested",
        ),
    ],
    ids=["present", "in_force_missing", "in_force_expired", "attested"],
)
def test_each_rule_finds_what_is_missing_with_its_provision_and_severity(
    council, change, rule, detail
):
    given = complete()
    change(given)
    (finding,) = check(council, **given).findings
    assert (finding.rule, finding.provision, finding.detail) == (rule, "1.2(a)", detail)
    severity = "medium" if rule == "insurance_in_force" else "high"
    assert finding.severity == severity and finding.client is None and finding.amount is None


def test_an_expired_document_is_dated_by_its_expiry_and_cites_it_as_evidence(council):
    given = complete()
    given["expires"]["bond"] = "2026-06-30"
    (finding,) = check(council, **given).findings
    assert finding.date == dt.date(2026, 6, 30)
    assert finding.evidence == {"document": "bond", "expires_on": "2026-06-30"}
    missing = check(council, documents=[], statements=[]).findings
    assert {f.date for f in missing} == {YEAR[1]}  # the others: the period's last day


def test_an_empty_return_is_filed_with_a_finding_for_each_rule(council):
    filed = file_it(council)
    assert found(filed) == {
        ("solvency_attested", "1.2(a)"),
        ("financial_statements_filed", "1.2(a)"),
        ("bond_in_force", "1.2(a)"),
        ("insurance_in_force", "1.2(a)"),
    }
    assert not filed.documents.exists() and not filed.statements.exists()


def test_the_data_security_return_cites_its_own_provisions(council):
    outcome = check(council, return_key="data_security")
    assert found(outcome) == {
        ("self_assessment_filed", "1.4(b)"),
        ("records_protected_attested", "1.4(a)"),
    }
    given = {"documents": [doc("self_assessment", "answers.txt", b"all kept locked\n")]}
    assert found(check(council, return_key="data_security", **given)) == {
        ("records_protected_attested", "1.4(a)")
    }
    both = {**given, "statements": ["records_protected"]}
    assert check(council, return_key="data_security", **both).findings == []


# -- filing ---------------------------------------------------------------------------------------


def test_a_filed_return_keeps_its_documents_encrypted_and_the_words_attested(council):
    events_before = Event.objects.count()
    filed = file_it(council, **complete())
    assert found(filed) == set()
    bond = filed.documents.get(key="bond")
    assert bond.expires_on == dt.date(2027, 6, 30) and bond.content_type == "application/pdf"
    assert bond.file.name.startswith("evidence/council/returns/") and bond.file.name.endswith(
        "/bond.pdf"
    )
    assert default_storage.open(bond.file.name).read() == PDF
    assert b"certificate of the tests" not in default_storage.open_raw(bond.file.name).read()
    assert filed.documents.get(key="financial_statements").expires_on is None
    (statement,) = filed.statements.all()
    assert (statement.key, statement.label) == ("solvent", SOLVENT)
    assert statement.attested_by == council.users["agency_admin"]
    assert statement.attested_at == filed.filed_at and statement.attested_by_label == "ada"
    assert Event.objects.count() == events_before + 1
    event = Event.objects.order_by("-seq").first()
    assert event.action == "compliance.return_filed"
    assert event.data["documents"]["bond"] == {"sha256": bond.sha256, "expires_on": "2027-06-30"}
    assert event.data["statements"] == {"solvent": SOLVENT}


def test_findings_are_kept_with_the_return(council):
    given = complete()
    given["documents"].pop(0)
    given["expires"]["bond"] = "2026-03-31"
    filed = file_it(council, **given)
    assert {(f.rule_key, f.provision, f.severity, f.date) for f in filed.findings.all()} == {
        ("financial_statements_filed", "1.2(a)", "high", YEAR[1]),
        ("bond_in_force", "1.2(a)", "high", dt.date(2026, 3, 31)),
    }
    assert Event.objects.order_by("-seq").first().data["findings"] == {"1.2(a)": 2}


def test_what_was_given_wrong_is_refused_with_every_problem_and_nothing_kept(council):
    events_before = Event.objects.count()
    with pytest.raises(services.ReturnRefused) as refused:
        file_it(
            council,
            documents=[
                doc("certificate"),
                doc("bond"),
                doc("bond", "again.pdf"),
                doc("insurance"),
                doc("financial_statements", "accounts.pdf", b"MZ\x90\x00\x03\x00"),
            ],
            expires={"bond": "next June", "financial_statements": "2027-01-01"},
            statements=["solvent", "honest"],
        )
    assert refused.value.problems == [
        "the return has no document called 'certificate' (it has financial_statements, bond, "
        "insurance)",
        "bond: the document is given twice",
        f"financial_statements: accounts.pdf is not one of the formats taken ({uploads.ACCEPTED})",
        "bond: the expiry date 'next June' is not a date (YYYY-MM-DD)",
        "financial_statements: the document has no expiry date to give",
        "insurance: give the date the document expires (YYYY-MM-DD)",
        "the return has no statement called 'honest' (it has solvent)",
    ]
    assert nothing_kept(events_before)


def test_a_filing_that_fails_midway_leaves_no_document_behind(council, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    events_before = Event.objects.count()
    monkeypatch.setattr(services, "_audit", broken)
    with pytest.raises(RuntimeError):
        file_it(council, **complete())
    assert nothing_kept(events_before)


def test_an_expiry_date_without_its_document_and_a_misnamed_file_are_refused(council):
    with pytest.raises(services.ReturnRefused) as refused:
        check(
            council,
            documents=[doc("financial_statements", "accounts.docx")],
            expires={"bond": "2027-06-30", "guarantee": "2027-06-30"},
        )
    assert refused.value.problems == [
        "financial_statements: accounts.docx is named as .docx but its content is PDF: rename "
        "it .pdf if that is what it is",
        "bond: an expiry date is given but not the document",
        "the return has no document called 'guarantee' (it has financial_statements, bond, "
        "insurance)",
    ]


def test_a_document_larger_than_uploads_may_be_is_refused(council, tmp_path):
    big = tmp_path / "statements.pdf"
    big.write_bytes(PDF + b"0" * uploads.MAX_BYTES)
    given = DocumentGiven.from_path("financial_statements", big)
    assert len(given.data) == uploads.MAX_BYTES + 1  # not read whole
    with pytest.raises(services.ReturnRefused, match=r"statements\.pdf is larger than 10 MB"):
        check(council, documents=[given])


def test_a_ledger_return_takes_no_document_and_a_document_return_no_file(council, tmp_path):
    csv = tmp_path / "ledger.csv"
    csv.write_text("date,client,kind,amount,reference\n")
    with pytest.raises(services.ReturnRefused) as refused:
        check(
            council,
            return_key="trust_ledger",
            period=(dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
            paths={"ledger": csv},
            documents=[doc("bond")],
            statements=["solvent"],
        )
    assert refused.value.problems == [
        "the return has no document called 'bond' (it has none)",
        "the return has no statement called 'solvent' (it has none)",
    ]
    with pytest.raises(services.ReturnRefused, match="the return has no file called ledger"):
        check(council, paths={"ledger": csv}, **complete())
    with pytest.raises(services.ReturnRefused, match="no return called 'pension'"):
        check(council, return_key="pension")


def test_a_yearly_return_covers_one_whole_year(council):
    with pytest.raises(services.ReturnRefused, match="a yearly return's period is one whole year"):
        check(council, period=periods.parse("2026-05"), **complete())
    fiscal = periods.parse("2025-07-01..2026-06-30")
    assert check(council, period=fiscal, **complete()).findings == []


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("agency_admin", True),
        ("body_staff", True),
        ("agency_employee", False),
        ("other_agency_admin", False),
        ("no_role", False),
    ],
)
def test_the_agencys_administrators_and_the_bodys_staff_file_nobody_else(council, who, allowed):
    events_before = Event.objects.count()
    if allowed:
        filed = file_it(council, who, **complete())
        assert filed.statements.get().attested_by == council.users[who]
    else:
        with pytest.raises(services.ReturnRefused, match="may not file"):
            file_it(council, who, **complete())
        assert nothing_kept(events_before)


def test_an_amended_return_names_the_one_it_replaces_and_stands_alone(council):
    partial = {"documents": [doc("bond")], "expires": {"bond": "2027-06-30"}}
    first = file_it(council, **partial)
    assert len(found(first)) == 3
    with pytest.raises(ChangedMeanwhile, match=f"return {first.pk} was filed"):
        file_it(council, **complete())
    second = file_it(council, "body_staff", amends=first.pk, **complete())
    first.refresh_from_db()
    assert first.status == Return.Status.SUPERSEDED and second.amends == first
    assert found(second) == set() and len(found(first)) == 3
    assert [d.key for d in first.documents.all()] == ["bond"]  # kept as it was filed
    third = file_it(council, amends=second.pk, **partial)
    assert len(found(third)) == 3  # what the amendment does not give again is not filed


# -- returns filed on every change ----------------------------------------------------------------


def test_a_return_filed_on_change_covers_the_day_the_change_takes_effect(council):
    day = periods.parse("2026-04-15")
    assert day == (dt.date(2026, 4, 15), dt.date(2026, 4, 15))
    filed = file_it(
        council,
        return_key="contract_terms",
        period=day,
        documents=[doc("contract_template", "contract.odt", _odt())],
    )
    (finding,) = filed.findings.all()
    assert (finding.rule_key, finding.provision, finding.date) == (
        "fee_schedule_filed",
        "1.3(d)",
        dt.date(2026, 4, 15),
    )
    later = file_it(council, return_key="contract_terms", period=periods.parse("2026-09-01"))
    assert later.amends is None  # another change, another return
    with pytest.raises(services.ReturnRefused, match="the one day the change takes effect"):
        file_it(council, return_key="contract_terms", period=YEAR)


def _odt() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


# -- periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2026", ("2026-01-01", "2026-12-31")),
        ("2026-Q1", ("2026-01-01", "2026-03-31")),
        ("2026-Q4", ("2026-10-01", "2026-12-31")),
        ("2026-02", ("2026-02-01", "2026-02-28")),
        ("2026-02-09", ("2026-02-09", "2026-02-09")),
        ("2025-07-01..2026-06-30", ("2025-07-01", "2026-06-30")),
    ],
)
def test_a_period_is_written_as_people_say_it(text, period):
    assert periods.parse(text) == tuple(dt.date.fromisoformat(d) for d in period)


@pytest.mark.parametrize("text", ["2026-Q5", "26", "2026-13", "2026-02-30", "May 2026", ""])
def test_a_period_that_is_none_is_refused(text):
    with pytest.raises(ValueError):
        periods.parse(text)


def test_the_last_whole_period_before_today():
    today = dt.date(2026, 5, 20)
    assert periods.last("monthly", today) == periods.parse("2026-04")
    assert periods.last("quarterly", today) == periods.parse("2026-Q1")
    assert periods.last("quarterly", dt.date(2026, 1, 5)) == periods.parse("2025-Q4")
    assert periods.last("yearly", today) == periods.parse("2025")
    assert periods.last("on_change", today) is None


# -- the command line -----------------------------------------------------------------------------


def cli(council, *extra, period="2026"):
    argv = ["--org", "council", "--agency", str(council.agency.pk), "--return", "solvency"]
    return [*argv, *(["--period", period] if period else []), *extra]


@pytest.fixture
def certificates(tmp_path):
    paths = {}
    for key in ("financial_statements", "bond", "insurance"):
        paths[key] = tmp_path / f"{key}.pdf"
        paths[key].write_bytes(PDF)
    return paths


def test_check_prints_the_document_findings_as_json_and_files_nothing(
    council, certificates, capsys
):
    call_command(
        "compliance",
        "check",
        *cli(council, "--document", f"bond={certificates['bond']}", "--json"),
        "--expires",
        "bond=2026-06-30",
        "--attest",
        "solvent",
    )
    printed = json.loads(capsys.readouterr().out)
    assert sorted((f["rule"], f["provision"], f["date"]) for f in printed) == [
        ("bond_in_force", "CSEC 1.2(a)", "2026-06-30"),
        ("financial_statements_filed", "CSEC 1.2(a)", "2026-12-31"),
        ("insurance_in_force", "CSEC 1.2(a)", "2026-12-31"),
    ]
    assert not Return.objects.exists()


def test_file_as_an_agency_administrator_the_staff_amending(council, certificates, capsys):
    given = [f"--document={key}={path}" for key, path in certificates.items()]
    given += ["--expires", "bond=2027-06-30", "--expires", "insurance=2027-01-31"]
    with pytest.raises(CommandError, match="may not file"):
        call_command("compliance", "file", *cli(council, *given, "--as", "otto"))
    assert not Return.objects.exists()
    call_command("compliance", "file", *cli(council, *given, "--as", "ada"))
    captured = capsys.readouterr()
    filed = Return.objects.get()
    assert f"filed return {filed.pk}" in captured.err
    assert captured.out.strip().splitlines() == [
        f"CSEC 1.2(a)\tsolvency_attested\t2026-12-31\t{SOLVENT}: not attested"
    ]
    assert filed.documents.count() == 3 and not filed.statements.exists()
    attested = [*given, "--attest", "solvent", "--as", "stella", "--amends", str(filed.pk)]
    call_command("compliance", "file", *cli(council, *attested))
    assert capsys.readouterr().out.strip() == "no findings"
    amended = Return.objects.get(status="filed")
    assert amended.statements.get().attested_by == council.users["body_staff"]


def test_what_was_given_wrong_is_one_line_with_every_problem_and_nothing_kept(
    council, certificates
):
    events_before = Event.objects.count()
    with pytest.raises(CommandError) as failed:
        call_command(
            "compliance",
            "file",
            *cli(council, "--document", f"guarantee={certificates['bond']}", "--as", "ada"),
            "--document",
            f"bond={certificates['bond']}",
            "--expires",
            "bond=soon",
            "--attest",
            "broke",
        )
    message = str(failed.value)
    assert "\n" not in message
    for reason in (
        "no document called 'guarantee'",
        "the expiry date 'soon' is not a date",
        "no statement called 'broke'",
    ):
        assert reason in message
    assert nothing_kept(events_before)


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (["--document", "bond"], "--document 'bond': write it KEY=PATH"),
        (["--document", "bond=/no/such.pdf"], "--document bond: cannot read /no/such.pdf"),
        (["--expires", "bond"], "--expires 'bond': write it KEY=YYYY-MM-DD"),
        (["--expires", "bond=2027-01-01", "--expires", "bond=2028-01-01"], "bond: given twice"),
        (["--period", "2026-Q5"], "--period '2026-Q5' is not a month, quarter, year or day"),
    ],
    ids=["no_path", "no_file", "no_date", "expiry_twice", "bad_period"],
)
def test_bad_flags_end_with_a_one_line_reason(council, extra, reason):
    with pytest.raises(CommandError) as failed:
        call_command("compliance", "check", *cli(council, *extra, period=""))
    assert reason in str(failed.value) and "\n" not in str(failed.value)


def test_an_on_change_return_needs_its_day(council, tmp_path, capsys):
    argv = ["--org", "council", "--agency", str(council.agency.pk), "--return", "contract_terms"]
    with pytest.raises(CommandError, match="give the --period of the contract_terms return"):
        call_command("compliance", "check", *argv)
    template = tmp_path / "template.txt"
    template.write_text("The client agrees...\n")
    call_command(
        "compliance",
        "check",
        *argv,
        "--period",
        "2026-04-15",
        "--document",
        f"contract_template={template}",
        "--json",
    )
    (finding,) = json.loads(capsys.readouterr().out)
    assert (finding["rule"], finding["provision"], finding["date"]) == (
        "fee_schedule_filed",
        "CSEC 1.3(d)",
        "2026-04-15",
    )
