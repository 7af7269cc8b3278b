"""Inviting a whole register from the staff page, in the background: the counts, who may, a run that
invites exactly the people not yet invited (refusals kept, the run going on), one run at a time,
a page whose queries do not grow with the register, and the command line on the same code."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from ombuds.accounts import invitation_runs, services
from ombuds.accounts.models import Invitation, InvitationRun
from ombuds.accounts.tasks import invitation_run_task
from ombuds.audit.models import Event
from ombuds.register.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.OMBUDS_REQUIRE_SECOND_FACTOR = False  # force_login: the second factor is tested apart


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run as soon as they are enqueued (the demo and production run a worker instead)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def staff(client, personas):
    client.force_login(personas["body_admin"])
    return client


def url(org: str = "guild") -> str:
    return reverse("accounts_staff:invitations", args=[org])


def _person(body, given: str, email: str = "", **extra) -> Person:
    return Person.objects.create(
        organization=body, given_name=given, family_name="Test", email=email, **extra
    )


@pytest.fixture
def register(body, personas):
    """One person in each state, and two never invited (one of them with a bad address)."""
    people = {
        "account": _person(body, "Acc", "acc@example.org", user=personas["signed_in_no_role"]),
        "live": _person(body, "Liv", "liv@example.org"),
        "lapsed": _person(body, "Lap", "lap@example.org"),
        "no_email": _person(body, "Noe"),
        "new": _person(body, "New", "new@example.org"),
        "bad": _person(body, "Bad", "not-an-email"),
    }
    services.invitation_create(person=people["live"], send=False)
    old, _ = services.invitation_create(person=people["lapsed"], send=False)
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    return people


def _count(page: str, label: str) -> int:
    match = re.search(rf"<th scope=\"row\">{re.escape(label)}[^<]*</th><td>(\d+)</td>", page)
    assert match, label
    return int(match.group(1))


def test_the_page_counts_the_register_by_account_and_invitation(staff, register):
    response = staff.get(url())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert _count(page, "People in the register") == 6
    assert _count(page, "With an account") == 1
    assert _count(page, "Without an account, with a live invitation") == 1
    assert _count(page, "Without an account, whose invitation expired") == 1
    assert _count(page, "Without an account or an email address") == 1
    assert _count(page, "Not yet invited") == 3  # lapsed, new and bad
    assert "Invite everyone not yet invited (3 people)" in page
    # The list of the not yet invited, each with its invite button (the person page's endpoint).
    for key in ("lapsed", "new", "bad"):
        person = register[key]
        assert reverse("accounts:invite", args=["guild", person.pk]) in page
    for key in ("account", "live", "no_email"):
        assert reverse("accounts:invite", args=["guild", register[key].pk]) not in page
    assert "expired" in page and "No invitation runs yet." in page


def test_the_register_home_links_to_the_page(staff, body):
    page = staff.get(reverse("register_staff:home", args=["guild"])).content.decode()
    assert url() in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("body_admin", 200),
        ("body_staff", 200),
        ("superuser", 200),
        ("committee_member", 403),
        ("signed_in_no_role", 403),
        ("other_body_admin", 403),
    ],
)
def test_who_may_open_the_page_and_start_a_run(client, personas, register, persona, status):
    client.force_login(personas[persona])
    assert client.get(url()).status_code == status
    response = client.post(url(), {"confirm": "on"})
    assert response.status_code == (302 if status == 200 else 403)
    assert InvitationRun.objects.exists() is (status == 200)


def test_anonymous_visitors_go_to_sign_in(client, register):
    for response in (client.get(url()), client.post(url(), {"confirm": "on"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not InvitationRun.objects.exists()


def test_another_bodys_page_is_refused_to_this_bodys_staff(staff, other_body):
    assert staff.get(url("other")).status_code == 403


def test_a_run_invites_exactly_the_not_yet_invited_and_keeps_the_refusals(
    staff, register, personas, immediate_tasks, django_capture_on_commit_callbacks
):
    before = set(Invitation.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url(), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == url()

    run = InvitationRun.objects.get()
    assert (run.state, run.total, run.done, run.sent, run.refused_count, run.skipped) == (
        "done",
        3,
        3,
        2,
        1,
        0,
    )
    assert run.started_by == personas["body_admin"] and run.finished_at
    assert run.refused == [
        f"Bad Test (ombuds:{register['bad'].pk}): not-an-email is not a valid email address"
    ]
    new = Invitation.objects.exclude(pk__in=before)
    assert {i.person for i in new} == {register["lapsed"], register["new"]}
    assert all(i.invited_by == personas["body_admin"] for i in new)
    assert sorted(m.to[0] for m in mail.outbox) == ["lap@example.org", "new@example.org"]
    event = Event.objects.get(action="account.invitation_run")
    assert event.data == {
        "state": "done",
        "total": 3,
        "done": 3,
        "sent": 2,
        "skipped": 0,
        "refused": 1,
    }
    assert event.actor == personas["body_admin"]
    assert Event.objects.filter(action="account.invited").count() == 2 + 2  # the fixture's two

    page = staff.get(url()).content.decode()
    assert "2 invitations sent, 1 refused" in page
    assert "not-an-email is not a valid email address" in page
    assert _count(page, "Not yet invited") == 1  # the bad address, until it is corrected

    # A second run invites nobody new: the bad address is refused again, nobody else is emailed.
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url(), {"confirm": "on"})
    second = InvitationRun.objects.exclude(pk=run.pk).get()
    assert (second.state, second.total, second.sent, second.refused_count) == ("done", 1, 0, 1)
    assert Invitation.objects.count() == len(before) + 2
    assert len(mail.outbox) == 2


def test_with_nobody_left_the_run_is_refused(staff, body, immediate_tasks):
    _person(body, "Noe")
    response = staff.post(url(), {"confirm": "on"})
    assert response.status_code == 400
    assert "Nobody is left to invite" in response.content.decode()
    assert not InvitationRun.objects.exists()


def test_the_run_must_be_confirmed(staff, register):
    response = staff.post(url(), {})
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    assert not InvitationRun.objects.exists()


def test_a_run_while_another_is_going_is_refused(staff, register, body):
    # The default (database) backend: the first run waits for a worker.
    staff.post(url(), {"confirm": "on"})
    first = InvitationRun.objects.get()
    assert first.state == "queued"
    response = staff.post(url(), {"confirm": "on"})
    assert response.status_code == 400
    assert "An invitation run is already waiting to start" in response.content.decode()
    InvitationRun.objects.filter(pk=first.pk).update(state="running", total=3, done=1)
    response = staff.post(url(), {"confirm": "on"})
    assert "An invitation run is already going" in response.content.decode()
    assert InvitationRun.objects.count() == 1
    with pytest.raises(CommandError, match="already going"):
        call_command("accounts", "invite", "guild", "--all", stdout=StringIO(), stderr=StringIO())


def test_a_run_stuck_for_long_no_longer_blocks_the_next(staff, register):
    staff.post(url(), {"confirm": "on"})
    stuck = InvitationRun.objects.get()
    InvitationRun.objects.filter(pk=stuck.pk).update(
        updated_at=timezone.now() - invitation_runs.STALE_AFTER - dt.timedelta(minutes=1)
    )
    assert "the task worker may have stopped" in staff.get(url()).content.decode()
    assert staff.post(url(), {"confirm": "on"}).status_code == 302
    stuck.refresh_from_db()
    assert stuck.state == "failed" and "no progress for over 1 hour" in stuck.summary
    assert InvitationRun.objects.filter(state="queued").count() == 1
    # The stuck run, delivered at last, does nothing.
    assert invitation_runs.run_execute(stuck.pk) is None


def test_a_run_delivered_twice_runs_once(register, django_capture_on_commit_callbacks):
    run = invitation_runs.run_start(organization=register["new"].organization, enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert invitation_run_task.call(run.pk) == "2 invitations sent, 1 refused"
        assert invitation_run_task.call(run.pk) == "nothing to do"
    assert len(mail.outbox) == 2
    assert Event.objects.filter(action="account.invitation_run").count() == 1


def test_people_invited_meanwhile_are_skipped(register):
    body = register["new"].organization
    run = invitation_runs.run_start(organization=body, enqueue=False)
    seen = []

    def meanwhile(outcome, person, invitation, problems):
        seen.append((outcome, person.given_name))
        if len(seen) == 1:  # someone invites the last of them from the person page meanwhile
            services.invitation_create(person=register["bad"], email="bad@example.org", send=False)

    run = invitation_runs.run_execute(run.pk, on_person=meanwhile)
    assert seen == [("sent", "Lap"), ("sent", "New"), ("skipped", "Bad")]
    assert (run.sent, run.skipped, run.refused_count) == (2, 1, 0)
    assert run.summary == "2 invitations sent, 1 skipped (invited or given an account meanwhile)"


def test_progress_shows_while_a_run_goes_and_htmx_polls_it(staff, register, body):
    run = InvitationRun.objects.create(organization=body, state="running", total=120, done=30)
    InvitationRun.objects.filter(pk=run.pk).update(sent=29, refused_count=1)
    page = staff.get(url()).content.decode()
    assert "30 of 120 (25%): 29 sent, 1 refused, 0 skipped" in page
    assert f'hx-get="{url()}"' in page and ">Refresh</a>" in page
    fragment = staff.get(url(), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert 'id="invitation-runs"' in text
    assert "<h1>" not in text and "30 of 120" in text
    InvitationRun.objects.filter(pk=run.pk).update(state="done", done=120, summary="120 sent")
    text = staff.get(url(), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-get" not in text and "120 sent" in text


def _grow(body, start: int, count: int) -> None:
    Person.objects.bulk_create(
        Person(
            organization=body,
            given_name=f"P{n}",
            family_name="Grown",
            email=f"p{n}@example.org" if n % 5 else "",
        )
        for n in range(start, start + count)
    )


def test_the_pages_queries_do_not_grow_with_the_register(
    staff, register, body, django_assert_max_num_queries
):
    for n in range(3):
        InvitationRun.objects.create(organization=body, state="done", total=n, summary="done")
    with django_assert_max_num_queries(10):
        assert staff.get(url()).status_code == 200
    _grow(body, 0, 150)
    for person in Person.objects.filter(family_name="Grown").exclude(email="")[:20]:
        services.invitation_create(person=person, send=False)
    with django_assert_max_num_queries(10):
        page = staff.get(url()).content.decode()
    assert "Page 1 of 3" in page
    with django_assert_max_num_queries(10):
        assert "Page 3 of 3" in staff.get(url() + "?page=3").content.decode()


def test_the_command_line_runs_the_same_code_and_reports_the_same_counts(
    register, django_capture_on_commit_callbacks
):
    out, err = StringIO(), StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("accounts", "invite", "guild", "--all", stdout=out, stderr=err)
    assert out.getvalue().strip() == "2 invitations sent, 1 refused"
    assert "invited Lap Test at lap@example.org" in err.getvalue()
    assert f"ombuds:{register['bad'].pk}: not-an-email is not a valid" in err.getvalue()
    run = InvitationRun.objects.get()
    assert (run.state, run.total, run.sent, run.refused_count, run.started_by) == (
        "done",
        3,
        2,
        1,
        None,
    )
    assert len(mail.outbox) == 2
    event = Event.objects.get(action="account.invitation_run")
    assert event.actor is None and event.data["sent"] == 2
