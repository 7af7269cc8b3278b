"""The staff home (/staff/): where people with a role on a body land after signing in, with their
own cases and next deadlines, the body's cases by state and by provision, what is overdue, and,
for those who keep the register, its imports and the attestation and compliance coverage. Only
what the person may see: another body's cases never, a case they are recused from never."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.cases import services
from ombuds.cases.models import Case, CaseDeadline
from ombuds.cases.services.deadlines import next_due_refresh
from ombuds.register.models import ImportJob
from tests.cases.conftest import file_case, take

pytestmark = pytest.mark.django_db

HOME = "/staff/"


def _overdue(case) -> None:
    """The case's deadlines past their day (moved behind the services' back, and the stored next
    due date refreshed as the services do)."""
    CaseDeadline.objects.filter(case=case, met_at__isnull=True).update(
        due_on=timezone.localdate() - dt.timedelta(days=3)
    )
    next_due_refresh(Case.objects.get(pk=case.pk))


@pytest.fixture
def cases(csec, espcc):
    """CSEC: one case the chair acknowledged (hers, overdue), one nobody took, one the recused
    member is recused from. ESPCC: one case of its own."""
    mine = take(file_case(csec), "acknowledge", csec.chair)
    _overdue(mine)
    untaken = file_case(csec)
    hidden = file_case(csec, recuse=True)
    other = file_case(espcc)
    ImportJob.objects.create(organization=csec.org, token="t1", filename="people.csv", size=10)
    ImportJob.objects.create(organization=espcc.org, token="t2", filename="espcc.csv", size=10)
    return {"mine": mine, "untaken": untaken, "hidden": hidden, "other": other}


def test_the_first_step_a_handler_takes_makes_the_case_theirs(csec):
    case = take(file_case(csec), "acknowledge", csec.chair)
    assert case.handler == csec.chair
    event = Event.objects.filter(action="case.step").latest("seq")  # one event for both
    assert (
        event.data["handler"] == csec.chair.get_username() and event.data["step"] == "acknowledge"
    )
    # Someone else's later step does not take it from her.
    services.case_handler_set(case=case, handler=csec.staff, acting_user=csec.chair)
    case.refresh_from_db()
    take(case, "request_efforts", csec.chair, message="Please send proof.")
    case.refresh_from_db()
    assert case.handler == csec.staff


def test_staff_land_on_their_staff_home_after_signing_in(client, csec):
    response = client.post(
        reverse("login"), {"username": csec.chair.get_username(), "password": "pw-not-used"}
    )
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == HOME


def test_someone_without_a_role_lands_on_the_home_page(client, csec, django_user_model):
    django_user_model.objects.create_user("nora", "nora@example.org", "pw-not-used")
    response = client.post(reverse("login"), {"username": "nora", "password": "pw-not-used"})
    assert client.get(response["Location"])["Location"] == reverse("home")


def test_the_staff_home_needs_a_role_on_a_body(client, csec, django_user_model):
    assert client.get(HOME)["Location"].startswith(reverse("login"))
    client.force_login(django_user_model.objects.create_user("nora", "n@example.org", "pw"))
    assert client.get(HOME).status_code == 403


def test_the_chair_sees_her_cases_deadlines_and_charts_of_her_body_only(client, csec, cases):
    client.force_login(csec.chair)
    response = client.get(HOME)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    home = response.context["home"]
    assert [c.reference for c in home.mine] == [cases["mine"].reference]
    assert [d.case.reference for d in home.overdue] == [cases["mine"].reference]
    html = response.content.decode()
    assert cases["mine"].reference in html and "<svg" in html
    # A timeline and charts, each with its figures as a table.
    assert "Next deadlines of your cases" in html
    assert html.count('<div class="visually-hidden"><table>') >= 3
    assert ">Received</th><td>2</td>" in html  # the untaken and the recused-from cases
    assert cases["other"].reference not in html and "Employment Support" not in html
    # She is no administrator: no register imports, attestations or compliance.
    assert "people.csv" not in html and "Attestation coverage" not in html


def test_staff_of_one_body_see_nothing_of_another(client, csec, espcc, cases):
    client.force_login(espcc.admin)
    html = client.get(HOME).content.decode()
    assert "espcc.csv" in html and "Attestation coverage" in html  # an administrator's panels
    for case in (cases["mine"], cases["untaken"], cases["hidden"]):
        assert case.reference not in html
    assert "people.csv" not in html and "Child Support Enforcement Council" not in html


def test_a_recused_member_sees_nothing_of_the_case(client, csec, cases):
    _overdue(cases["hidden"])
    client.force_login(csec.recused)
    response = client.get(HOME)
    overdue = [d.case.reference for d in response.context["home"].overdue]
    assert cases["hidden"].reference not in overdue and cases["mine"].reference in overdue
    assert ">Received</th><td>1</td>" in response.content.decode()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    return len(queries)


def test_the_staff_home_reads_the_same_number_of_queries_however_many_cases(client, csec):
    client.force_login(csec.admin)

    def add(n: int) -> None:
        for _ in range(n):
            case = file_case(csec)
            services.case_handler_set(case=case, handler=csec.admin, acting_user=csec.chair)
            _overdue(case)

    add(2)
    few = _queries(client)
    add(10)
    assert _queries(client) == few
    # The viewer's bodies and roles are one query for the page and its header (was 16 with two).
    assert few <= 15


def test_the_figures_count_every_case_and_say_more_than_past_the_cap(
    client, csec, cases, monkeypatch
):
    """The figures at the top count the person's cases and the overdue ones (not the lists' rows,
    which stop at a dozen), up to the inbox's cap; past it the page says "More than"."""
    from ombuds.cases import selectors
    from ombuds.staff_home import selectors as home_selectors

    for _ in range(3):
        case = take(file_case(csec), "acknowledge", csec.chair)
        _overdue(case)
    monkeypatch.setattr(home_selectors, "MY_CASES", 2)
    monkeypatch.setattr(home_selectors, "OVERDUE", 2)
    client.force_login(csec.chair)
    response = client.get(HOME)
    home, html = response.context["home"], response.content.decode()
    assert len(home.mine) == 2 and home.mine_total == 4
    assert len(home.overdue) == 2 and home.overdue_cases == 4
    assert "<strong>4</strong> open cases you handle" in html
    assert "<strong>4</strong> cases with an overdue deadline" in html
    monkeypatch.setattr(selectors, "INBOX_COUNT_CAP", 3)
    html = client.get(HOME).content.decode()
    assert "<strong>More than 3</strong> open cases you handle" in html
    assert "<strong>More than 3</strong> cases with an overdue deadline" in html
    assert "more than 3 overdue</a>" in html


