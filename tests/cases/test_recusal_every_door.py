"""Recusal holds at every door (issue 12, item 7).

A case someone is recused from, or a case of a body they have no role on, is answered at every door
exactly as a reference that does not exist: the pages, the API and the command line confirm nothing.
And the references handed to case workers reveal no hidden neighbour: they are random codes, not
consecutive numbers, and the inbox's totals count only the cases the reader can see.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases import services
from ombuds.cases.models import BodyProcedure, Case, CaseDeadline
from ombuds.cases.services import filing
from ombuds.cases.services.deadlines import next_due_refresh
from ombuds.register.tokens import token_create

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"
MISSING = "GOE-1999-ZZZZZ"
CODE = r"[2-9A-HJKMNP-TV-Z]{5}"  # the references' alphabet: no 0/O, 1/I/L, U


@pytest.fixture
def world(body, other_body, published, django_user_model):
    """The guild on the CSEC procedure with one case; Cora its chair, Rex its staff recused from
    the case (holding a token), Nora with no role on the guild (her token made while she was staff,
    the role since revoked), Olga the other body's administrator with a token for it."""
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    people = {}
    for username, org, role in (
        ("cora", body, "ethics_chair"),
        ("rex", body, "staff"),
        ("nora", body, "staff"),
        ("olga", other_body, "administrator"),
    ):
        people[username] = django_user_model.objects.create_user(username, f"{username}@x.org")
        BodyRole.objects.create(user=people[username], organization=org, role=role)
    tokens = {
        name: token_create(user=people[name], organization=org, name="door")[1]
        for name, org in (("rex", body), ("nora", body), ("olga", other_body))
    }
    BodyRole.objects.filter(user=people["nora"]).delete()
    case = file_case(body)
    services.recusal_record(
        case=case,
        user=people["rex"],
        reason="Worked for the respondent.",
        acting_user=people["cora"],
    )
    document = services.document_add(
        case=case, name="evidence.pdf", data=PDF, kind="evidence", acting_user=people["cora"]
    )
    return {"people": people, "tokens": tokens, "case": case, "document": document}


def file_case(organization: Organization, **fields) -> Case:
    values = {
        "what_happened": "They kept my payments.",
        "respondent_name": "Acme Recovery",
        "complainant_name": "Pat Doe",
    }
    values.update(fields)
    return services.case_file(
        organization=organization, complaint=services.Complaint(**values)
    ).case


