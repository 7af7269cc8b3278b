"""The staff's recertification pages across the register: the lists of cycles (submitted, drawn for
audit, open, decided) with a fixed number of queries, the audit draw from the page and its record,
and the cycle page's audit: compliant refused until every activity has its evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ombuds.register import recert_audit
from ombuds.register import recertification as recert
from ombuds.register.models import (
    AuditDraw,
    Credential,
    CredentialProgram,
    Person,
    RecertificationCycle,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)
STAFF = {"body_staff", "body_admin", "superuser"}
PERSONAS = [
    "public",
    "signed_in_no_role",
    "committee_member",
    "other_body_admin",
    "body_staff",
    "body_admin",
    "superuser",
]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def program(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        required_units=Decimal("2"),
        audit_fraction=Decimal("0.5"),
    )


def _submitted(program, n: int, *, evidence: bool = False) -> list[RecertificationCycle]:
    made = []
    start = RecertificationCycle.objects.count()
    for i in range(start, start + n):
        holder = Person.objects.create(
            organization=program.organization, given_name="Holder", family_name=f"No. {i}"
        )
        credential = Credential.objects.create(
            program=program,
            holder=holder,
            number=f"CGP-{i:04d}",
            status="active",
            issued_on=dt.date(2024, 1, 1),
            expires_on=dt.date(2027, 1, 1),
        )
        cycle = recert.cycle_open(credential=credential)
        activity = recert.activity_submit(
            cycle=cycle,
            category="practice",
            title="Workshop",
            units=Decimal(2),
            completed_on=dt.date(2025, 5, 1),
            evidence=SimpleUploadedFile("c.pdf", b"%PDF-1.4 x") if evidence else None,
        )
        recert.activity_review(activity=activity, approve=True)
        made.append(recert.cycle_submit(cycle=cycle))
    return made


def _url(name: str, org: str = "guild", **kwargs) -> str:
    return reverse(f"register_staff:{name}", kwargs={"org": org, **kwargs})


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_bodys_staff_open_the_lists_and_draws(client, personas, program, persona):
    cycles = _submitted(program, 2)
    draw = recert_audit.audit_draw(program=program, fraction="1")
    user = personas[persona]
    if user is not None:
        client.force_login(user)
    for address in (_url("recertification"), _url("audit_draw", pk=draw.pk)):
        response = client.get(address)
        if user is None:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == (200 if persona in STAFF else 403), address
    response = client.post(_url("audit_draw_new"), {"draw-program": str(program.pk)})
    # Staff may draw, but every submitted cycle is drawn already: refused with the reason.
    expected = 302 if user is None else 400 if persona in STAFF else 403
    assert response.status_code == expected
    assert AuditDraw.objects.count() == 1
    assert sorted(draw.population) == sorted(c.pk for c in cycles)


def test_another_bodys_staff_find_no_draw_through_their_own_body(
    client, personas, program, other_body
):
    _submitted(program, 2)
    draw = recert_audit.audit_draw(program=program, fraction="1")
    client.force_login(personas["other_body_admin"])
    assert client.get(_url("audit_draw", org="other", pk=draw.pk)).status_code == 404
    response = client.post(_url("audit_draw_new", org="other"), {"draw-program": str(program.pk)})
    assert response.status_code == 400  # not one of their programmes
    assert AuditDraw.objects.count() == 1


def test_the_submitted_list_shows_each_cycle_and_the_audit(client, personas, program):
    first, second = _submitted(program, 2)
    draw = AuditDraw.objects.create(program=program, seed="s", fraction=1, population=[first.pk])
    RecertificationCycle.objects.filter(pk=first.pk).update(audit_draw=draw)
    client.force_login(personas["body_staff"])
    html = client.get(_url("recertification")).content.decode()
    assert "Submitted, awaiting a decision (2)" in html
    assert "Drawn for audit, awaiting a decision (1)" in html
    assert _url("cycle", pk=first.pk) in html and _url("cycle", pk=second.pk) in html
    assert '<td data-label="Audit">Drawn: 1 without evidence</td>' in html
    html = client.get(_url("recertification") + "?show=audited").content.decode()
    assert _url("cycle", pk=first.pk) in html and _url("cycle", pk=second.pk) not in html
    # An unknown list is the default one, not an error.
    assert client.get(_url("recertification") + "?show=<script>").status_code == 200


def test_the_list_keeps_a_fixed_number_of_queries(
    client, personas, program, django_assert_max_num_queries
):
    _submitted(program, 3)
    client.force_login(personas["body_staff"])
    with django_assert_max_num_queries(12) as few:
        client.get(_url("recertification"))
    _submitted(program, 20)
    recert_audit.audit_draw(program=program, fraction="0.5")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(_url("recertification")).content.decode()
    assert html.count('data-label="Credential"') == 23


def test_staff_draw_a_sample_from_the_page_and_read_its_record(client, personas, program):
    cycles = _submitted(program, 4)
    client.force_login(personas["body_admin"])
    response = client.post(
        _url("audit_draw_new"),
        {"draw-program": str(program.pk), "draw-fraction": "", "draw-seed": "page-seed"},
    )
    draw = AuditDraw.objects.get()
    assert response.status_code == 302 and response["Location"] == _url("audit_draw", pk=draw.pk)
    assert (draw.seed, draw.fraction, draw.drawn_by) == (
        "page-seed",
        Decimal("0.5"),
        personas["body_admin"],
    )
    drawn = recert_audit.draw_sample("page-seed", [c.pk for c in cycles], Decimal("0.5"))
    html = client.get(response["Location"]).content.decode()
    assert "The seed and the cycles drawn from give this sample again." in html
    assert "<code>page-seed</code>" in html
    for pk in drawn:
        assert _url("cycle", pk=pk) in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"draw-fraction": "2"}, "Ensure this value is less than or equal to 1."),
        ({"draw-seed": "two words"}, "A seed is 1 to 64 letters"),
        ({"draw-program": "999"}, "Select a valid choice."),
    ],
    ids=["fraction", "seed", "program"],
)
def test_a_draw_that_cannot_be_made_says_why_and_draws_nothing(
    client, personas, program, data, message
):
    _submitted(program, 2)
    client.force_login(personas["body_staff"])
    response = client.post(_url("audit_draw_new"), {"draw-program": str(program.pk), **data})
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html and 'class="error-summary"' in html
    assert not AuditDraw.objects.exists()


def test_an_audited_cycle_is_not_closed_as_compliant_without_its_evidence(
    client, personas, program
):
    [cycle] = _submitted(program, 1)
    recert_audit.audit_draw(program=program, fraction="1")
    client.force_login(personas["body_staff"])
    html = client.get(_url("cycle", pk=cycle.pk)).content.decode()
    assert "Drawn for audit on" in html
    assert "it can be closed as compliant only once every activity has its evidence" in html
    response = client.post(_url("cycle_close", pk=cycle.pk), {"close-outcome": "compliant"})
    assert response.status_code == 400
    assert (
        "The cycle was drawn for audit and these activities have no evidence: “Workshop”."
        in response.content.decode()
    )
    assert RecertificationCycle.objects.get(pk=cycle.pk).outcome == "open"


def test_the_admin_shows_draws_read_only_and_the_programmes_fraction(client, personas, program):
    _submitted(program, 2)
    draw = recert_audit.audit_draw(program=program, fraction="1")
    client.force_login(personas["superuser"])
    assert "0.500" in client.get("/admin/register/credentialprogram/").content.decode()
    assert client.get("/admin/register/auditdraw/").status_code == 200
    page = client.get(f"/admin/register/auditdraw/{draw.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
