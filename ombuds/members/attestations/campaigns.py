"""Starting, syncing and closing attestation campaigns.

Starting a campaign gives everyone in the audience a duty (`AttestationDue`) in one bulk insert;
`campaign_sync` keeps the duties in step with the register without restarting anything; a closed
campaign asks nothing more, and its report stays. Every change writes its audit event in the same
transaction; refusals (`CampaignRefused`) list every problem and change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import is_body_staff
from ombuds.codes.models import CodeVersion
from ombuds.members.attestations.audiences import audience_members
from ombuds.members.attestations.common import (
    MAX_DAYS,
    CampaignRefused,
    chunks,
    real_user,
    superseding_version,
)
from ombuds.members.models import AttestationCampaign, AttestationDue

Audience = AttestationCampaign.Audience


def _reminder_days(values: Iterable[Any], problems: list[str]) -> list[int]:
    days: set[int] = set()
    for value in values:
        try:
            day = int(value)
        except (TypeError, ValueError):
            day = 0
        if isinstance(value, bool) or not 1 <= day <= MAX_DAYS:
            problems.append(
                f"Reminder days are whole numbers of days from 1 to {MAX_DAYS} before the due date."
            )
            return []
        days.add(day)
    return sorted(days, reverse=True)


def _version_problems(organization: Organization, code_version: CodeVersion | None) -> list[str]:
    if code_version is None:
        return ["Choose the code version to attest to."]
    if code_version.code.organization_id != organization.pk:
        return [
            f"Version {code_version.label} is not a version of {organization.short_name}'s code."
        ]
    if not code_version.is_published:
        return [
            f"Version {code_version.label} is a draft: publish it before asking anyone to attest."
        ]
    newer = superseding_version(code_version)
    if newer is not None:
        return [
            f"Version {code_version.label} was superseded by version {newer.label}: "
            "start the campaign for the current version."
        ]
    return []


def _clash_problems(
    organization: Organization, code_version: CodeVersion | None, audience: str
) -> list[str]:
    """An open campaign asking the same audience for the same version."""
    if code_version is None or audience not in Audience.values:
        return []
    clash = AttestationCampaign.objects.filter(
        organization=organization,
        code_version=code_version,
        audience=audience,
        closed_at__isnull=True,
    ).first()
    if clash is None:
        return []
    return [
        f"The open campaign “{clash.title}” already asks "
        f"{Audience(audience).label.lower()} to attest to version {code_version.label}: "
        "close it first."
    ]


def _start_problems(
    *,
    organization: Organization,
    code_version: CodeVersion | None,
    audience: str,
    due_on: dt.date | None,
    title: str,
    started_by: Any,
    today: dt.date,
) -> list[str]:
    """The problems with who starts the campaign, its version, audience, title and due date (in
    the order they are listed to the user)."""
    problems: list[str] = []
    if started_by is not None and not is_body_staff(started_by, organization):
        problems.append(f"You have no staff role on {organization.short_name}.")
    problems += _version_problems(organization, code_version)
    if audience not in Audience.values:
        problems.append("Choose who must attest.")
    if not title:
        problems.append("Give the campaign a title.")
    elif len(title) > 200:
        problems.append("Write the title in 200 characters or fewer.")
    if due_on is None:
        problems.append("Give the due date.")
    elif due_on < today:
        problems.append("The due date cannot be in the past.")
    return problems


def _more_start_problems(*, new_joiner_days: Any, statement: str) -> list[str]:
    problems = []
    if isinstance(new_joiner_days, bool) or not (
        isinstance(new_joiner_days, int) and 1 <= new_joiner_days <= MAX_DAYS
    ):
        problems.append(f"New joiners get from 1 to {MAX_DAYS} days to attest.")
    if not statement:
        problems.append("Write the statement each person confirms.")
    return problems


@transaction.atomic
def campaign_start(
    *,
    organization: Organization,
    code_version: CodeVersion | None,
    audience: str,
    due_on: dt.date | None,
    statement: str,
    title: str = "",
    material: bool = True,
    reminder_days: Iterable[Any] = (),
    new_joiner_days: int = 30,
    started_by: Any = None,
    today: dt.date | None = None,
) -> AttestationCampaign:
    """Ask the audience to attest to ``code_version`` (published, and the code's current version)
    by ``due_on`` (not in the past). Everyone in the audience today gets a duty, in bulk. Raises
    CampaignRefused listing every problem. ``started_by`` None is the command line."""
    today = today or timezone.localdate()
    title = (title or "").strip()
    statement = (statement or "").strip()
    # The body's row is locked so that the same campaign started twice at once (a double click)
    # starts once: the second waits, then finds the first open and is refused.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if code_version is not None and not title:
        title = f"{code_version.title}, version {code_version.label}"
    problems = _start_problems(
        organization=organization,
        code_version=code_version,
        audience=audience,
        due_on=due_on,
        title=title,
        started_by=started_by,
        today=today,
    )
    days = _reminder_days(reminder_days, problems)
    problems += _more_start_problems(new_joiner_days=new_joiner_days, statement=statement)
    problems += _clash_problems(organization, code_version, audience)
    if problems:
        raise CampaignRefused(problems)
    assert code_version is not None and due_on is not None
    campaign = AttestationCampaign.objects.create(
        organization=organization,
        code_version=code_version,
        title=title,
        audience=audience,
        material=bool(material),
        due_on=due_on,
        reminder_days=days,
        new_joiner_days=new_joiner_days,
        statement=statement,
        started_by=real_user(started_by),
    )
    people = _ask_everyone(campaign, today)
    _record_started(campaign, people=people, actor=started_by)
    return campaign


def _ask_everyone(campaign: AttestationCampaign, today: dt.date) -> int:
    """A duty for everyone in the campaign's audience today, in bulk; how many."""
    members = audience_members(campaign.organization, campaign.audience, today=today)
    AttestationDue.objects.bulk_create(
        (
            AttestationDue(
                campaign=campaign, person_id=person_id, agency_id=agency_id, due_on=campaign.due_on
            )
            for person_id, agency_id in members.items()
        ),
        batch_size=1000,
    )
    return len(members)


def _record_started(campaign: AttestationCampaign, *, people: int, actor: Any) -> None:
    version = campaign.code_version
    audit.record(
        action="attestation.campaign_started",
        subject_type="attestation_campaign",
        subject_id=campaign.pk,
        data={
            "title": campaign.title,
            "version": version.label,
            "version_id": version.pk,
            "audience": campaign.audience,
            "material": campaign.material,
            "due_on": campaign.due_on,
            "reminder_days": campaign.reminder_days,
            "new_joiner_days": campaign.new_joiner_days,
            "statement": campaign.statement,
            "people": people,
        },
        organization=campaign.organization,
        actor=actor,
    )


@dataclass
class SyncResult:
    joined: int = 0
    left: int = 0
    returned: int = 0
    moved: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.joined or self.left or self.returned or self.moved)


