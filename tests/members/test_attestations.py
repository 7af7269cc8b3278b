"""Attestation campaigns (CSEC 4.3), through the services: starting one lists every problem at once
and asks the audience in bulk; a material change outdates earlier attestations (then they fall
overdue), a minor one carries them over; new joiners get their own due date without restarting the
campaign, leavers are excused; attesting is to the exact current version, once, by the person
themself or by staff with a reason; reminders go out once each; coverage per body and per agency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.members import attestations as svc
from ombuds.members.models import Attestation, AttestationDue, AttestationReminder
from ombuds.register.models import Affiliation, Membership, Person
from tests.members.conftest import (
    STATEMENT,
    make_member,
    make_staff,
    publish_v2,
    start,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when a test runs, not when the module is collected


def day(n: int) -> dt.date:
    return TODAY() + dt.timedelta(days=n)


def dues_of(campaign) -> dict[str, AttestationDue]:
    return {
        d.person.given_name.lower(): d
        for d in AttestationDue.objects.filter(campaign=campaign).select_related("person")
    }


def statuses(campaign, *, today=None, agency=None) -> dict[str, str]:
    report = svc.coverage(campaign, agency=agency, today=today or TODAY())
    return {row.name.split()[0].lower(): row.status for row in report.rows}


def own_attest(world, name: str, campaign=None, version=None):
    person = world.person(name)
    return svc.attest(
        person=person,
        user=person.user,
        statement_confirmed=True,
        campaign=campaign,
        code_version=None if campaign else (version or world.v1),
    )


# --- starting -----------------------------------------------------------------------------------


def test_start_lists_every_problem_at_once(world, draft):
    with pytest.raises(svc.CampaignRefused) as refused:
        svc.campaign_start(
            organization=world.body,
            code_version=draft,
            audience="everyone",
            due_on=day(-1),
            reminder_days=[14, 0],
            new_joiner_days=0,
            statement="  ",
            started_by=world.user("committee_member"),
        )
    assert refused.value.problems == [
        "You have no staff role on GOE.",
        "Version draft is a draft: publish it before asking anyone to attest.",
        "Choose who must attest.",
        "The due date cannot be in the past.",
        "Reminder days are whole numbers of days from 1 to 365 before the due date.",
        "New joiners get from 1 to 365 days to attest.",
        "Write the statement each person confirms.",
    ]
    assert not AttestationDue.objects.exists()
    assert not Event.objects.filter(action="attestation.campaign_started").exists()


def test_start_refuses_a_superseded_version_and_a_second_open_campaign(world):
    start(world)
    with pytest.raises(svc.CampaignRefused, match="already asks all members"):
        start(world)
    publish_v2(world)
    with pytest.raises(svc.CampaignRefused) as refused:
        start(world, audience="agency_staff")
    assert refused.value.problems == [
        "Version v1 was superseded by version v2: start the campaign for the current version."
    ]


def test_start_refuses_another_bodys_version(world, other_body):
    from ombuds.codes import services as codes
    from tests.conftest import small_code

    theirs, _ = codes.code_version_import(
        organization=other_body, parsed=small_code(), source=b"x", label="v1", publish=True
    )
    with pytest.raises(svc.CampaignRefused, match="not a version of GOE's code"):
        start(world, version=theirs)


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("all_members", {"ann": None, "ben": None}),
        ("credential_holders", {"ben": None}),
        (
            "agency_staff",
            {"cara": "a", "dan": "a", "adam": "a", "eve": "b", "bella": "b"},
        ),
    ],
)
def test_start_asks_everyone_in_the_audience_today(world, audience, expected):
    campaign = start(world, audience=audience, started_by=world.user("body_staff"))
    agencies = {world.agency_a.pk: "a", world.agency_b.pk: "b", None: None}
    dues = dues_of(campaign)
    # Not the lapsed member, the principal, the one who left, nor the non-member agency's staff.
    assert {name: agencies[d.agency_id] for name, d in dues.items()} == expected
    assert {d.due_on for d in dues.values()} == {day(30)}
    assert not any(d.joined_late for d in dues.values())
    assert campaign.reminder_days == [14, 3]
    event = Event.objects.get(action="attestation.campaign_started")
    assert event.actor == world.user("body_staff")
    assert event.data["people"] == len(expected) and event.data["audience"] == audience
    assert verify().ok


def test_start_for_ten_thousand_people_takes_batched_queries(world, django_assert_max_num_queries):
    """Duties are written in batches and coverage is two queries, whatever the size (the
    figures in seconds are in benchmarks/attestation_scale.py, not here)."""
    people = Person.objects.bulk_create(
        Person(organization=world.body, given_name="Bulk", family_name=str(n))
        for n in range(10_000)
    )
    Membership.objects.bulk_create(
        Membership(
            organization=world.body,
            membership_type=world.individual,
            person=p,
            number=f"B-{p.pk}",
            status="active",
        )
        for p in people
    )
    # Inserted in batches (SQLite takes fewer rows per statement than PostgreSQL): a few dozen
    # statements, not one per person.
    with django_assert_max_num_queries(150):
        campaign = start(world)
    assert campaign.dues.count() == 10_002
    with django_assert_max_num_queries(4):
        report = svc.coverage(campaign)
    assert report.counts["pending"] == 10_002


# --- material and minor changes -----------------------------------------------------------------


def test_material_change_outdates_earlier_attestations_then_they_fall_overdue(world):
    first = start(world)
    own_attest(world, "ann", first)
    v2 = publish_v2(world)
    second = start(world, version=v2, material=True, due_on=day(20))
    assert statuses(second) == {"ann": "outdated", "ben": "pending"}
    assert statuses(second, today=day(21)) == {"ann": "overdue", "ben": "overdue"}
    own_attest(world, "ann", second)
    assert statuses(second, today=day(21)) == {"ann": "attested", "ben": "overdue"}


def test_minor_change_carries_earlier_attestations_over(world):
    first = start(world)
    own_attest(world, "ann", first)
    v2 = publish_v2(world)
    second = start(world, version=v2, material=False, due_on=day(20))
    report = svc.coverage(second, today=day(40))
    rows = {row.name.split()[0].lower(): row for row in report.rows}
    assert rows["ann"].status == "attested" and rows["ann"].result.carried_over
    assert rows["ann"].attestation.version_label == "v1"
    assert rows["ann"].status_label == "Attested (version v1, carried over)"
    assert rows["ben"].status == "overdue"
    assert report.counts == {
        "attested": 1,
        "outdated": 0,
        "overdue": 1,
        "pending": 0,
        "excused": 0,
    }


def test_nothing_carries_over_past_a_material_change(world):
    first = start(world)
    own_attest(world, "ann", first)
    v2 = publish_v2(world)
    start(world, version=v2, material=True)
    v3 = publish_v2(world, label="v3")
    minor = start(world, version=v3, material=False)
    # Ann attested to v1 only; v2 changed the code materially, so v1 does not cover v3.
    assert statuses(minor) == {"ann": "outdated", "ben": "pending"}


# --- new joiners and leavers --------------------------------------------------------------------


def test_new_joiner_gets_own_due_date_without_restarting_the_campaign(world):
    campaign = start(world, due_on=day(10), new_joiner_days=30)
    before = {
        name: (d.pk, d.due_on, d.created_at, d.joined_late) for name, d in dues_of(campaign).items()
    }
    make_member(world, "nia")
    result = svc.campaign_sync(campaign=campaign, today=day(2))
    assert (result.joined, result.left, result.returned) == (1, 0, 0)
    dues = dues_of(campaign)
    assert dues["nia"].due_on == day(32) and dues["nia"].joined_late
    assert {
        n: (d.pk, d.due_on, d.created_at, d.joined_late) for n, d in dues.items() if n != "nia"
    } == before
    campaign.refresh_from_db()
    assert campaign.due_on == day(10) and campaign.closed_at is None
    # A joiner found early still has until the campaign's own due date.
    make_member(world, "omar")
    svc.campaign_sync(campaign=campaign, today=day(-25))
    assert dues_of(campaign)["omar"].due_on == day(10)
    # Running it again changes nothing, and writes no event.
    events = Event.objects.filter(action="attestation.campaign_synced").count()
    assert not svc.campaign_sync(campaign=campaign, today=day(2)).changed
    assert Event.objects.filter(action="attestation.campaign_synced").count() == events == 2


def test_leaver_is_excused_and_not_counted_and_a_returner_counts_again(world):
    campaign = start(world, audience="agency_staff")
    affiliation = Affiliation.objects.get(person=world.person("dan"))
    affiliation.end_date = TODAY()
    affiliation.save()
    assert svc.campaign_sync(campaign=campaign, today=day(1)).left == 1
    report = svc.coverage(campaign, today=day(1))
    assert report.counts["excused"] == 1 and report.total == 4
    assert statuses(campaign, today=day(1))["dan"] == "excused"
    affiliation.end_date = None
    affiliation.save()
    assert svc.campaign_sync(campaign=campaign, today=day(2)).returned == 1
    assert statuses(campaign, today=day(2))["dan"] == "pending"
    assert dues_of(campaign)["dan"].due_on == day(30)


def test_agency_staff_who_moves_is_reported_under_the_new_agency(world):
    campaign = start(world, audience="agency_staff")
    Affiliation.objects.filter(person=world.person("cara")).update(end_date=TODAY())
    Affiliation.objects.create(agency=world.agency_b, person=world.person("cara"), role="agent")
    assert svc.campaign_sync(campaign=campaign, today=day(1)).moved == 1
    assert dues_of(campaign)["cara"].agency_id == world.agency_b.pk


def test_a_closed_campaign_is_not_synced(world):
    campaign = start(world)
    svc.campaign_close(campaign=campaign, acting_user=world.user("body_admin"))
    with pytest.raises(svc.CampaignRefused, match="is closed"):
        svc.campaign_sync(campaign=campaign)
    with pytest.raises(svc.CampaignRefused, match="already closed"):
        svc.campaign_close(campaign=campaign)
    with pytest.raises(svc.CampaignRefused, match="no staff role"):
        svc.campaign_close(campaign=start(world), acting_user=world.user("committee_member"))


# --- attesting ----------------------------------------------------------------------------------


def test_member_attests_to_the_exact_version(world):
    campaign = start(world)
    attestation = own_attest(world, "ann", campaign)
    assert attestation.code_version == world.v1 and attestation.campaign == campaign
    assert attestation.text_sha256 == svc.version_text_sha256(world.v1)
    assert len(attestation.text_sha256) == 64
    assert attestation.statement == STATEMENT
    assert attestation.user == world.user("ann") and not attestation.by_proxy
    assert abs((timezone.now() - attestation.attested_at).total_seconds()) < 60
    event = Event.objects.get(action="attestation.recorded")
    assert event.data["text_sha256"] == attestation.text_sha256
    assert event.actor == world.user("ann")
    assert verify().ok


def test_attesting_without_a_campaign_uses_the_default_statement(world):
    attestation = own_attest(world, "ann")
    assert attestation.campaign is None
    assert attestation.statement.startswith("I have read, understand and agree")
    assert "version v1" in attestation.statement


def test_attesting_twice_is_refused(world):
    campaign = start(world)
    first = own_attest(world, "ann", campaign)
    with pytest.raises(svc.AttestationRefused) as refused:
        own_attest(world, "ann", campaign)
    assert refused.value.problems == [
        f"You already attested to version v1 on "
        f"{svc.date_text(timezone.localtime(first.attested_at).date())}."
    ]
    assert Attestation.objects.count() == 1


def test_attesting_to_a_superseded_version_is_refused(world):
    campaign = start(world)
    publish_v2(world)
    with pytest.raises(svc.AttestationRefused) as refused:
        own_attest(world, "ann", campaign)
    # Publishing v2 closed the campaign too, and the refusal says both.
    assert refused.value.problems == [
        "Version v1 was superseded by version v2: attest to the current version.",
        "The campaign “Code of Practice, version v1” is closed.",
    ]
    with pytest.raises(svc.AttestationRefused, match="superseded by version v2"):
        own_attest(world, "ben", version=world.v1)
    assert not Attestation.objects.exists()


def test_attesting_lists_every_problem_at_once(world):
    campaign = start(world)
    svc.campaign_close(campaign=campaign)
    with pytest.raises(svc.AttestationRefused) as refused:
        svc.attest(
            person=world.person("cara"),  # not asked in an all-members campaign
            user=world.user("ann"),
            statement_confirmed=False,
            campaign=campaign,
        )
    assert refused.value.problems == [
        "You can only attest for yourself; staff record an attestation for someone else by "
        "proxy, with the reason.",
        "Tick “I confirm” to confirm the statement.",
        f"The campaign “{campaign.title}” is closed.",
        f"You are not asked to attest in “{campaign.title}”.",
    ]


def test_proxy_attestation_requires_a_reason_and_is_marked(world):
    campaign = start(world)
    ben = world.person("ben")
    with pytest.raises(svc.AttestationRefused) as refused:
        svc.attest_by_proxy(
            person=ben, campaign=campaign, reason="  ", staff_user=world.user("body_staff")
        )
    assert refused.value.problems == ["Say why you record this attestation on their behalf."]
    for outsider in ("committee_member", "other_body_admin", "ann"):
        with pytest.raises(svc.AttestationRefused, match="no staff role on GOE"):
            svc.attest_by_proxy(
                person=ben, campaign=campaign, reason="Paper form", staff_user=world.user(outsider)
            )
    attestation = svc.attest_by_proxy(
        person=ben,
        campaign=campaign,
        reason="Signed the paper form at the annual meeting",
        staff_user=world.user("body_staff"),
    )
    assert attestation.by_proxy and attestation.user == world.user("body_staff")
    assert attestation.proxy_reason == "Signed the paper form at the annual meeting"
    assert attestation.text_sha256 == svc.version_text_sha256(world.v1)
    row = next(r for r in svc.coverage(campaign).rows if r.person_id == ben.pk)
    assert row.status == "attested" and row.attestation.by_proxy
    event = Event.objects.get(action="attestation.recorded")
    assert event.data["by_proxy"] and event.data["proxy_reason"].startswith("Signed")
    with pytest.raises(svc.AttestationRefused, match="Ben Example already attested"):
        svc.attest_by_proxy(
            person=ben, campaign=campaign, reason="again", staff_user=world.user("body_admin")
        )


# --- reminders ----------------------------------------------------------------------------------


def test_reminders_go_out_once_each_and_not_to_those_who_attested(
    world, django_capture_on_commit_callbacks
):
    campaign = start(world, audience="agency_staff", due_on=day(20), reminder_days=[14, 3])
    own_attest(world, "cara", campaign)
    # Dan has no email address anywhere: nobody to remind.
    Person.objects.filter(pk=world.person("dan").pk).update(email="")

    def tick(n: int) -> int:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            return svc.attest_tick(today=day(n))["reminders sent"]

    assert tick(1) == 0  # 19 days left: no reminder yet
    assert tick(6) == 3  # 14 days left: adam, eve, bella
    recipients = sorted(m.to[0] for m in mail.outbox)
    # To the account's address when they have one.
    assert recipients == ["adam@account.example", "bella@account.example", "eve@account.example"]
    assert "attest" in mail.outbox[0].subject and "/me/attest/" in mail.outbox[0].body
    assert tick(6) == 0 and mail.outbox == []  # the same day again
    assert tick(10) == 0  # between the reminder days
    own_attest(world, "eve", campaign)
    assert tick(17) == 2  # 3 days left: adam and bella, not eve who attested since
    assert tick(17) == 0
    assert tick(19) == 0
    assert AttestationReminder.objects.count() == 5
    assert set(AttestationReminder.objects.values_list("days_before", flat=True)) == {14, 3}
    assert Event.objects.filter(action="attestation.reminders_sent").count() == 2


def test_a_run_that_missed_days_sends_only_the_nearest_reminder(
    world, django_capture_on_commit_callbacks
):
    start(world, due_on=day(20), reminder_days=[14, 3])
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.reminders_send(today=day(18)) == 2  # the 3-day one only
    assert set(AttestationReminder.objects.values_list("days_before", flat=True)) == {3}
    assert svc.reminders_send(today=day(18)) == 0


def test_no_reminders_to_excused_people_nor_in_closed_campaigns(world):
    campaign = start(world, audience="agency_staff", due_on=day(14), reminder_days=[14])
    AttestationDue.objects.filter(campaign=campaign).exclude(person=world.person("eve")).update(
        excused_at=timezone.now()
    )
    assert svc.reminders_send(today=TODAY()) == 1
    svc.campaign_close(campaign=start(world, due_on=day(14), reminder_days=[14]))
    assert svc.reminders_send(today=TODAY()) == 0


# --- coverage -----------------------------------------------------------------------------------


def test_coverage_per_body_and_per_agency(world):
    campaign = start(world, audience="agency_staff", due_on=day(5))
    own_attest(world, "cara", campaign)
    own_attest(world, "eve", campaign)
    body = svc.coverage(campaign, today=day(6))
    assert body.counts == {"attested": 2, "outdated": 0, "overdue": 3, "pending": 0, "excused": 0}
    assert body.total == 5 and body.percent_attested == 40
    alpha = svc.coverage(campaign, agency=world.agency_a, today=day(6))
    assert [r.name for r in alpha.rows] == ["Adam Example", "Cara Example", "Dan Example"]
    assert alpha.counts["attested"] == 1 and alpha.counts["overdue"] == 2
    beta = svc.coverage(campaign, agency=world.agency_b, today=day(6))
    assert {r.name for r in beta.rows} == {"Eve Example", "Bella Example"}
    # Counts for several campaigns at once agree.
    assert svc.campaign_counts([campaign], today=day(6))[campaign.pk] == body.counts


def test_agency_coverage_includes_its_staff_in_a_body_wide_campaign(world):
    make_member(world, "mo")
    Affiliation.objects.create(agency=world.agency_a, person=world.person("mo"), role="employee")
    campaign = start(world)
    assert [r.name for r in svc.coverage(campaign, agency=world.agency_a).rows] == ["Mo Example"]


def test_coverage_csv(world):
    campaign = start(world, audience="agency_staff")
    svc.attest_by_proxy(
        person=world.person("dan"), campaign=campaign, reason="On paper", staff_user=None
    )
    Person.objects.filter(pk=world.person("adam").pk).update(given_name="=HYPERLINK()")
    rows = list(svc.coverage_csv_rows(svc.coverage(campaign, agency=world.agency_a)))
    assert rows[0] == svc.CSV_HEADER
    by_name = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(by_name) == {"'=HYPERLINK() Example", "Cara Example", "Dan Example"}
    dan = by_name["Dan Example"]
    assert dan["status"] == "attested" and dan["version"] == "v1" and dan["by_proxy"] == "yes"
    assert dan["agency"] == "Alpha Support LLC" and dan["email"] == "dan@register.example"
    assert dan["reference"] == f"ombuds:{world.person('dan').pk}"
    assert dan["attested_at"].startswith(TODAY().isoformat())
    cara = by_name["Cara Example"]
    assert cara["status"] == "pending" and cara["attested_at"] == "" and cara["by_proxy"] == ""
    assert cara["due_on"] == day(30).isoformat()


# --- the member's own duties --------------------------------------------------------------------


def test_open_dues_for_user(world, django_assert_max_num_queries):
    campaign = start(world)
    staff_campaign = start(world, audience="agency_staff")
    assert svc.open_dues_for_user(None) == []
    with django_assert_max_num_queries(3):
        [due] = svc.open_dues_for_user(world.user("ann"))
    assert due.campaign == campaign and due.status == "pending" and not due.overdue
    assert due.due_on == day(30) and due.url == f"/me/attest/{campaign.pk}/"
    assert due.organization == world.body and due.version_label == "v1"
    own_attest(world, "ann", campaign)
    assert svc.open_dues_for_user(world.user("ann")) == []
    [cara] = svc.open_dues_for_user(world.user("cara"), today=day(31))
    assert cara.campaign == staff_campaign and cara.overdue
    with django_assert_max_num_queries(1):
        assert svc.open_dues_for_user(world.user("signed_in_no_role")) == []


# --- agency administrators ----------------------------------------------------------------------


def test_agency_admin_invites_only_their_own_agencys_people(world):
    adam = world.user("adam")
    invitation, token = svc.agency_invite(
        agency=world.agency_a, person=world.person("dan"), user=adam
    )
    assert invitation.person == world.person("dan") and token
    with pytest.raises(svc.AgencyRefused) as refused:
        svc.agency_invite(agency=world.agency_b, person=world.person("eve"), user=adam)
    assert refused.value.problems == ["You are not an administrator of Beta Recovery Inc."]
    with pytest.raises(svc.AgencyRefused, match="not a current employee or agent of Alpha"):
        svc.agency_invite(agency=world.agency_a, person=world.person("eve"), user=adam)
    with pytest.raises(svc.AgencyRefused, match="already has an account"):
        svc.agency_invite(agency=world.agency_a, person=world.person("cara"), user=adam)
    # An employee who is not an administrator invites nobody.
    with pytest.raises(svc.AgencyRefused, match="not an administrator"):
        svc.agency_invite(
            agency=world.agency_a, person=world.person("dan"), user=world.user("cara")
        )


def test_agency_admin_adds_an_employee_who_is_asked_at_once(world):
    campaign = start(world, audience="agency_staff")
    person, invitation = svc.agency_person_add(
        agency=world.agency_a,
        user=world.user("adam"),
        given_name="Noor",
        family_name="New",
        email="noor@example.org",
        role="agent",
    )
    assert person.organization == world.body and person.email == "noor@example.org"
    assert Affiliation.objects.get(person=person).agency == world.agency_a
    assert invitation.email == "noor@example.org" and invitation.invited_by == world.user("adam")
    due = AttestationDue.objects.get(campaign=campaign, person=person)
    assert due.joined_late and due.agency == world.agency_a
    assert Event.objects.filter(action="agency.person_added", subject_id=str(person.pk)).exists()


def test_agency_admin_adding_lists_every_problem(world):
    with pytest.raises(svc.AgencyRefused) as refused:
        svc.agency_person_add(
            agency=world.agency_b,
            user=world.user("adam"),
            given_name="",
            family_name=" ",
            email="ann@register.example",
            role="principal",
        )
    assert refused.value.problems == [
        "You are not an administrator of Beta Recovery Inc.",
        "Give their given name.",
        "Give their family name.",
        "Someone with the email address ann@register.example is already in GOE's register: "
        "ask GOE to add them to Beta Recovery Inc.",
        "Choose employee or agent.",
    ]


def test_an_ended_administrator_is_no_longer_one(world):
    assert svc.is_agency_admin(world.user("adam"), world.agency_a)
    assert svc.agencies_administered(world.user("adam")) == [world.agency_a]
    Affiliation.objects.filter(person=world.person("adam")).update(end_date=day(-1))
    assert not svc.is_agency_admin(world.user("adam"), world.agency_a)
    assert svc.agencies_administered(world.user("adam")) == []


def test_agency_overview(world):
    campaign = start(world, audience="agency_staff")
    own_attest(world, "cara", campaign)
    svc.agency_invite(agency=world.agency_a, person=world.person("dan"), user=world.user("adam"))
    make_staff(world, "zed", world.agency_a, role="agent", email=False)
    overview = svc.agency_overview(world.agency_a)
    assert overview.campaigns == [campaign]
    people = {e.person.given_name: e for e in overview.people}
    assert set(people) == {"Adam", "Cara", "Dan", "Zed"}
    assert people["Cara"].account == "account" and people["Dan"].account == "invited"
    assert people["Zed"].account == "none" and people["Dan"].roles == ["Agent"]
    assert people["Cara"].statuses[0][0].status == "attested"
    assert people["Zed"].statuses == [None]  # joined after the start; not synced yet
    assert overview.counts == [
        {"attested": 1, "outdated": 0, "overdue": 0, "pending": 2, "excused": 0}
    ]
    rows = list(svc.agency_csv_rows(overview))
    assert rows[0] == svc.AGENCY_CSV_HEADER and len(rows) == 4


@pytest.mark.skipif(
    "postgresql" not in __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"],
    reason="raced on PostgreSQL; SQLite takes one writer at a time",
)
@pytest.mark.django_db(transaction=True)
def test_the_same_campaign_started_twice_at_once_starts_once(world):
    # A double click on "Start": one campaign, one duty each, the second refused in words.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from ombuds.members.models import AttestationCampaign

    barrier = threading.Barrier(4)

    def go(_n):
        try:
            barrier.wait(timeout=30)
            return start(world)
        except svc.CampaignRefused as refused:
            return refused
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(go, range(4)))
    assert AttestationCampaign.objects.filter(closed_at__isnull=True).count() == 1
    assert sum(isinstance(r, svc.CampaignRefused) for r in results) == 3


def test_a_version_published_at_the_same_instant_and_made_later_supersedes(world):
    """Two versions published at the same instant (a restore, an import of history): the one made
    later is the current one for campaigns, as for the code pages, and supersedes the other."""
    from ombuds.codes.models import CodeVersion
    from ombuds.members.attestations.common import superseding_version
    from ombuds.members.selectors import current_campaign_versions

    v2 = publish_v2(world)
    v1 = CodeVersion.objects.get(pk=world.v1.pk)
    CodeVersion.objects.filter(pk=v2.pk).update(published_at=v1.published_at)
    v2.refresh_from_db()
    assert list(current_campaign_versions(world.body)) == [v2]
    assert superseding_version(v1) == v2
    assert superseding_version(v2) is None
    with pytest.raises(svc.CampaignRefused, match="superseded by version v2"):
        start(world)