def run(*args: str) -> str:
    out = StringIO()
    call_command("cases", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    message = str(caught.value)
    assert "\n" not in message, message
    return message


def unseen(text: str, reference: str) -> str:
    """An answer with the reference asked for replaced, to compare with the answer for another."""
    return text.replace(reference, "REF")


# --- the command line -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["rex", "nora", "olga"])  # recused; no role; another body's
def test_the_cli_refuses_show_as_for_a_case_that_does_not_exist(world, who):
    """Reproduced on the old main: `ombuds cases show REF --as <recused user>` printed the case."""
    reference = world["case"].reference
    for extra in ([], ["--json"]):
        message = refused("show", reference, "--as", who, *extra)
        assert message == f"no case {reference!r}"
        assert unseen(message, reference) == unseen(
            refused("show", MISSING, "--as", who, *extra), MISSING
        )
    assert "Acme Recovery" not in message
    assert run("show", reference, "--as", "cora").startswith(f"{reference}: Received")


@pytest.mark.parametrize("who", ["rex", "nora"])
def test_the_cli_refuses_a_step_in_the_same_words(world, who):
    case = Case.objects.get(pk=world["case"].pk)
    message = refused("step", case.reference, "acknowledge", "--as", who)
    assert message == f"no case {case.reference!r}"  # not "you are recused from this case"
    assert unseen(message, case.reference) == unseen(
        refused("step", MISSING, "acknowledge", "--as", who), MISSING
    )
    after = Case.objects.get(pk=case.pk)
    assert (after.state, after.version) == ("received", case.version)


@pytest.mark.parametrize("who", ["rex", "nora"])
def test_the_cli_refuses_an_erasure_as_a_user_who_may_not_see_the_case(world, who):
    reference = world["case"].reference
    message = refused("erase", reference, "--reason", "Asked.", "--as", who)
    assert message == f"no case {reference!r}"
    assert unseen(message, reference) == unseen(
        refused("erase", MISSING, "--reason", "Asked.", "--as", who), MISSING
    )


def test_the_cli_lists_as_a_user_only_the_cases_they_may_see(world, body):
    hidden = world["case"].reference
    seen = file_case(body, respondent_name="Beta Collections").reference
    listed = [
        line.split("\t")[0] for line in run("list", "--org", "guild", "--as", "rex").split("\n")
    ]
    assert seen in listed and hidden not in listed
    assert hidden in run("list", "--org", "guild", "--as", "cora")
    assert hidden in run("list", "--org", "guild")  # the operator's own view, on the server
    assert refused("list", "--org", "guild", "--as", "nora") == "'nora' has no role on GOE's cases"
    assert refused("list", "--org", "guild", "--as", "olga") == "'olga' has no role on GOE's cases"
    assert refused("list", "--org", "guild", "--as", "nobody") == "no user 'nobody'"


# --- the pages ------------------------------------------------------------------------------------


def _page_answers(client, world, reference: str) -> list[int]:
    base = f"/staff/guild/cases/{reference}/"
    token = world["document"].token
    return [
        client.get(base).status_code,
        client.get(f"{base}documents/{token}").status_code,
        client.post(f"{base}take").status_code,
        client.post(f"{base}messages/add", {"audience": "internal", "body": "x"}).status_code,
    ]


@pytest.mark.parametrize(("who", "answer"), [("rex", 404), ("nora", 403), ("olga", 403)])
def test_the_pages_answer_as_for_a_case_that_does_not_exist(client, world, who, answer):
    client.force_login(world["people"][who])
    reference = world["case"].reference
    answers = _page_answers(client, world, reference)
    assert answers == [answer] * 4
    assert answers == _page_answers(client, world, MISSING)
    client.force_login(world["people"]["cora"])
    assert client.get(f"/staff/guild/cases/{reference}/").status_code == 200


# --- the API --------------------------------------------------------------------------------------


def _api_answers(client, token: str, org: str, reference: str) -> list[tuple[int, dict]]:
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/bodies/{org}/cases/{reference}"
    read = client.get(base, headers=headers)
    step = client.post(
        f"{base}/steps",
        {"step": "acknowledge", "expected_version": 2},
        content_type="application/json",
        headers=headers,
    )
    # The problem's "instance" is the address asked for, the reference included: the same rule.
    return [
        (r.status_code, {k: v for k, v in r.json().items() if k != "instance"})
        for r in (read, step)
    ]


@pytest.mark.parametrize(
    ("who", "org", "status"),
    [("rex", "guild", 404), ("nora", "guild", 401), ("olga", "guild", 403), ("olga", "other", 404)],
)
def test_the_api_answers_as_for_a_case_that_does_not_exist(client, world, who, org, status):
    token = world["tokens"][who]
    answers = _api_answers(client, token, org, world["case"].reference)
    assert [code for code, _ in answers] == [status, status]
    assert answers == _api_answers(client, token, org, MISSING)
    listed = client.get(f"/api/v1/bodies/{org}/cases", headers={"Authorization": f"Bearer {token}"})
    if listed.status_code == 200:
        assert world["case"].reference not in [c["reference"] for c in listed.json()]
    world["case"].refresh_from_db()
    assert world["case"].state == "received"


# --- what the recused see of the body's cases -----------------------------------------------------


def _figures(html: str) -> str:
    """The inbox's figures above its table, as text."""
    part = html.split('class="figures-line counts"')[1].split("</ul>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", part.partition(">")[2]).split())


def test_the_recused_inbox_reveals_no_hidden_neighbour(client, world, body):
    """Reproduced on the old main: GOE-2026-0001 and GOE-2026-0003 in Rex's inbox said that 0002
    was hidden from him. Now every reference is a random code, and his totals count only his."""
    hidden = world["case"]
    before = file_case(body, respondent_name="Beta Collections")
    CaseDeadline.objects.filter(case=hidden).update(
        due_on=timezone.localdate() - dt.timedelta(days=3)
    )
    # Moved behind the services' back: the stored next due date follows as a service would.
    next_due_refresh(Case.objects.get(pk=hidden.pk))
    file_case(body, respondent_name="Gamma Agency")
    client.force_login(world["people"]["rex"])
    html = client.get("/staff/guild/cases/").content.decode()
    shown = set(re.findall(r"GOE-\d{4}-[0-9A-Z]+", html))
    assert hidden.reference not in shown and before.reference in shown and len(shown) == 2
    year = timezone.localdate().year
    for reference in shown:
        assert re.fullmatch(rf"GOE-{year}-{CODE}", reference), reference
    assert not {r.rsplit("-", 1)[1] for r in shown} & {f"{n:04d}" for n in range(1, 10)}
    assert _figures(html) == "2 cases 2 open 0 with an overdue deadline"
    assert "All (2)" in html and "Open (2)" in html and "Overdue only (0)" in html
    assert "2 cases match." in html
    client.force_login(world["people"]["cora"])
    html = client.get("/staff/guild/cases/").content.decode()
    assert _figures(html) == "3 cases 3 open 1 with an overdue deadline"


