"""Invoices at every door, for every role: the staff pages (list, filters, export, issue, paid,
waive, import), the API (invoices:read, invoices:write, payments:write), `ombuds register
invoices ...`, and the holder's own home."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from ombuds.core.changes import version_of
from ombuds.register import invoices
from ombuds.register.models import Invoice, Person
from ombuds.register.tokens import token_create
from tests.register.invoice_world import agency, cgp, credential, days, holder, holder_user, issue

pytestmark = pytest.mark.django_db
__all__ = ["agency", "cgp", "credential", "holder", "holder_user"]

BASE = "/staff/guild/register/invoices/"


@pytest.fixture
def fee(body, holder, credential):
    return issue(body, person=holder, credential=credential)


# --- pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        ("public", 302),
        ("signed_in_no_role", 403),
        ("holder", 403),
        ("committee_member", 403),
        ("other_body_admin", 403),
        ("body_staff", 200),
        ("body_admin", 200),
        ("superuser", 200),
    ],
)
def test_who_opens_the_invoice_pages(client, personas, fee, holder_user, who, status):
    user = holder_user if who == "holder" else personas[who]
    if user is not None:
        client.force_login(user)
    for url in (
        BASE,
        "/staff/guild/register/invoices.csv",
        BASE + "new",
        BASE + "import",
        f"{BASE}{fee.number}/",
    ):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 200:
            assert "no-store" in response["Cache-Control"]
    posted = client.post(f"{BASE}{fee.number}/", {"action": "waive", "waive-reason": "x"})
    assert posted.status_code == (400 if status == 200 else status)  # no version: not changed
    assert Invoice.objects.get(pk=fee.pk).state == "outstanding"


def test_another_bodys_invoice_answers_404(client, personas, other_body, fee):
    client.force_login(personas["other_body_admin"])
    assert client.get(f"/staff/other/register/invoices/{fee.number}/").status_code == 404


def test_staff_issue_pay_and_waive_on_the_pages(client, personas, body, holder, credential):
    client.force_login(personas["body_staff"])
    refused = client.post(BASE + "new", {"kind": "renewal", "amount": "0", "currency": "US"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'class="error-summary"' in page and "Give the due date." in page
    made = client.post(
        BASE + "new",
        {
            "kind": "renewal",
            "credential": "CGP-1",
            "amount": "150.00",
            "currency": "usd",
            "due_on": days(30).isoformat(),
            "description": "CGP renewal",
        },
    )
    invoice = Invoice.objects.get()
    assert made.status_code == 302 and made["Location"] == f"{BASE}{invoice.number}/"
    assert invoice.person == holder and invoice.credential == credential
    detail = client.get(f"{BASE}{invoice.number}/").content.decode()
    assert "Record it as paid" in detail and "CGP renewal" in detail
    version = version_of(invoice)
    future = client.post(
        f"{BASE}{invoice.number}/",
        {"action": "pay", "pay-paid_on": days(2).isoformat(), "pay-version": version},
    )
    assert (
        future.status_code == 400
        and "The payment date is in the future." in future.content.decode()
    )
    paid = client.post(
        f"{BASE}{invoice.number}/",
        {
            "action": "pay",
            "pay-paid_on": days(0).isoformat(),
            "pay-reference": "TX-77",
            "pay-version": version,
        },
    )
    assert paid.status_code == 302
    invoice.refresh_from_db()
    assert invoice.state == "paid" and invoice.payment_reference == "TX-77"
    stale = client.post(
        f"{BASE}{invoice.number}/",
        {"action": "waive", "waive-reason": "Hardship", "waive-version": version},
    )
    assert stale.status_code == 400 and "changed since you read it" in stale.content.decode()


def test_the_list_filters_exports_and_keeps_its_queries(
    client, personas, body, holder, credential, agency, django_assert_max_num_queries
):
    client.force_login(personas["body_admin"])
    paid = issue(body, kind="exam", person=holder)
    invoices.invoice_pay(organization=body, invoice=paid, paid_on=days(0))
    issue(body, kind="application", agency=agency, amount="25")
    overdue = issue(body, kind="exam", person=holder, due=0)
    Invoice.objects.filter(pk=overdue.pk).update(due_on=days(-1), issued_on=days(-10))

    def shown(query: str) -> int:
        return client.get(BASE + query).content.decode().count('data-label="Payer"')

    assert shown("") == 3
    assert shown("?state=paid") == 1 and shown("?state=overdue") == 1
    assert shown("?kind=application") == 1 and shown("?payer=alpha") == 1
    assert shown("?payer=hana") == 2 and shown(f"?payer={paid.number}") == 1
    bad = client.get(BASE + "?state=gone&issued_from=soon")
    assert bad.status_code == 400 and 'class="error-summary"' in bad.content.decode()
    text = b"".join(
        client.get("/staff/guild/register/invoices.csv?state=paid").streaming_content
    ).decode()
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("number,kind,payer") and len(lines) == 2 and paid.number in lines[1]
    with django_assert_max_num_queries(10):
        assert client.get(BASE).status_code == 200
    for n in range(30):
        issue(body, kind="exam", person=holder, amount=f"{n + 1}")
    with django_assert_max_num_queries(10):
        assert client.get(BASE).status_code == 200


def test_the_import_page_records_all_or_nothing(client, personas, body, fee):
    client.force_login(personas["body_staff"])

    def upload(text: str, **extra):
        data = {"file": SimpleUploadedFile("pay.csv", text.encode(), "text/csv"), **extra}
        return client.post(BASE + "import", data)

    bad = upload(f"number,paid_on,amount\n{fee.number},{days(0)},151\nX-1,{days(0)},5\n")
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "nothing was recorded" in page and "the invoice is for 150.00 USD, not 151" in page
    assert "no invoice X-1" in page and Invoice.objects.get().state == "outstanding"
    checked = upload(f"number,paid_on,amount\n{fee.number},{days(0)},150\n", dry_run="on")
    assert "dry run" in checked.content.decode() and Invoice.objects.get().state == "outstanding"
    good = upload(f"number,paid_on,amount\n{fee.number},{days(0)},150\n")
    assert good.status_code == 200 and "1 paid" in good.content.decode()
    assert Invoice.objects.get().state == "paid"


# --- the holder ---------------------------------------------------------------------------------


def test_the_holder_sees_their_own_invoices_and_nobody_elses(
    client, body, holder, holder_user, agency, fee, django_user_model
):
    theirs = issue(body, kind="application", agency=agency, amount="40")
    other_user = django_user_model.objects.create_user("oz", "oz@example.org", "pw")
    other = Person.objects.create(
        organization=body, given_name="Oz", family_name="Other", user=other_user
    )
    hidden = issue(body, kind="exam", person=other, amount="99")
    invoices.invoice_waive(organization=body, invoice=hidden, reason="Secret reason")
    client.force_login(holder_user)
    home = client.get("/me/").content.decode()
    assert fee.number in home and "150.00 USD" in home and "Renewal fee" in home
    assert hidden.number not in home and theirs.number not in home
    client.force_login(agency.admin_user)
    home = client.get("/me/").content.decode()
    assert theirs.number in home and "owed by Alpha Support LLC" in home and fee.number not in home
    client.force_login(other_user)
    home = client.get("/me/").content.decode()
    assert "Waived" in home and "Secret reason" in home and fee.number not in home


# --- the API ------------------------------------------------------------------------------------


def headers(personas, body, scopes, who="body_staff"):
    secret = token_create(user=personas[who], organization=body, name="t", scopes=scopes)[1]
    return {"Authorization": f"Bearer {secret}"}


def post(client, url, data, h):
    return client.post(url, data, content_type="application/json", headers=h)


def test_the_api_by_scope(client, personas, body, holder, credential, fee):
    api = "/api/v1/bodies/guild/invoices"
    read = headers(personas, body, ["invoices:read"])
    payments = headers(personas, body, ["payments:write"])
    write = headers(personas, body, ["invoices:write"])
    rows = client.get(api + "?state=outstanding", headers=payments).json()
    assert [r["number"] for r in rows] == [fee.number] and rows[0]["amount"] == "150.00"
    assert client.get(f"{api}?state=bogus", headers=read).status_code == 400
    assert client.get(f"{api}/NOPE", headers=read).status_code == 404
    new = {
        "kind": "exam",
        "person_external_id": "P-1",
        "amount": "80.00",
        "currency": "USD",
        "due_on": days(10).isoformat(),
    }
    assert post(client, api, new, payments).status_code == 403  # a payment system issues nothing
    made = post(client, api, new, write)
    assert made.status_code == 201 and made.json()["kind"] == "exam"
    assert post(client, api, {**new, "person_external_id": "nobody"}, write).status_code == 400
    pay = {"paid_on": days(0).isoformat(), "payment_reference": "PSP-1", "amount": "150.00"}
    assert post(client, f"{api}/{fee.number}/payment", pay, read).status_code == 403
    wrong = post(client, f"{api}/{fee.number}/payment", {**pay, "amount": "1.00"}, payments)
    assert wrong.status_code == 400 and "150.00 USD" in wrong.json()["detail"]
    done = post(client, f"{api}/{fee.number}/payment", pay, payments)
    assert done.status_code == 200 and done.json()["state"] == "paid"
    assert post(client, f"{api}/{fee.number}/payment", pay, payments).status_code == 200
    other = post(client, f"{api}/{fee.number}/payment", {**pay, "payment_reference": "X"}, payments)
    assert other.status_code == 400
    number = made.json()["number"]
    stale = post(
        client, f"{api}/{number}/waiver", {"reason": "Hardship", "expected_version": "old"}, write
    )
    assert stale.status_code == 409
    assert (
        post(client, f"{api}/{number}/waiver", {"reason": "Hardship"}, payments).status_code == 403
    )
    waived = post(client, f"{api}/{number}/waiver", {"reason": "Hardship"}, write)
    assert waived.status_code == 200 and waived.json()["waive_reason"] == "Hardship"


def test_the_api_imports_a_payment_file_whole_or_not_at_all(client, personas, body, fee):
    api = "/api/v1/bodies/guild/payments"
    payments = headers(personas, body, ["payments:write"])
    bad = post(client, api, {"csv": f"number,paid_on,amount\n{fee.number},{days(0)},1\n"}, payments)
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"line": 2, "column": "number", "reason": "the invoice is for 150.00 USD, not 1.00"}
    ]
    good = {"csv": f"number,paid_on,amount\n{fee.number},{days(0)},150\n"}
    assert post(client, api, {**good, "dry_run": True}, payments).json()["paid"] == 1
    assert Invoice.objects.get().state == "outstanding"
    assert post(client, api, good, payments).json()["paid"] == 1
    assert Invoice.objects.get().state == "paid"
    assert post(client, api, good, headers(personas, body, ["invoices:read"])).status_code == 403


def test_another_bodys_token_gets_nothing(client, personas, body, other_body, fee):
    from ombuds.bodies.models import BodyRole

    assert BodyRole.objects.filter(user=personas["other_body_admin"]).exists()
    theirs = headers(personas, other_body, ["invoices:write"], who="other_body_admin")
    assert client.get("/api/v1/bodies/guild/invoices", headers=theirs).status_code == 403
    assert (
        client.get(f"/api/v1/bodies/other/invoices/{fee.number}", headers=theirs).status_code == 404
    )


# --- the command line ---------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("register", "invoices", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_issues_lists_pays_and_waives(body, personas, holder, credential, tmp_path):
    said = run(
        "issue",
        "--org",
        "guild",
        "--as",
        "sam",
        "--kind",
        "renewal",
        "--credential",
        "CGP-1",
        "--amount",
        "150",
        "--currency",
        "usd",
        "--due",
        days(30).isoformat(),
    )
    invoice = Invoice.objects.get()
    assert said.startswith(f"Invoice {invoice.number} issued to Hana Holder: 150.00 USD")
    assert invoice.number in run(
        "list", "--org", "guild", "--as", "alice", "--state", "outstanding"
    )
    assert run("list", "--org", "guild", "--as", "sam", "--csv").startswith("number,kind,payer")
    file = tmp_path / "pay.csv"
    file.write_text(f"number,paid_on,amount\n{invoice.number},{days(0)},149\n")
    with pytest.raises(CommandError, match="nothing was recorded"):
        run("import", str(file), "--org", "guild", "--as", "sam")
    assert Invoice.objects.get().state == "outstanding"
    file.write_text(f"number,paid_on,amount\n{invoice.number},{days(0)},150\n")
    assert run("import", str(file), "--org", "guild", "--as", "sam") == (
        "payments: 1 rows: 1 paid, 0 already recorded\n"
    )
    other = invoices.invoice_issue(
        organization=body,
        payer=invoices.Payer(person=holder),
        fee=invoices.Fee("exam", Decimal("80"), "USD", days(5)),
    )
    assert run("waive", other.number, "--org", "guild", "--as", "sam", "--reason", "Hardship") == (
        f"Invoice {other.number} waived on {days(0)}.\n"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["paid", "X", "--org", "guild", "--as", "carl", "--on", "2026-01-01"],
            "not an administrator or staff",
        ),
        (
            ["paid", "X", "--org", "guild", "--as", "olga", "--on", "2026-01-01"],
            "not an administrator or staff",
        ),
        (
            ["paid", "X", "--org", "nope", "--as", "sam", "--on", "2026-01-01"],
            "no body with slug 'nope'",
        ),
        (["paid", "X", "--org", "guild", "--as", "sam", "--on", "2026-01-01"], "no invoice X"),
        (["paid", "{n}", "--org", "guild", "--as", "sam", "--on", "someday"], "give a date"),
        (["paid", "{n}", "--org", "guild", "--as", "sam", "--on", "2999-01-01"], "in the future"),
        (["waive", "{n}", "--org", "guild", "--as", "sam", "--reason", " "], "say why"),
        (["import", "/no/such.csv", "--org", "guild", "--as", "sam"], "no such file"),
    ],
    ids=[
        "committee",
        "other-body",
        "no-body",
        "no-invoice",
        "bad-date",
        "future",
        "no-reason",
        "no-file",
    ],
)
def test_the_command_refuses_in_one_line(personas, fee, args, message):
    with pytest.raises(CommandError, match=message):
        run(*[a.replace("{n}", fee.number) for a in args])
    assert Invoice.objects.get(pk=fee.pk).state == "outstanding"
