"""`ombuds attest campaigns|start|coverage|proxy|tick`: the same services as the staff pages; every
failure is a CommandError with a one-line reason."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ombuds.members.models import Attestation, AttestationCampaign, AttestationReminder
from tests.members.conftest import STATEMENT, make_member, publish_v2, start

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when a test runs, not when the module is collected


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("attest", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def due(days: int = 30) -> str:
    return (TODAY() + dt.timedelta(days=days)).isoformat()


def test_start_and_list_campaigns(world):
    assert run("campaigns", "guild") == "guild has no attestation campaign\n"
    out = run(
        "start",
        "guild",
        "--version",
        "v1",
        "--audience",
        "agency_staff",
        "--due",
        due(),
        "--not-material",
        "--reminders",
        "14,3",
        "--new-joiner-days",
        "20",
        "--statement",
        STATEMENT,
        "--title",
        "Staff attestation",
        "--as",
        "sam",
    )
    campaign = AttestationCampaign.objects.get()
    assert out == (
        f"started campaign {campaign.pk}: 5 people asked to attest to version v1 by {due()}\n"
    )
    assert not campaign.material and campaign.reminder_days == [14, 3]
    assert campaign.new_joiner_days == 20 and campaign.title == "Staff attestation"
    assert campaign.started_by == world.user("body_staff")
    listed = run("campaigns", "guild")
    assert listed.startswith(f"{campaign.pk}\topen\tv1\tagency_staff\tdue {due()}\t0/5 attested")
    assert listed.rstrip().endswith("Staff attestation")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "v9", "--due", due()], "guild has no version 'v9'"),
        (
            ["--version", "v1", "--due", "tomorrow"],
            "--due 'tomorrow' is not a date written YYYY-MM-DD",
        ),
        (["--version", "v1", "--due", due(-1)], "The due date cannot be in the past."),
        (
            ["--version", "v1", "--due", due(), "--reminders", "14,x"],
            "Reminder days are whole numbers of days from 1 to 365 before the due date.",
        ),
        (["--version", "v1", "--due", due(), "--as", "ghost"], "no user 'ghost'"),
        (["--version", "v1", "--due", due(), "--as", "carl"], "You have no staff role on GOE."),
    ],
)
def test_start_failures(world, args, message):
    base = ["start", "guild", "--audience", "all_members", "--statement", STATEMENT]
    with pytest.raises(CommandError) as failed:
        run(*base, *args)
    assert str(failed.value) == message
    assert not AttestationCampaign.objects.exists()


def test_start_refuses_unknown_body_and_superseded_version(world):
    with pytest.raises(CommandError, match="no body with slug 'nowhere'"):
        run("campaigns", "nowhere")
    publish_v2(world)
    with pytest.raises(CommandError) as failed:
        run(
            "start",
            "guild",
            "--version",
            "v1",
            "--audience",
            "all_members",
            "--due",
            due(),
            "--statement",
            STATEMENT,
        )
    assert "superseded by version v2" in str(failed.value)
    assert "\n" not in str(failed.value)


def test_coverage_text_and_csv(world):
    campaign = start(world, audience="agency_staff")
    out = run("coverage", "guild", str(campaign.pk))
    assert out.splitlines()[0] == (
        f"{campaign.title}: 0 of 5 attested (0%), 5 pending, 0 outdated, 0 overdue, 0 excused"
    )
    assert len(out.splitlines()) == 6
    out = run("coverage", "guild", str(campaign.pk), "--agency", str(world.agency_b.pk), "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["person"] for r in rows} == {"Eve Example", "Bella Example"}
    assert {r["agency"] for r in rows} == {"Beta Recovery Inc"}
    with pytest.raises(CommandError, match="guild has no attestation campaign 999"):
        run("coverage", "guild", "999")
    with pytest.raises(CommandError, match="guild has no agency 999"):
        run("coverage", "guild", str(campaign.pk), "--agency", "999")


def test_proxy(world):
    campaign = start(world)
    ben = world.person("ben")
    out = run(
        "proxy",
        "guild",
        str(campaign.pk),
        f"ombuds:{ben.pk}",
        "--reason",
        "Paper form",
        "--as",
        "sam",
    )
    assert out.startswith("recorded Ben Example's attestation to version v1 by proxy")
    attestation = Attestation.objects.get()
    assert attestation.by_proxy and attestation.proxy_reason == "Paper form"
    assert attestation.user == world.user("body_staff")
    # By email address, from the command line itself (no user).
    run("proxy", "guild", str(campaign.pk), "ann@register.example", "--reason", "Letter")
    assert Attestation.objects.get(person=world.person("ann")).user is None
    with pytest.raises(CommandError, match="Ben Example already attested to version v1"):
        run("proxy", "guild", str(campaign.pk), f"ombuds:{ben.pk}", "--reason", "Again")
    with pytest.raises(CommandError, match="No one in this register"):
        run("proxy", "guild", str(campaign.pk), "nobody@example.org", "--reason", "x")
    with pytest.raises(CommandError) as failed:
        run("proxy", "guild", str(campaign.pk), "cara@register.example", "--reason", " ")
    assert str(failed.value) == (
        "Say why you record this attestation on their behalf. "
        f"Cara Example is not asked to attest in “{campaign.title}”."
    )


def test_tick(world, django_capture_on_commit_callbacks):
    start(world, due_on=TODAY() + dt.timedelta(days=14), reminder_days=[14])
    make_member(world, "nia")
    with django_capture_on_commit_callbacks(execute=True):
        out = run("tick", "--today", TODAY().isoformat())
    assert out == "campaigns: 1, joined: 1, left: 0, returned: 0, reminders sent: 2\n"
    # Nia joined late: due 30 days from today, so not reminded yet.
    assert len(mail.outbox) == 2
    assert run("tick", "--today", TODAY().isoformat()).endswith("reminders sent: 0\n")
    assert AttestationReminder.objects.count() == 2
    with pytest.raises(CommandError, match="--today 'someday' is not a date"):
        run("tick", "--today", "someday")