def test_the_api_list_counts_only_what_the_token_user_sees(client, world, body):
    file_case(body, respondent_name="Beta Collections")
    headers = {"Authorization": f"Bearer {world['tokens']['rex']}"}
    listed = client.get("/api/v1/bodies/guild/cases", headers=headers).json()
    assert len(listed) == 1 and listed[0]["respondent"] == "Beta Collections"
    received = client.get("/api/v1/bodies/guild/cases?state=received", headers=headers).json()
    assert len(received) == 1


# --- how references are made ----------------------------------------------------------------------


class Drawing:
    """`secrets` as the filing module sees it, whose `choice` gives these signs in turn (each thread
    from the start); everything else is the real module's."""

    def __init__(self, signs: str):
        self.signs = signs
        self.local = threading.local()

    def choice(self, _alphabet):
        if not hasattr(self.local, "draws"):
            self.local.draws = iter(self.signs)
        return next(self.local.draws)

    def __getattr__(self, name):
        return getattr(secrets, name)


def test_a_code_already_given_is_drawn_again(world, body, monkeypatch):
    taken = world["case"].reference.rsplit("-", 1)[1]
    monkeypatch.setattr(filing, "secrets", Drawing(taken + "XYZ23"))
    case = file_case(body, respondent_name="Beta Collections")
    assert case.reference == f"GOE-{timezone.localdate().year}-XYZ23"


def test_a_body_whose_codes_are_all_drawn_is_refused_with_a_reason(world, body, monkeypatch):
    taken = world["case"].reference.rsplit("-", 1)[1]
    monkeypatch.setattr(filing, "secrets", Drawing(taken * filing.REFERENCE_DRAWS))
    with pytest.raises(services.CaseRefused, match="no free case reference for GOE"):
        file_case(body)
    assert Case.objects.count() == 1


def test_a_long_prefix_is_cut_so_the_reference_fits_its_column(db):
    """PostgreSQL refuses a value longer than the column: a 20-letter acronym must still file."""
    long = Organization.objects.create(slug="long", name="Long", acronym="ABCDEFGHIJKLMNOPQRST")
    BodyProcedure.objects.create(organization=long, procedure_key="csec-article-5")
    case = file_case(long)
    assert len(case.reference) <= Case._meta.get_field("reference").max_length
    assert re.fullmatch(rf"ABCDEFGHIJKLMNOPQRS-\d{{4}}-{CODE}", case.reference)


def test_existing_cases_keep_their_references(world, body):
    """A case filed before references became codes keeps its number, and is found by it."""
    Case.objects.filter(pk=world["case"].pk).update(reference="GOE-2025-0007")
    file_case(body, respondent_name="Beta Collections")
    assert Case.objects.filter(reference="GOE-2025-0007").exists()
    assert run("show", "GOE-2025-0007", "--as", "cora").startswith("GOE-2025-0007: Received")
    assert refused("show", "GOE-2025-0007", "--as", "rex") == "no case 'GOE-2025-0007'"


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="filings are raced on PostgreSQL; SQLite takes one writer at a time",
)
@pytest.mark.django_db(transaction=True)
def test_two_bodies_sharing_an_acronym_never_draw_the_same_code_at_once(monkeypatch):
    """Both filings draw the same first code at the same moment: the second waits for the first to
    commit, finds the code taken and draws again (no unique-constraint failure, no error page)."""
    bodies = [
        Organization.objects.create(slug=f"goe-{n}", name=f"Guild {n}", acronym="GOE")
        for n in (1, 2)
    ]
    for organization in bodies:
        BodyProcedure.objects.create(organization=organization, procedure_key="csec-article-5")
    contents = filing._case_contents

    def slowly(*args, **kwargs):
        time.sleep(0.5)  # the first filing is still open when the second draws
        return contents(*args, **kwargs)

    monkeypatch.setattr(filing, "secrets", Drawing("AAAAABBBBB"))
    monkeypatch.setattr(filing, "_case_contents", slowly)
    start = threading.Barrier(2)

    def file(organization):
        try:
            start.wait(timeout=30)
            return file_case(organization).reference
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        references = set(pool.map(file, bodies))
    year = timezone.localdate().year
    assert references == {f"GOE-{year}-AAAAA", f"GOE-{year}-BBBBB"}
