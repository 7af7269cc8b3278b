"""Reminders and the daily tick.

The daily tick (`attest_tick`) keeps every open campaign's duties in step with the register, then
sends the reminders due, each once per duty and reminder day, however often it runs.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.mail import Stoppable, body_mail, stopped_addresses
from ombuds.members.attestations.campaigns import campaign_sync
from ombuds.members.attestations.common import (
    OPEN_STATUSES,
    CampaignRefused,
    chunks,
    date_text,
)
from ombuds.members.attestations.status import Statuses
from ombuds.members.models import AttestationCampaign, AttestationDue, AttestationReminder
from ombuds.register.models import Person

logger = logging.getLogger(__name__)


def attest_url(campaign: AttestationCampaign) -> str:
    """The whole address where a person attests in the campaign (for emails)."""
    return settings.OMBUDS_BASE_URL.rstrip("/") + reverse(
        "attest:attest", kwargs={"campaign": campaign.pk}
    )


def _send_reminder(
    campaign: AttestationCampaign, person: Person, email: str, due_on: dt.date, days_left: int
) -> None:
    """Send one reminder; a mail server's refusal is raised, never swallowed."""
    body = campaign.organization
    version = campaign.code_version
    body_mail(
        body,
        f"{body.short_name}: attest to {version.title} by {date_text(due_on)}",
        (
            f"Dear {person.full_name},\n\n{body.name} asks you to read version {version.label} of "
            f"{version.title} and confirm:\n\n“{campaign.statement}”\n\n"
            f"This is due on {date_text(due_on)}, in {days_left} day{'s' if days_left != 1 else ''}. "
            f"Read the code and attest here (sign in first):\n{attest_url(campaign)}\n"
        ),
        [email],
        stoppable=Stoppable.ATTESTATION,
    )


def _already_reminded(dues: list[AttestationDue]) -> dict[int, list[int]]:
    """Due id → the reminder days already sent for it."""
    already: dict[int, list[int]] = defaultdict(list)
    for chunk in chunks([d.pk for d in dues]):
        for due_id, days_before in AttestationReminder.objects.filter(due_id__in=chunk).values_list(
            "due_id", "days_before"
        ):
            already[due_id].append(days_before)
    return already


@dataclass(frozen=True)
class _Claimed:
    """A reminder claimed (its `AttestationReminder` row committed), to be sent."""

    reminder_id: int
    person: Person
    email: str
    due_on: dt.date
    days_left: int


def _remind(due: AttestationDue, threshold: int, left: int, stopped: set[str]) -> _Claimed | None:
    """Claim the duty's reminder for ``threshold`` days before, once (the `AttestationReminder` row
    guards it): the claim to send, or None (no email address, the address stopped these reminders,
    or another run claimed it)."""
    person = due.person
    email = (person.user.email if person.user_id else "") or person.email
    if not email or email.strip().lower() in stopped:
        return None
    try:
        with transaction.atomic():
            reminder = AttestationReminder.objects.create(due=due, days_before=threshold)
    except IntegrityError:
        return None  # another run sent it first
    return _Claimed(reminder.pk, person, email, due.due_on, left)


def _send_claimed(campaign: AttestationCampaign, claimed: list[_Claimed]) -> tuple[int, int]:
    """Send the reminders claimed, with no transaction open: one the mail server refuses gives its
    claim back (its row is deleted), so it is not counted as sent and the next tick tries again.
    (sent, failed)."""
    sent = failed = 0
    for c in claimed:
        try:
            _send_reminder(campaign, c.person, c.email, c.due_on, c.days_left)
        except Exception as exc:  # any transport error: the reminder is not sent
            logger.warning("attestation reminder %s not sent: %s", c.reminder_id, exc)
            AttestationReminder.objects.filter(pk=c.reminder_id).delete()
            failed += 1
        else:
            sent += 1
    return sent, failed


def _campaign_reminders(campaign: AttestationCampaign, today: dt.date) -> int:
    """The campaign's reminders due today, each sent once; how many."""
    days = sorted(int(d) for d in campaign.reminder_days)
    horizon = today + dt.timedelta(days=max(days))
    dues = list(
        AttestationDue.objects.filter(
            campaign=campaign, excused_at__isnull=True, due_on__gte=today, due_on__lte=horizon
        ).select_related("person__user")
    )
    if not dues:
        return 0
    statuses = Statuses([campaign], [d.person_id for d in dues])
    already = _already_reminded(dues)
    stopped = stopped_addresses(campaign.organization, Stoppable.ATTESTATION)
    claimed = []
    with transaction.atomic():
        for due in dues:
            left = (due.due_on - today).days
            threshold = min(d for d in days if left <= d)
            if any(before <= threshold for before in already[due.pk]):
                continue
            result = statuses.classify(campaign.pk, due.person_id, due.due_on, False, today)
            if result.status not in OPEN_STATUSES:
                continue
            if (claim := _remind(due, threshold, left, stopped)) is not None:
                claimed.append(claim)
    # Sent after the claims commit, none of them locked meanwhile; only what went out is counted.
    sent, failed = _send_claimed(campaign, claimed)
    if sent or failed:
        with transaction.atomic():
            audit.record(
                action="attestation.reminders_sent",
                subject_type="attestation_campaign",
                subject_id=campaign.pk,
                data={"on": today, "sent": sent, **({"failed": failed} if failed else {})},
                organization=campaign.organization,
            )
    return sent


def reminders_send(*, today: dt.date | None = None) -> int:
    """Remind everyone in an open campaign who has still to attest, on each of the campaign's
    reminder days before their due date: each reminder goes out once per duty (the
    `AttestationReminder` row guards it, even when two runs race), and a run that missed days sends
    only the nearest one. People who attested (or whose attestation carries over), excused people
    and people without an email address are skipped. The number of reminders sent."""
    today = today or timezone.localdate()
    campaigns = [
        c
        for c in AttestationCampaign.objects.filter(closed_at__isnull=True)
        .select_related("organization", "code_version")
        .order_by("pk")
        if c.reminder_days
    ]
    return sum(_campaign_reminders(campaign, today) for campaign in campaigns)


def attest_tick(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily work: every open campaign brought in step with the register (`campaign_sync`),
    then the reminders due (`reminders_send`). Running it twice changes nothing more."""
    today = today or timezone.localdate()
    totals = {"campaigns": 0, "joined": 0, "left": 0, "returned": 0}
    for campaign in AttestationCampaign.objects.filter(closed_at__isnull=True).order_by("pk"):
        try:
            result = campaign_sync(campaign=campaign, today=today)
        except CampaignRefused:
            continue  # closed since the list was read
        totals["campaigns"] += 1
        totals["joined"] += result.joined
        totals["left"] += result.left
        totals["returned"] += result.returned
    totals["reminders sent"] = reminders_send(today=today)
    return totals