def _add_newcomers(
    campaign: AttestationCampaign,
    members: dict[int, int | None],
    existing: dict[int, Any],
    due_on: dt.date,
) -> int:
    newcomers = [
        AttestationDue(
            campaign=campaign,
            person_id=person_id,
            agency_id=agency_id,
            due_on=due_on,
            joined_late=True,
        )
        for person_id, agency_id in members.items()
        if person_id not in existing
    ]
    AttestationDue.objects.bulk_create(newcomers, batch_size=1000)
    return len(newcomers)


def _update_existing(
    members: dict[int, int | None], existing: dict[int, tuple[int, int | None, Any]]
) -> tuple[int, int, int]:
    """Excuse the leavers, count the returners again, move staff to their agency now: how many
    (left, returned, moved)."""
    leavers, returners = [], []
    moved: dict[int, list[int]] = defaultdict(list)
    for person_id, (pk, agency_id, excused_at) in existing.items():
        if person_id not in members:
            if excused_at is None:
                leavers.append(pk)
            continue
        if excused_at is not None:
            returners.append(pk)
        new_agency = members[person_id]
        if new_agency is not None and new_agency != agency_id:
            moved[new_agency].append(pk)
    now = timezone.now()
    for chunk in chunks(leavers):
        AttestationDue.objects.filter(pk__in=chunk).update(excused_at=now)
    for chunk in chunks(returners):
        AttestationDue.objects.filter(pk__in=chunk).update(excused_at=None)
    for agency_id, pks in moved.items():
        for chunk in chunks(pks):
            AttestationDue.objects.filter(pk__in=chunk).update(agency_id=agency_id)
    return len(leavers), len(returners), sum(len(pks) for pks in moved.values())