def test_the_provisions_chart_reads_the_newest_open_cases_and_says_so_past_them(
    client, csec, monkeypatch
):
    """The chart of provisions cited counts every open case the person may see; in a body with
    more open cases than it reads (`CHART_CASES`), those of the newest only, and its caption says
    so, so that the page costs the same at a million cases."""
    from ombuds.staff_home import selectors as home_selectors

    file_case(csec, citations=["1.1(a)"])
    file_case(csec, citations=["1.1(a)", "2.1"])
    file_case(csec, citations=["2.1"], recuse=True)
    closed = take(
        file_case(csec, citations=["2.1"]),
        "dismiss",
        csec.chair,
        ground="withdrawn",
        reasons="The complainant withdrew it.",
    )
    assert closed.closed_at is not None

    def chart(user) -> tuple[dict[str, int], str]:
        client.force_login(user)
        panel = client.get(HOME).context["home"].panels[0]
        return {b.label: b.value for b in panel.by_provision.bars}, panel.provision_caption

    rows, caption = chart(csec.chair)
    assert rows == {"CSEC 1.1(a)": 2, "CSEC 2.1": 2}
    assert caption == "(the most cited; a case citing several counts under each)"
    assert chart(csec.recused)[0] == {"CSEC 1.1(a)": 2, "CSEC 2.1": 1}
    monkeypatch.setattr(home_selectors, "CHART_CASES", 2)
    rows, caption = chart(csec.chair)
    assert rows == {"CSEC 2.1": 2, "CSEC 1.1(a)": 1}  # the two newest open cases
    assert "in the newest 2 open cases" in caption
    html = client.get(HOME).content.decode()
    assert "the most cited in the newest 2 open cases" in html
