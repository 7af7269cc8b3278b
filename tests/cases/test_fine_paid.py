"""A fine imposed in a case recorded as paid, at every door: the case page (the chair, staff and
administrators), the register's staff API (a register:write token) and `ombuds register fine-paid`;
the service's refusals shown as a form error, a 400 and a one-line non-zero exit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.register.models import Sanction
from ombuds.register.tokens import token_create
from tests.cases.conftest import end_appeal_window, file_case, take
from tests.cases.test_case_walkthrough import choose, to_sanction


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def fine(csec) -> Sanction:
    case = to_sanction(file_case(csec), csec)
    choose(case, csec, "fine", amount=Decimal("250.00"), currency="USD", due_on=days(30))
    take(case, "impose_sanction", csec.chair)
    end_appeal_window(case)  # the fine reaches the register once it can no longer be appealed
    return Sanction.objects.get()


def _url(fine: Sanction, org: str = "csec") -> str:
    return f"/staff/{org}/cases/{fine.case_choice.case.reference}/sanction/fine-paid"


def _paid(fine: Sanction):
    fine.refresh_from_db()
    return fine.paid_on


# --- the case page ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["ethics_chair", "staff", "administrator"])
def test_the_case_page_shows_the_fine_and_records_it_paid(client, csec, fine, role):
    client.force_login(csec.people[role])
    case_url = f"/staff/csec/cases/{fine.case_choice.case.reference}/"
    html = client.get(case_url).content.decode()
    assert "The fine: 250.00 USD" in html and "not recorded as paid" in html
    assert 'action="' + _url(fine) + '"' in html
    response = client.post(_url(fine), {"paid_on": days(0).isoformat(), "note": "Cheque 1042"})
    assert response.status_code == 302 and response["Location"] == case_url
    assert _paid(fine) == days(0) and fine.payment_note == "Cheque 1042"
    html = client.get(case_url).content.decode()
    assert "paid on" in html and "Cheque 1042" in html and 'action="' + _url(fine) not in html
    event = Event.objects.get(action="register.fine_paid")
    assert event.actor_id == csec.people[role].pk


@pytest.mark.parametrize("role", ["committee_member", "investigator"])
def test_other_roles_on_the_body_may_not_record_it(client, csec, fine, role):
    client.force_login(csec.people[role])
    html = client.get(f"/staff/csec/cases/{fine.case_choice.case.reference}/").content.decode()
    assert "The fine: 250.00 USD" in html and _url(fine) not in html
    assert client.post(_url(fine), {"paid_on": days(0).isoformat()}).status_code == 403
    assert _paid(fine) is None


def test_another_body_gets_404_and_a_visitor_signs_in(client, csec, espcc, fine):
    client.force_login(espcc.people["staff"])
    assert client.post(_url(fine, "espcc"), {"paid_on": days(0).isoformat()}).status_code == 404
    assert client.post(_url(fine), {"paid_on": days(0).isoformat()}).status_code == 403
    client.logout()
    response = client.post(_url(fine), {"paid_on": days(0).isoformat()})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert _paid(fine) is None


def test_the_page_shows_every_problem_and_the_services_refusal(client, csec, fine):
    client.force_login(csec.people["staff"])
    response = client.post(_url(fine), {"paid_on": "", "note": "x" * 2001})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"paid_on", "note"}
    response = client.post(_url(fine), {"paid_on": days(1).isoformat()})
    assert response.status_code == 400
    assert "the payment date is in the future" in response.content.decode()
    assert _paid(fine) is None
    client.post(_url(fine), {"paid_on": days(0).isoformat()})
    response = client.post(_url(fine), {"paid_on": days(0).isoformat()})
    assert response.status_code == 400 and "already recorded as paid" in response.content.decode()


# --- the API --------------------------------------------------------------------------------------


def _bearer(user, org, scopes=("register:write",)) -> dict:
    token = token_create(user=user, organization=org, name="fines", scopes=scopes)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _api(client, fine, payload, org="csec", **headers):
    return client.post(
        f"/api/v1/bodies/{org}/register/sanctions/{fine.pk}/payment",
        payload,
        content_type="application/json",
        **headers,
    )


def test_the_api_records_a_fine_paid_once(client, csec, fine):
    auth = _bearer(csec.people["staff"], csec.org)
    response = _api(client, fine, {"paid_on": days(0).isoformat(), "note": "Wire 77"}, **auth)
    assert response.status_code == 200
    assert response.json() == {
        "id": fine.pk,
        "amount": "250.00 USD",
        "due_on": days(30).isoformat(),
        "paid_on": days(0).isoformat(),
        "note": "Wire 77",
    }
    again = _api(client, fine, {"paid_on": days(0).isoformat()}, **auth)
    assert again.status_code == 400 and "already recorded as paid" in again.json()["detail"]


def test_the_api_refuses_with_its_documented_errors(client, csec, espcc, fine):
    on = {"paid_on": days(0).isoformat()}
    assert _api(client, fine, on).status_code == 401
    read_only = _bearer(csec.people["staff"], csec.org, scopes=("register:read",))
    assert _api(client, fine, on, **read_only).status_code == 403
    other = _bearer(espcc.people["staff"], espcc.org)
    assert _api(client, fine, on, **other).status_code == 403  # the path names another body
    assert _api(client, fine, on, org="espcc", **other).status_code == 404
    auth = _bearer(csec.people["staff"], csec.org)
    future = _api(client, fine, {"paid_on": days(1).isoformat()}, **auth)
    assert future.status_code == 400 and "in the future" in future.json()["detail"]
    assert _api(client, fine, {"paid_on": "soon"}, **auth).status_code == 422
    assert _paid(fine) is None


# --- the CLI --------------------------------------------------------------------------------------


def _cli(fine, user: str, *extra: str, on: str | None = None) -> None:
    call_command(
        "register",
        "fine-paid",
        "--org",
        "csec",
        "--sanction",
        str(fine.pk),
        "--on",
        on or days(0).isoformat(),
        "--as",
        user,
        *extra,
    )


@pytest.mark.parametrize("role", ["ethics_chair", "staff", "administrator"])
def test_the_cli_records_a_fine_paid(csec, fine, capsys, role):
    _cli(fine, csec.people[role].username, "--note", "Cash at the desk")
    assert _paid(fine) == days(0) and fine.payment_note == "Cash at the desk"
    assert capsys.readouterr().out.strip() == f"Fine {fine.pk} (250.00 USD) paid on {days(0)}."


@pytest.mark.parametrize(
    ("who", "on", "reason"),
    [
        ("csec-committee-member", None, "is not an administrator, staff or the ethics chair"),
        ("csec-investigator", None, "is not an administrator, staff or the ethics chair"),
        ("espcc-staff", None, "is not an administrator, staff or the ethics chair"),
        ("nobody", None, "no user 'nobody'"),
        ("csec-staff", "tomorrow", "give a date as YYYY-MM-DD"),
        ("csec-staff", days(1).isoformat(), "the payment date is in the future"),
    ],
)
def test_the_cli_refuses_in_one_line(csec, espcc, fine, who, on, reason):
    with pytest.raises(CommandError) as refused:
        _cli(fine, who, on=on)
    assert reason in str(refused.value) and "\n" not in str(refused.value)
    assert _paid(fine) is None


def test_the_cli_does_not_find_another_bodys_sanction(csec, espcc, fine):
    with pytest.raises(CommandError, match="no sanction"):
        call_command(
            "register", "fine-paid", "--org", "espcc", "--sanction", str(fine.pk),
            "--on", days(0).isoformat(), "--as", "espcc-staff",
        )  # fmt: skip
    assert _paid(fine) is None