def campaign_sync(
    *, campaign: AttestationCampaign, today: dt.date | None = None, acting_user: Any = None
) -> SyncResult:
    """Bring an open campaign's duties in step with the register today, without restarting it:
    newcomers get a duty due ``max(campaign due date, today + new_joiner_days)``; people who left
    the audience are excused, people who came back are counted again (their due date unchanged);
    agency staff who moved are reported under their agency now. Duties already there keep their
    dates. Raises CampaignRefused for a closed campaign."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = AttestationCampaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.closed_at is not None:
            raise CampaignRefused(f"The campaign “{locked.title}” is closed.")
        members = audience_members(locked.organization, locked.audience, today=today)
        existing = {
            person_id: (pk, agency_id, excused_at)
            for pk, person_id, agency_id, excused_at in AttestationDue.objects.filter(
                campaign=locked
            ).values_list("pk", "person_id", "agency_id", "excused_at")
        }
        joiner_due = max(locked.due_on, today + dt.timedelta(days=locked.new_joiner_days))
        result = SyncResult(joined=_add_newcomers(locked, members, existing, joiner_due))
        result.left, result.returned, result.moved = _update_existing(members, existing)
        if result.changed:
            audit.record(
                action="attestation.campaign_synced",
                subject_type="attestation_campaign",
                subject_id=locked.pk,
                data={
                    "on": today,
                    "joined": result.joined,
                    "joined_due_on": joiner_due,
                    "left": result.left,
                    "returned": result.returned,
                    "moved": result.moved,
                },
                organization=locked.organization,
                actor=acting_user,
            )
    return result


@transaction.atomic
def campaign_close(
    *, campaign: AttestationCampaign, acting_user: Any = None
) -> AttestationCampaign:
    """Close a campaign: no more duties, reminders or attestations in it; its report stays.
    ``acting_user`` None is the command line."""
    locked = (
        AttestationCampaign.objects.select_for_update()
        .select_related("organization")
        .get(pk=campaign.pk)
    )
    problems = []
    if acting_user is not None and not is_body_staff(acting_user, locked.organization):
        problems.append(f"You have no staff role on {locked.organization.short_name}.")
    if locked.closed_at is not None:
        problems.append(f"The campaign “{locked.title}” is already closed.")
    if problems:
        raise CampaignRefused(problems)
    locked.closed_at = timezone.now()
    locked.save(update_fields=["closed_at"])
    audit.record(
        action="attestation.campaign_closed",
        subject_type="attestation_campaign",
        subject_id=locked.pk,
        data={"title": locked.title},
        organization=locked.organization,
        actor=acting_user,
    )
    return locked


def campaigns_supersede(*, version: CodeVersion, acting_user: Any = None) -> list[int]:
    """Close every open campaign asking people to attest to an earlier version of ``version``'s
    code, just published (called inside the publication's transaction, through
    `ombuds.codes.hooks`). Each closed campaign records ``superseded_by`` and writes
    ``attestation.campaign_superseded``. Its duties end with it: nobody is reminded or listed as
    pending any more, and nothing is lost: an attestation already given stays, and when the body
    asks for the new version the material-change rule decides whether it carries over (a campaign
    that is not material) or is outdated (a material one). The ids of the campaigns closed."""
    if not version.is_published:
        return []
    with transaction.atomic():
        stale = list(
            AttestationCampaign.objects.select_for_update()
            .filter(
                code_version__code_id=version.code_id,
                code_version__published_at__lt=version.published_at,
                closed_at__isnull=True,
            )
            .select_related("organization", "code_version")
            .order_by("pk")
        )
        now = timezone.now()
        for campaign in stale:
            campaign.closed_at = now
            campaign.superseded_by = version
            campaign.save(update_fields=["closed_at", "superseded_by"])
            dues = campaign.dues.filter(excused_at__isnull=True)
            audit.record(
                action="attestation.campaign_superseded",
                subject_type="attestation_campaign",
                subject_id=campaign.pk,
                data={
                    "title": campaign.title,
                    "version": campaign.code_version.label,
                    "version_id": campaign.code_version_id,
                    "superseded_by": version.label,
                    "superseded_by_id": version.pk,
                    "people": dues.count(),
                },
                organization=campaign.organization,
                actor=acting_user,
            )
    return [campaign.pk for campaign in stale]
