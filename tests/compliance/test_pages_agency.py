"""The agency's compliance pages: filing a return (checked first, every problem with its file, line
and column, nothing kept until it is filed; amended by naming the return), a return's page, and a
finding's page with its answer. Its administrators only; bad input is a 400 with every problem,
never a 500."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack

import pytest
from django.urls import reverse
from django.utils import timezone

from ombuds.cases.models import BodyProcedure
from ombuds.compliance import findings, services, synthetic
from ombuds.compliance.models import Finding, Return, ReturnFile
from ombuds.core.changes import version_of

MARCH = synthetic.month("2026-03")
FILES = ("ledger", "bank", "contracts")


def _made(tmp_path, plant=("no_contract",), name="made", seed=7):
    made = synthetic.Synthetic(seed=seed, period=MARCH, clients=10, plant=set(plant))
    return made.write(tmp_path / name)


@pytest.fixture
def filed(council, tmp_path) -> Return:
    return services.return_file(
        organization=council.body,
        agency=council.agency,
        return_key="trust_ledger",
        period=MARCH,
        paths=_made(tmp_path, plant=("no_contract", "late_distribution")),
        user=council.users["agency_admin"],
    )


def file_url(council, key="trust_ledger"):
    return reverse("compliance:file", kwargs={"agency": council.agency.pk, "return_key": key})


def return_url(council, filed):
    return reverse("compliance:return", kwargs={"agency": council.agency.pk, "pk": filed.pk})


def finding_url(council, finding):
    return reverse("compliance:finding", kwargs={"agency": council.agency.pk, "pk": finding.pk})


def _post(client, council, paths, *, action="check", period="2026-03", **extra):
    data = {"other_period": period, "action": action, **extra}
    with ExitStack() as stack:
        handles = {key: stack.enter_context(open(path, "rb")) for key, path in paths.items()}
        return client.post(file_url(council), {**data, **handles})


# --- who may open the pages ----------------------------------------------------------------------


PAGES = ["file", "return", "finding"]


def _url(council, filed, page):
    return {
        "file": file_url(council),
        "return": return_url(council, filed),
        "finding": finding_url(council, filed.findings.first()),
    }[page]


@pytest.mark.parametrize("page", PAGES)
def test_the_agencys_administrator_opens_every_page(client, council, filed, page):
    client.force_login(council.users["agency_admin"])
    response = client.get(_url(council, filed, page))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [("agency_employee", 403), ("other_agency_admin", 404), ("body_staff", 404), ("no_role", 404)],
)
def test_nobody_else_opens_them(client, council, filed, page, who, status):
    client.force_login(council.users[who])
    response = client.get(_url(council, filed, page))
    assert response.status_code == status
    assert filed.findings.first().detail not in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_asked_to_sign_in(client, council, filed, page):
    response = client.get(_url(council, filed, page))
    assert response.status_code == 302 and "login" in response["Location"]


def test_nobody_else_files_or_answers_by_posting(client, council, filed, tmp_path):
    finding = filed.findings.first()
    for who in ("agency_employee", "other_agency_admin", "body_staff", "no_role"):
        client.force_login(council.users[who])
        assert _post(client, council, _made(tmp_path), action="file").status_code in (403, 404)
        response = client.post(
            finding_url(council, finding), {"answer": "Mine.", "version": version_of(finding)}
        )
        assert response.status_code in (403, 404)
    assert Return.objects.count() == 1
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN


def test_another_agencys_return_or_finding_is_not_found_under_ones_own(
    client, council, filed, tmp_path
):
    theirs = services.return_file(
        organization=council.body,
        agency=council.other_agency,
        return_key="trust_ledger",
        period=MARCH,
        paths=_made(tmp_path, name="theirs"),
        user=council.users["other_agency_admin"],
    )
    client.force_login(council.users["agency_admin"])
    assert client.get(return_url(council, theirs)).status_code == 404
    assert client.get(finding_url(council, theirs.findings.first())).status_code == 404


def test_a_return_not_in_the_programme_has_no_form(client, council):
    client.force_login(council.users["agency_admin"])
    assert client.get(file_url(council, "nothing")).status_code == 404


PDF = b"%PDF-1.4\n% a certificate of the tests\n%%EOF\n"


def _solvency(client, council, **data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = {
        f"document_{key}": SimpleUploadedFile(f"{key}.pdf", PDF, "application/pdf")
        for key in data.pop("documents", ())
    }
    return client.post(
        file_url(council, "solvency"), {"action": "file", "other_period": "2025", **data, **files}
    )


def test_a_return_of_documents_and_statements_is_filed_from_the_page(client, council):
    client.force_login(council.users["agency_admin"])
    form = client.get(file_url(council, "solvency")).content.decode()
    assert "Surety bond certificate" in form and 'name="expires_bond"' in form
    assert 'name="statement_solvent"' in form and 'type="file"' in form
    response = _solvency(
        client,
        council,
        documents=("financial_statements", "bond"),
        expires_bond="2026-06-30",
        statement_solvent="on",
    )
    assert response.status_code == 302
    filed = Return.objects.get(return_key="solvency")
    assert sorted(filed.documents.values_list("key", flat=True)) == ["bond", "financial_statements"]
    assert filed.documents.get(key="bond").expires_on == dt.date(2026, 6, 30)
    assert filed.statements.get().attested_by == council.users["agency_admin"]
    # The insurance was not sent: its rule's finding, citing its provision.
    assert list(filed.findings.values_list("rule_key", "provision")) == [
        ("insurance_in_force", "1.2(a)")
    ]
    page = client.get(response["Location"]).content.decode()
    assert "Documents as filed" in page and "30 June 2026" in page
    assert "Statements attested" in page


def test_a_document_that_expires_needs_its_date_and_a_date_needs_its_document(client, council):
    client.force_login(council.users["agency_admin"])
    response = _solvency(client, council, documents=("bond",), expires_insurance="2027-01-01")
    assert response.status_code == 400
    text = response.content.decode()
    assert "Give the date it expires." in text
    assert "Choose the document whose expiry date you gave." in text
    assert not Return.objects.exists()


# --- filing --------------------------------------------------------------------------------------


def test_checking_first_lists_the_findings_and_files_nothing(client, council, tmp_path):
    client.force_login(council.users["agency_admin"])
    response = _post(client, council, _made(tmp_path))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Nothing is filed yet" in text
    assert "CSEC 1.3(a)" in text and "no contract" in text.lower()
    assert not Return.objects.exists() and not ReturnFile.objects.exists()


def test_a_check_with_shape_problems_lists_each_with_its_file_line_and_column(
    client, council, tmp_path
):
    client.force_login(council.users["agency_admin"])
    response = _post(client, council, _made(tmp_path, plant=("records",)))
    assert response.status_code == 400
    text = response.content.decode()
    assert "The files were not accepted: 5 problems" in text
    assert "kind is not one of collection" in text
    # The row with the unknown kind, on its line, its column named.
    rows = [r for r in text.split("<tr>") if "kind is not one of" in r]
    assert 'data-label="Column">kind<' in rows[0]
    assert 'data-label="Line">' in rows[0] and 'data-label="Line"></td>' not in rows[0]
    assert not Return.objects.exists()


def test_filing_keeps_the_return_and_shows_its_page(client, council, tmp_path):
    client.force_login(council.users["agency_admin"])
    response = _post(client, council, _made(tmp_path), action="file")
    filed = Return.objects.get()
    assert response.status_code == 302
    assert response["Location"] == return_url(council, filed)
    page = client.get(response["Location"])
    text = page.content.decode()
    assert f"Return {filed.pk} is filed" in text
    finding = filed.findings.get()
    assert finding.detail in text and "CSEC 1.3(a)" in text
    for f in filed.files.all():
        assert f.sha256 in text and f.original_name in text


def test_filing_a_period_filed_already_offers_to_amend_it(client, council, filed, tmp_path):
    client.force_login(council.users["agency_admin"])
    response = _post(client, council, _made(tmp_path, plant=()), action="file")
    assert response.status_code == 400
    text = response.content.decode()
    assert f"return {filed.pk} was filed for this period" in text.lower()
    assert f'name="amends" value="{filed.pk}"' in text
    assert Return.objects.count() == 1
    response = _post(
        client, council, _made(tmp_path, plant=(), name="again"), action="file", amends=filed.pk
    )
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.status == Return.Status.SUPERSEDED
    assert set(filed.findings.values_list("status", flat=True)) == {Finding.Status.CORRECTED}
    assert Return.objects.get(status=Return.Status.FILED).amends == filed


def test_the_amend_link_of_a_return_chooses_its_period(client, council, filed):
    client.force_login(council.users["agency_admin"])
    page = client.get(return_url(council, filed)).content.decode()
    assert f"{file_url(council)}?period=2026-03" in page
    form = client.get(f"{file_url(council)}?period=2026-03").content.decode()
    assert f'name="amends" value="{filed.pk}"' in form


def test_every_problem_of_the_form_is_listed_at_once(client, council):
    client.force_login(council.users["agency_admin"])
    response = client.post(file_url(council), {"action": "file", "other_period": "March"})
    assert response.status_code == 400
    text = response.content.decode()
    assert 'class="error-summary"' in text and 'tabindex="-1"' in text
    assert "Write the period as YYYY-MM" in text
    assert text.count("Choose the file.") >= len(FILES) * 2  # in the summary and by each field
    assert response.context["form"].errors.keys() >= {"other_period", *FILES}
    assert not Return.objects.exists()


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-Q5", "x" * 100_000, "2026-03-01", "\x00", "2026-03..2026-04"]
)
def test_a_bad_period_is_a_problem_not_a_server_error(client, council, tmp_path, period):
    client.force_login(council.users["agency_admin"])
    response = _post(client, council, _made(tmp_path), period=period)
    assert response.status_code == 400
    assert not Return.objects.exists()


def test_files_that_are_not_csv_are_refused_saying_why(client, council, tmp_path):
    client.force_login(council.users["agency_admin"])
    paths = _made(tmp_path)
    paths["ledger"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 200)
    paths["bank"].write_bytes(b"date,closing_balance\n" + b"\x00\xff" * 5000)
    paths["contracts"].write_text("client,signed_on\n" + "A," + "9" * 200_000 + "\n")
    for action in ("check", "file"):
        response = _post(client, council, paths, action=action)
        assert response.status_code == 400
        assert 'class="error-summary"' in response.content.decode()
    assert not Return.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_kept(client, council, tmp_path, settings):
    settings.OMBUDS_COMPLIANCE_MAX_FILE_BYTES = 1024
    client.force_login(council.users["agency_admin"])
    paths = _made(tmp_path)
    assert paths["ledger"].stat().st_size > 1024
    response = _post(client, council, paths, action="file")
    assert response.status_code == 400
    assert "ledger" in response.context["form"].errors
    assert "larger than 1 MB" in response.content.decode()
    assert not Return.objects.exists()


def test_the_filing_form_checks_the_csrf_token(council, tmp_path):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(council.users["agency_admin"])
    response = _post(client, council, _made(tmp_path), action="file")
    assert response.status_code == 403
    assert not Return.objects.exists()


def test_the_period_list_offers_recent_months_saying_which_are_filed(client, council, filed):
    client.force_login(council.users["agency_admin"])
    form = client.get(file_url(council)).context["form"]
    choices = dict(form.fields["period"].choices)
    today = timezone.localdate()
    last = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert last in choices and len(choices) == 13  # twelve months and "Choose"
    if "2026-03" in choices:
        assert f"filed as return {filed.pk}" in choices["2026-03"]


# --- a finding and its answer --------------------------------------------------------------------


def test_the_administrator_answers_a_finding(client, council, filed):
    finding = filed.findings.get(rule_key="no_contract")
    client.force_login(council.users["agency_admin"])
    page = client.get(finding_url(council, finding)).content.decode()
    assert "CSEC 1.3(a)" in page and finding.detail in page
    assert "Send the answer to the council" in page
    response = client.post(
        finding_url(council, finding),
        {"answer": "The contract was signed on paper.", "version": version_of(finding)},
        follow=True,
    )
    assert response.status_code == 200
    finding.refresh_from_db()
    assert finding.status == Finding.Status.ANSWERED
    text = response.content.decode()
    assert "The contract was signed on paper." in text and "With the council to review" in text
    assert "Send the answer to the council" not in text


def test_an_empty_or_stale_answer_is_refused_saying_why(client, council, filed):
    finding = filed.findings.get(rule_key="no_contract")
    client.force_login(council.users["agency_admin"])
    response = client.post(finding_url(council, finding), {"answer": " ", "version": "x"})
    assert response.status_code == 400
    assert "Write the answer" in response.content.decode()
    stale = version_of(finding)
    Finding.objects.filter(pk=finding.pk).update(updated_at=timezone.now())
    response = client.post(finding_url(council, finding), {"answer": "Ours.", "version": stale})
    assert response.status_code == 400
    assert "changed since you read it" in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN
    # The form now carries the version read again: sent as it is, it is taken.
    fresh = response.context["form"]["version"].value()
    response = client.post(finding_url(council, finding), {"answer": "Ours.", "version": fresh})
    assert response.status_code == 302


@pytest.mark.parametrize("answer", ["x" * 100_000, "\x00"])
def test_an_answer_too_long_or_with_a_nul_is_refused(client, council, filed, answer):
    finding = filed.findings.first()
    client.force_login(council.users["agency_admin"])
    response = client.post(
        finding_url(council, finding), {"answer": answer, "version": version_of(finding)}
    )
    assert response.status_code == 400
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN


def test_after_the_cure_period_the_finding_takes_no_answer(client, council, filed):
    finding = filed.findings.first()
    Finding.objects.filter(pk=finding.pk).update(
        cure_by=timezone.localdate() - dt.timedelta(days=1)
    )
    client.force_login(council.users["agency_admin"])
    page = client.get(finding_url(council, finding)).content.decode()
    assert "Send the answer" not in page and "The time to answer or correct it ended" in page


def test_the_agency_reads_what_the_council_decided_without_the_case_pages(client, council, filed):
    BodyProcedure.objects.create(organization=council.body, procedure_key="csec-article-5")
    staff = council.users["body_staff"]
    closed, referred = filed.findings.order_by("pk")[:2]
    Finding.objects.filter(pk__in=[closed.pk, referred.pk]).update(status=Finding.Status.ESCALATED)
    closed.refresh_from_db()
    referred.refresh_from_db()
    findings.finding_accept(finding=closed, user=staff, reason="The bank's own error.")
    case = findings.finding_refer(finding=referred, user=staff)
    client.force_login(council.users["agency_admin"])
    text = client.get(finding_url(council, closed)).content.decode()
    assert "Closed by the council" in text and "The bank&#x27;s own error." in text
    text = client.get(finding_url(council, referred)).content.decode()
    assert f"case {case.reference}" in text and "/staff/" not in text


def test_the_overview_links_each_finding_and_return(
    client, council, filed, django_assert_max_num_queries
):
    client.force_login(council.users["agency_admin"])
    with django_assert_max_num_queries(16):
        text = client.get(reverse("compliance:agency", args=[council.agency.pk])).content.decode()
    for f in filed.findings.all():
        assert finding_url(council, f) in text
    assert return_url(council, filed) in text
    assert file_url(council) in text


def test_staff_of_another_body_see_none_of_the_agencys_pages(
    client, council, filed, django_user_model
):
    from ombuds.bodies.models import BodyRole, Organization

    elsewhere = Organization.objects.create(slug="elsewhere", name="Elsewhere Council")
    user = django_user_model.objects.create_user("sam", "sam@example.org", "pw-not-used")
    BodyRole.objects.create(user=user, organization=elsewhere, role="staff")
    client.force_login(user)
    for page in PAGES:
        assert client.get(_url(council, filed, page)).status_code == 404


def test_a_return_not_filed_in_time_has_its_finding_page(client, council):
    overdue = Finding.objects.create(
        organization=council.body,
        agency=council.agency,
        return_key="trust_ledger",
        period_start=MARCH[0],
        period_end=MARCH[1],
        rule_key=Finding.OVERDUE_RULE,
        provision="1.2(b)",
        severity="high",
        date=dt.date(2026, 4, 14),
        detail="not filed by its due date, 14 April 2026",
        fingerprint="0" * 64,
        cure_by=timezone.localdate() + dt.timedelta(days=30),
    )
    client.force_login(council.users["agency_admin"])
    text = client.get(finding_url(council, overdue)).content.decode()
    assert "CSEC 1.2(b)" in text and "The return was not filed by its due date" in text
    assert "Not filed: Monthly trust ledger" in text and "Send the answer" in text
    client.force_login(council.users["body_staff"])
    url = reverse("compliance:staff_finding", kwargs={"org": "council", "pk": overdue.pk})
    assert "Not filed: Monthly trust ledger" in client.get(url).content.decode()
