"""Attestation campaigns (CSEC 4.3: a member agency makes sure its employees and agents have read,
understood and agreed to the code).

A body starts a campaign for the current published version of its code: who must attest (the
audience), by when, the reminders, and whether the change is material. Starting it gives everyone
in the audience a duty (`AttestationDue`) in one bulk insert. The daily tick (`attest_tick`) keeps
the duties in step with the register without restarting anything: people who joined the audience
since get their own due date (`new_joiner_days` from the day they are found, never before the
campaign's), people who left are excused (kept, not counted), and people who came back are counted
again; then the reminders due go out, each once per duty and reminder day, however often it runs.

A person attests to the exact version: the SHA-256 of its canonical text (the Markdown export), the
statement they confirmed and the time. Staff may record an attestation by proxy, with a reason.

A duty's status is computed, never stored: "attested" (to the campaign's version or a later one;
in a non-material campaign an attestation to an earlier version carries over, unless a material
campaign came in between), "outdated" (a material campaign, only an earlier version attested, the
due date not passed), "overdue" (not attested and the due date passed), "pending", or "excused"
(no longer in the audience; not counted). Reports compute it for any number of people in a fixed
number of queries.

Every change writes its audit event in the same transaction; refusals list every problem at once
(`CampaignRefused`, `AttestationRefused`, `AgencyRefused`) and change nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from ombuds.accounts.models import Invitation
from ombuds.accounts.services import InvitationRefused, invitation_create
from ombuds.audit import services as audit
from ombuds.codes.exports import version_to_markdown
from ombuds.codes.models import CodeVersion
from ombuds.members.agency_roles import administered_agencies, current_on, is_agency_admin
from ombuds.members.models import (
    Attestation,
    AttestationCampaign,
    AttestationDue,
    AttestationReminder,
)
from ombuds.register.csv_io import OMBUDS_ID_PREFIX
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    Membership,
    Organization,
    Person,
)
from ombuds.register.selectors import is_body_staff
from ombuds.register.services import affiliation_save

Audience = AttestationCampaign.Audience

# Who is "in" an audience. A suspended member or holder is still bound by the code, so still asked.
CURRENT_MEMBERSHIP = ("active", "grace", "suspended")
CURRENT_CREDENTIAL = ("active", "suspended")
# An agency's staff, for CSEC 4.3: its employees and agents (not its principals, who are the member).
STAFF_ROLES = (Affiliation.Role.EMPLOYEE, Affiliation.Role.AGENT)

ATTESTED, OUTDATED, OVERDUE, PENDING, EXCUSED = (
    "attested",
    "outdated",
    "overdue",
    "pending",
    "excused",
)
STATUSES = (ATTESTED, OUTDATED, OVERDUE, PENDING, EXCUSED)
# The statuses a report counts (an excused duty is shown apart).
COUNTED = (ATTESTED, OUTDATED, OVERDUE, PENDING)
STATUS_LABELS = {
    ATTESTED: "Attested",
    OUTDATED: "Outdated (attested to an earlier version)",
    OVERDUE: "Overdue",
    PENDING: "Pending",
    EXCUSED: "Excused (no longer asked)",
}
# The statuses that still ask something of the person.
OPEN_STATUSES = (PENDING, OUTDATED, OVERDUE)

DEFAULT_STATEMENT = (
    "I have read, understand and agree to abide by all provisions of {title} (version {label})."
)
MAX_DAYS = 365
_CHUNK = 500


class _Refused(Exception):
    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class CampaignRefused(_Refused):
    """A campaign that cannot be started, synced or closed; ``problems`` lists every reason."""


class AttestationRefused(_Refused):
    """An attestation that cannot be recorded; ``problems`` lists every reason."""


class AgencyRefused(_Refused):
    """Something an agency administrator may not do; ``problems`` lists every reason."""


def _chunks(values: list[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _user(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


def _date(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


# --- versions -----------------------------------------------------------------------------------


def superseding_version(version: CodeVersion) -> CodeVersion | None:
    """The newest published version of the same code published after ``version``; None when
    ``version`` is the code's current (latest published) version."""
    if not version.is_published:
        return None
    return (
        CodeVersion.objects.filter(
            code_id=version.code_id,
            status=CodeVersion.Status.PUBLISHED,
            published_at__gt=version.published_at,
        )
        .order_by("-published_at")
        .first()
    )


def version_text_sha256(version: CodeVersion) -> str:
    """The SHA-256 of the version's canonical text (its Markdown export: title, version, preamble,
    every provision with its citation). A published version never changes, so neither does this."""
    return hashlib.sha256(version_to_markdown(version).encode("utf-8")).hexdigest()


def default_statement(version: CodeVersion) -> str:
    return DEFAULT_STATEMENT.format(title=version.title, label=version.label)


# --- audiences ----------------------------------------------------------------------------------


def member_agencies(organization: Organization) -> QuerySet[Agency]:
    """The body's agencies with a current membership."""
    return Agency.objects.filter(
        organization=organization,
        memberships__organization=organization,
        memberships__status__in=CURRENT_MEMBERSHIP,
    ).distinct()


def agency_staff(agency: Agency, *, today: dt.date) -> QuerySet[Affiliation]:
    """The agency's current employees and agents (one row per affiliation)."""
    return Affiliation.objects.filter(
        current_on(today),
        agency=agency,
        role__in=STAFF_ROLES,
        person__organization_id=agency.organization_id,
    )


def audience_members(
    organization: Organization, audience: str, *, today: dt.date
) -> dict[int, int | None]:
    """Everyone the audience covers today: person id → the agency through which they are asked
    (agency staff: their member agency with the smallest id when several; otherwise None)."""
    if audience == Audience.AGENCY_STAFF:
        rows = (
            Affiliation.objects.filter(
                current_on(today),
                agency__organization=organization,
                person__organization=organization,
                role__in=STAFF_ROLES,
                agency_id__in=Membership.objects.filter(
                    organization=organization,
                    agency__isnull=False,
                    status__in=CURRENT_MEMBERSHIP,
                ).values("agency_id"),
            )
            .order_by("person_id", "agency_id")
            .values_list("person_id", "agency_id")
        )
        members: dict[int, int | None] = {}
        for person_id, agency_id in rows:
            members.setdefault(person_id, agency_id)
        return members
    people = set(
        Credential.objects.filter(
            program__organization=organization,
            holder__organization=organization,
            status__in=CURRENT_CREDENTIAL,
        ).values_list("holder_id", flat=True)
    )
    if audience == Audience.ALL_MEMBERS:
        people |= set(
            Membership.objects.filter(
                organization=organization,
                person__organization=organization,
                status__in=CURRENT_MEMBERSHIP,
            ).values_list("person_id", flat=True)
        )
    return dict.fromkeys(sorted(people))


# --- starting, syncing and closing campaigns ------------------------------------------------------


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
    problems: list[str] = []
    if started_by is not None and not is_body_staff(started_by, organization):
        problems.append(f"You have no staff role on {organization.short_name}.")
    if code_version is None:
        problems.append("Choose the code version to attest to.")
    elif code_version.code.organization_id != organization.pk:
        problems.append(
            f"Version {code_version.label} is not a version of {organization.short_name}'s code."
        )
    elif not code_version.is_published:
        problems.append(
            f"Version {code_version.label} is a draft: publish it before asking anyone to attest."
        )
    else:
        newer = superseding_version(code_version)
        if newer is not None:
            problems.append(
                f"Version {code_version.label} was superseded by version {newer.label}: "
                "start the campaign for the current version."
            )
    if audience not in Audience.values:
        problems.append("Choose who must attest.")
    if code_version is not None and not title:
        title = f"{code_version.title}, version {code_version.label}"
    if not title:
        problems.append("Give the campaign a title.")
    elif len(title) > 200:
        problems.append("Write the title in 200 characters or fewer.")
    if due_on is None:
        problems.append("Give the due date.")
    elif due_on < today:
        problems.append("The due date cannot be in the past.")
    days = _reminder_days(reminder_days, problems)
    if isinstance(new_joiner_days, bool) or not (
        isinstance(new_joiner_days, int) and 1 <= new_joiner_days <= MAX_DAYS
    ):
        problems.append(f"New joiners get from 1 to {MAX_DAYS} days to attest.")
    if not statement:
        problems.append("Write the statement each person confirms.")
    if code_version is not None and audience in Audience.values:
        clash = AttestationCampaign.objects.filter(
            organization=organization,
            code_version=code_version,
            audience=audience,
            closed_at__isnull=True,
        ).first()
        if clash is not None:
            problems.append(
                f"The open campaign “{clash.title}” already asks "
                f"{Audience(audience).label.lower()} to attest to version {code_version.label}: "
                "close it first."
            )
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
        started_by=_user(started_by),
    )
    members = audience_members(organization, audience, today=today)
    AttestationDue.objects.bulk_create(
        (
            AttestationDue(
                campaign=campaign, person_id=person_id, agency_id=agency_id, due_on=due_on
            )
            for person_id, agency_id in members.items()
        ),
        batch_size=1000,
    )
    audit.record(
        action="attestation.campaign_started",
        subject_type="attestation_campaign",
        subject_id=campaign.pk,
        data={
            "title": title,
            "version": code_version.label,
            "version_id": code_version.pk,
            "audience": audience,
            "material": campaign.material,
            "due_on": due_on,
            "reminder_days": days,
            "new_joiner_days": new_joiner_days,
            "statement": statement,
            "people": len(members),
        },
        organization=organization,
        actor=started_by,
    )
    return campaign


@dataclass
class SyncResult:
    joined: int = 0
    left: int = 0
    returned: int = 0
    moved: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.joined or self.left or self.returned or self.moved)


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
        result = SyncResult()
        joiner_due = max(locked.due_on, today + dt.timedelta(days=locked.new_joiner_days))
        newcomers = [
            AttestationDue(
                campaign=locked,
                person_id=person_id,
                agency_id=agency_id,
                due_on=joiner_due,
                joined_late=True,
            )
            for person_id, agency_id in members.items()
            if person_id not in existing
        ]
        AttestationDue.objects.bulk_create(newcomers, batch_size=1000)
        result.joined = len(newcomers)
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
        for chunk in _chunks(leavers):
            AttestationDue.objects.filter(pk__in=chunk).update(excused_at=now)
        for chunk in _chunks(returners):
            AttestationDue.objects.filter(pk__in=chunk).update(excused_at=None)
        for agency_id, pks in moved.items():
            for chunk in _chunks(pks):
                AttestationDue.objects.filter(pk__in=chunk).update(agency_id=agency_id)
        result.left, result.returned = len(leavers), len(returners)
        result.moved = sum(len(pks) for pks in moved.values())
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


# --- attesting ----------------------------------------------------------------------------------


def _check(
    problems: list[str],
    *,
    person: Person,
    version: CodeVersion,
    campaign: AttestationCampaign | None,
    you: bool,
) -> None:
    """The problems shared by attesting oneself and by proxy."""
    if version.code.organization_id != person.organization_id:
        problems.append("This code is not one of the body that keeps this register record.")
    elif not version.is_published:
        problems.append(f"Version {version.label} is not published.")
    else:
        newer = superseding_version(version)
        if newer is not None:
            problems.append(
                f"Version {version.label} was superseded by version {newer.label}: "
                "attest to the current version."
            )
    if campaign is not None:
        # Read again: the campaign may have closed since the caller loaded it.
        if AttestationCampaign.objects.filter(pk=campaign.pk, closed_at__isnull=False).exists():
            problems.append(f"The campaign “{campaign.title}” is closed.")
        if not AttestationDue.objects.filter(campaign=campaign, person=person).exists():
            problems.append(
                f"{'You are' if you else person.full_name + ' is'} not asked to attest in "
                f"“{campaign.title}”."
            )
    earlier = Attestation.objects.filter(person=person, code_version=version).first()
    if earlier is not None:
        problems.append(
            f"{'You' if you else person.full_name} already attested to version {version.label} "
            f"on {_date(timezone.localtime(earlier.attested_at).date())}."
        )


def _record(
    *,
    person: Person,
    version: CodeVersion,
    campaign: AttestationCampaign | None,
    user: Any,
    proxy_reason: str = "",
) -> Attestation:
    statement = campaign.statement if campaign is not None else default_statement(version)
    digest = version_text_sha256(version)
    try:
        with transaction.atomic():
            # One attestation per person and version: the lock makes a second request wait and the
            # unique constraint refuse it.
            Person.objects.select_for_update().filter(pk=person.pk).first()
            attestation = Attestation.objects.create(
                person=person,
                code_version=version,
                campaign=campaign,
                text_sha256=digest,
                statement=statement,
                attested_at=timezone.now(),
                user=_user(user),
                by_proxy=bool(proxy_reason),
                proxy_reason=proxy_reason,
            )
            audit.record(
                action="attestation.recorded",
                subject_type="person",
                subject_id=person.pk,
                data={
                    "attestation": attestation.pk,
                    "version": version.label,
                    "version_id": version.pk,
                    "campaign": campaign.pk if campaign is not None else None,
                    "text_sha256": digest,
                    "statement": statement,
                    "by_proxy": attestation.by_proxy,
                    "proxy_reason": proxy_reason,
                },
                organization=person.organization,
                actor=user,
                actor_label="" if _user(user) else "command line",
            )
    except IntegrityError:
        raise AttestationRefused(
            f"{person.full_name} already attested to version {version.label}."
        ) from None
    return attestation


def attest(
    *,
    person: Person,
    user: Any,
    statement_confirmed: bool,
    campaign: AttestationCampaign | None = None,
    code_version: CodeVersion | None = None,
) -> Attestation:
    """The person's own attestation to the campaign's version (or to ``code_version``), which must
    be the code's current version: the SHA-256 of its text, the statement they confirmed (the
    campaign's, or the default one) and the time. ``person`` must be the user's own record. Raises
    AttestationRefused listing every problem."""
    if (campaign is None) == (code_version is None):
        raise AttestationRefused("Attest either in a campaign or to a code version.")
    version = campaign.code_version if campaign is not None else code_version
    assert version is not None
    problems: list[str] = []
    if not getattr(user, "pk", None) or person.user_id != user.pk:
        problems.append(
            "You can only attest for yourself; staff record an attestation for someone else "
            "by proxy, with the reason."
        )
    if not statement_confirmed:
        problems.append("Tick “I confirm” to confirm the statement.")
    _check(problems, person=person, version=version, campaign=campaign, you=True)
    if problems:
        raise AttestationRefused(problems)
    return _record(person=person, version=version, campaign=campaign, user=user)


def attest_by_proxy(
    *, person: Person, campaign: AttestationCampaign, reason: str, staff_user: Any
) -> Attestation:
    """Staff record an attestation on the person's behalf (they attested on paper, by email …),
    marked as by proxy with the reason given (required). ``staff_user`` None is the command line.
    Raises AttestationRefused listing every problem."""
    reason = (reason or "").strip()
    problems: list[str] = []
    if staff_user is not None and not is_body_staff(staff_user, campaign.organization):
        problems.append(f"You have no staff role on {campaign.organization.short_name}.")
    if not reason:
        problems.append("Say why you record this attestation on their behalf.")
    _check(problems, person=person, version=campaign.code_version, campaign=campaign, you=False)
    if problems:
        raise AttestationRefused(problems)
    return _record(
        person=person,
        version=campaign.code_version,
        campaign=campaign,
        user=staff_user,
        proxy_reason=reason,
    )


# --- statuses -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttestationFact:
    """What a report shows of an attestation."""

    pk: int
    person_id: int
    version_id: int
    version_label: str
    published_at: dt.datetime
    attested_at: dt.datetime
    by_proxy: bool


@dataclass(frozen=True)
class Classified:
    status: str
    attestation: AttestationFact | None = None
    carried_over: bool = False

    @property
    def label(self) -> str:
        if self.carried_over:
            return f"Attested (version {self.attestation.version_label}, carried over)"  # type: ignore[union-attr]
        return STATUS_LABELS[self.status]


class _Statuses:
    """Classifies duties of some campaigns in three queries however many people they concern:
    the attestations to their codes of the people concerned, and the material campaigns that limit
    what carries over."""

    def __init__(self, campaigns: Iterable[AttestationCampaign], people: Any) -> None:
        self.campaigns = {c.pk: c for c in campaigns}
        codes = {c.code_version.code_id for c in self.campaigns.values()}
        self.facts: dict[int, list[AttestationFact]] = defaultdict(list)
        self.baselines: dict[int, dt.datetime | None] = {}
        if not self.campaigns:
            return
        for row in Attestation.objects.filter(
            person_id__in=people, code_version__code_id__in=codes
        ).values_list(
            "pk",
            "person_id",
            "code_version_id",
            "code_version__label",
            "code_version__published_at",
            "attested_at",
            "by_proxy",
        ):
            self.facts[row[1]].append(AttestationFact(*row))
        lenient = [c for c in self.campaigns.values() if not c.material]
        if lenient:
            material = list(
                AttestationCampaign.objects.filter(
                    material=True, code_version__code_id__in=codes
                ).values_list("code_version__code_id", "code_version__published_at")
            )
            for campaign in lenient:
                version = campaign.code_version
                before = [
                    published
                    for code_id, published in material
                    if code_id == version.code_id and published < version.published_at
                ]
                self.baselines[campaign.pk] = max(before) if before else None

    def classify(
        self, campaign_id: int, person_id: int, due_on: dt.date, excused: bool, today: dt.date
    ) -> Classified:
        campaign = self.campaigns[campaign_id]
        published = campaign.code_version.published_at
        facts = self.facts.get(person_id, ())
        covering = [f for f in facts if f.published_at >= published]
        if covering:
            best = min(covering, key=lambda f: f.published_at)
            return Classified(EXCUSED if excused else ATTESTED, best)
        earlier = max(facts, key=lambda f: f.published_at) if facts else None
        if excused:
            return Classified(EXCUSED, earlier)
        if earlier is not None and not campaign.material:
            baseline = self.baselines.get(campaign.pk)
            if baseline is None or earlier.published_at >= baseline:
                return Classified(ATTESTED, earlier, carried_over=True)
        if due_on < today:
            return Classified(OVERDUE, earlier)
        if earlier is not None:
            return Classified(OUTDATED, earlier)
        return Classified(PENDING)


def _empty_counts() -> dict[str, int]:
    return dict.fromkeys(STATUSES, 0)


# --- reports ------------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    due_id: int
    person_id: int
    name: str
    email: str
    reference: str
    agency_id: int | None
    agency_name: str
    due_on: dt.date
    joined_late: bool
    result: Classified

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def status_label(self) -> str:
        return self.result.label

    @property
    def attestation(self) -> AttestationFact | None:
        return self.result.attestation


@dataclass
class Coverage:
    campaign: AttestationCampaign
    agency: Agency | None
    counts: dict[str, int]
    rows: list[CoverageRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Everyone counted (excused people are not)."""
        return sum(self.counts[s] for s in COUNTED)

    @property
    def percent_attested(self) -> int:
        return round(100 * self.counts[ATTESTED] / self.total) if self.total else 0


def _agency_filter(agency: Agency, today: dt.date) -> Q:
    """Duties arising through the agency, and those of its current employees and agents."""
    return Q(agency=agency) | Q(person_id__in=agency_staff(agency, today=today).values("person_id"))


def coverage(
    campaign: AttestationCampaign, *, agency: Agency | None = None, today: dt.date | None = None
) -> Coverage:
    """The campaign's report: counts per status and a row per person (by name), for the whole
    body or one agency (the duties through it and those of its current employees and agents). A
    fixed number of queries, however many people."""
    today = today or timezone.localdate()
    dues = AttestationDue.objects.filter(campaign=campaign)
    if agency is not None:
        dues = dues.filter(_agency_filter(agency, today))
    statuses = _Statuses([campaign], dues.values("person_id"))
    counts = _empty_counts()
    rows = []
    for values in dues.order_by(
        "person__family_name", "person__given_name", "person_id"
    ).values_list(
        "pk",
        "person_id",
        "person__given_name",
        "person__family_name",
        "person__email",
        "person__external_id",
        "agency_id",
        "agency__legal_name",
        "due_on",
        "joined_late",
        "excused_at",
    ):
        pk, person_id, given, family, email, external_id, agency_id, agency_name, due_on = values[
            :9
        ]
        joined_late, excused_at = values[9:]
        result = statuses.classify(campaign.pk, person_id, due_on, excused_at is not None, today)
        counts[result.status] += 1
        rows.append(
            CoverageRow(
                due_id=pk,
                person_id=person_id,
                name=f"{given} {family}".strip(),
                email=email,
                reference=external_id or f"{OMBUDS_ID_PREFIX}{person_id}",
                agency_id=agency_id,
                agency_name=agency_name or "",
                due_on=due_on,
                joined_late=joined_late,
                result=result,
            )
        )
    return Coverage(campaign=campaign, agency=agency, counts=counts, rows=rows)


def campaign_counts(
    campaigns: Iterable[AttestationCampaign], *, today: dt.date | None = None
) -> dict[int, dict[str, int]]:
    """Counts per status of each campaign (campaign id → status → count), in three queries at most
    however many campaigns and people. The campaigns need their ``code_version`` loaded."""
    today = today or timezone.localdate()
    campaigns = list(campaigns)
    counts = {c.pk: _empty_counts() for c in campaigns}
    if not campaigns:
        return counts
    dues = AttestationDue.objects.filter(campaign__in=[c.pk for c in campaigns])
    statuses = _Statuses(campaigns, dues.values("person_id"))
    for campaign_id, person_id, due_on, excused_at in dues.values_list(
        "campaign_id", "person_id", "due_on", "excused_at"
    ):
        result = statuses.classify(campaign_id, person_id, due_on, excused_at is not None, today)
        counts[campaign_id][result.status] += 1
    return counts


def register_numbers(organization: Organization, person_ids: Any) -> dict[int, str]:
    """Each person's register number: a live credential's, else a membership's (two queries)."""
    numbers: dict[int, str] = {}
    for holder_id, number in (
        Credential.objects.filter(program__organization=organization, holder_id__in=person_ids)
        .exclude(status__in=("revoked", "surrendered"))
        .order_by("holder_id", "pk")
        .values_list("holder_id", "number")
    ):
        numbers.setdefault(holder_id, number)
    for person_id, number in (
        Membership.objects.filter(organization=organization, person_id__in=person_ids)
        .order_by("person_id", "pk")
        .values_list("person_id", "number")
    ):
        numbers.setdefault(person_id, number)
    return numbers


CSV_HEADER = [
    "person",
    "reference",
    "number",
    "email",
    "agency",
    "status",
    "due_on",
    "joined_late",
    "attested_at",
    "version",
    "carried_over",
    "by_proxy",
]


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with an apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def coverage_csv_rows(report: Coverage) -> Iterator[list[str]]:
    """The report as CSV rows, the header first: every person, excused ones included."""
    numbers = register_numbers(report.campaign.organization, [r.person_id for r in report.rows])
    yield CSV_HEADER
    for row in report.rows:
        fact = row.attestation
        yield [
            _cell(row.name),
            _cell(row.reference),
            _cell(numbers.get(row.person_id, "")),
            _cell(row.email),
            _cell(row.agency_name),
            row.status,
            row.due_on.isoformat(),
            "yes" if row.joined_late else "no",
            timezone.localtime(fact.attested_at).isoformat(timespec="seconds") if fact else "",
            _cell(fact.version_label) if fact else "",
            "yes" if row.result.carried_over else "no",
            ("yes" if fact.by_proxy else "no") if fact else "",
        ]


# --- the member's own duties --------------------------------------------------------------------


@dataclass(frozen=True)
class OpenDue:
    """A duty the member still has to fulfil, for their home page."""

    campaign: AttestationCampaign
    organization: Organization
    title: str
    version_label: str
    due_on: dt.date
    status: str  # "pending", "outdated" or "overdue"
    status_label: str
    url: str

    @property
    def overdue(self) -> bool:
        return self.status == OVERDUE


def open_dues_for_user(user: Any, *, today: dt.date | None = None) -> list[OpenDue]:
    """The signed-in user's duties, in every body, that still ask something of them (pending,
    outdated or overdue), soonest due first, each with the address where they attest. Nothing for
    an anonymous user; otherwise one query, and two more when there are duties."""
    if not getattr(user, "is_authenticated", False):
        return []
    today = today or timezone.localdate()
    dues = list(
        AttestationDue.objects.filter(
            person__user=user, campaign__closed_at__isnull=True, excused_at__isnull=True
        )
        .select_related("campaign__organization", "campaign__code_version")
        .order_by("due_on", "pk")
    )
    if not dues:
        return []
    statuses = _Statuses([d.campaign for d in dues], [d.person_id for d in dues])
    found = []
    for due in dues:
        result = statuses.classify(due.campaign_id, due.person_id, due.due_on, False, today)
        if result.status not in OPEN_STATUSES:
            continue
        found.append(
            OpenDue(
                campaign=due.campaign,
                organization=due.campaign.organization,
                title=due.campaign.title,
                version_label=due.campaign.code_version.label,
                due_on=due.due_on,
                status=result.status,
                status_label=result.label,
                url=reverse("attest:attest", kwargs={"campaign": due.campaign_id}),
            )
        )
    return found


def due_status(due: AttestationDue, *, today: dt.date | None = None) -> Classified:
    """One duty's status (the campaign and its version loaded with it)."""
    today = today or timezone.localdate()
    statuses = _Statuses([due.campaign], [due.person_id])
    return statuses.classify(
        due.campaign_id, due.person_id, due.due_on, due.excused_at is not None, today
    )


# --- reminders and the daily tick ---------------------------------------------------------------


def attest_url(campaign: AttestationCampaign) -> str:
    return settings.OMBUDS_BASE_URL.rstrip("/") + reverse(
        "attest:attest", kwargs={"campaign": campaign.pk}
    )


def _send_reminder(
    campaign: AttestationCampaign, person: Person, email: str, due_on: dt.date, days_left: int
) -> None:
    body = campaign.organization
    version = campaign.code_version
    send_mail(
        subject=f"{body.short_name}: attest to {version.title} by {_date(due_on)}",
        message=(
            f"Dear {person.full_name},\n\n{body.name} asks you to read version {version.label} of "
            f"{version.title} and confirm:\n\n“{campaign.statement}”\n\n"
            f"This is due on {_date(due_on)}, in {days_left} day{'s' if days_left != 1 else ''}. "
            f"Read the code and attest here (sign in first):\n{attest_url(campaign)}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
        fail_silently=True,
    )


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
    sent = 0
    for campaign in campaigns:
        days = sorted(int(d) for d in campaign.reminder_days)
        horizon = today + dt.timedelta(days=max(days))
        dues = list(
            AttestationDue.objects.filter(
                campaign=campaign, excused_at__isnull=True, due_on__gte=today, due_on__lte=horizon
            ).select_related("person__user")
        )
        if not dues:
            continue
        statuses = _Statuses([campaign], [d.person_id for d in dues])
        already: dict[int, list[int]] = defaultdict(list)
        for chunk in _chunks([d.pk for d in dues]):
            for due_id, days_before in AttestationReminder.objects.filter(
                due_id__in=chunk
            ).values_list("due_id", "days_before"):
                already[due_id].append(days_before)
        count = 0
        with transaction.atomic():
            for due in dues:
                left = (due.due_on - today).days
                threshold = min(d for d in days if left <= d)
                if any(before <= threshold for before in already[due.pk]):
                    continue
                result = statuses.classify(campaign.pk, due.person_id, due.due_on, False, today)
                if result.status not in OPEN_STATUSES:
                    continue
                person = due.person
                email = (person.user.email if person.user_id else "") or person.email
                if not email:
                    continue
                try:
                    with transaction.atomic():
                        AttestationReminder.objects.create(due=due, days_before=threshold)
                except IntegrityError:
                    continue  # another run sent it first
                transaction.on_commit(
                    lambda c=campaign, p=person, e=email, d=due.due_on, n=left: _send_reminder(
                        c, p, e, d, n
                    )
                )
                count += 1
            if count:
                audit.record(
                    action="attestation.reminders_sent",
                    subject_type="attestation_campaign",
                    subject_id=campaign.pk,
                    data={"on": today, "sent": count},
                    organization=campaign.organization,
                )
        sent += count
    return sent


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


# --- agency administrators ----------------------------------------------------------------------


def agencies_administered(user: Any, *, today: dt.date | None = None) -> list[Agency]:
    """The agencies whose people the user manages (for their home page)."""
    return list(administered_agencies(user, today=today).order_by("legal_name", "pk"))


@dataclass
class AgencyPerson:
    person: Person
    roles: list[str]
    account: str  # "account", "invited" or "none"
    # One per open campaign, in the overview's order: the person's status, or None when not asked.
    statuses: list[tuple[Classified, dt.date] | None]

    @property
    def account_label(self) -> str:
        return {"account": "Has an account", "invited": "Invited", "none": "No account"}[
            self.account
        ]


@dataclass
class AgencyOverview:
    agency: Agency
    campaigns: list[AttestationCampaign]
    people: list[AgencyPerson]
    # Per open campaign (same order): counts per status among the agency's people.
    counts: list[dict[str, int]]


def agency_overview(agency: Agency, *, today: dt.date | None = None) -> AgencyOverview:
    """The agency's current employees and agents, each with their account (has one, invited, none)
    and their status in each of the body's open campaigns; counts per campaign. Seven queries
    however many people and campaigns."""
    today = today or timezone.localdate()
    staff = agency_staff(agency, today=today)
    by_person: dict[int, AgencyPerson] = {}
    for affiliation in staff.select_related("person").order_by(
        "person__family_name", "person__given_name", "person_id", "role"
    ):
        entry = by_person.get(affiliation.person_id)
        if entry is None:
            person = affiliation.person
            entry = by_person[person.pk] = AgencyPerson(
                person=person,
                roles=[],
                account="account" if person.user_id else "none",
                statuses=[],
            )
        entry.roles.append(affiliation.get_role_display())
    people_ids = staff.values("person_id")
    for person_id in Invitation.objects.filter(
        person_id__in=people_ids,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).values_list("person_id", flat=True):
        if by_person[person_id].account == "none":
            by_person[person_id].account = "invited"
    campaigns = list(
        AttestationCampaign.objects.filter(
            organization_id=agency.organization_id, closed_at__isnull=True
        )
        .select_related("code_version")
        .order_by("due_on", "pk")
    )
    dues: dict[tuple[int, int], tuple[dt.date, bool]] = {}
    if campaigns:
        for campaign_id, person_id, due_on, excused_at in AttestationDue.objects.filter(
            campaign__in=[c.pk for c in campaigns], person_id__in=people_ids
        ).values_list("campaign_id", "person_id", "due_on", "excused_at"):
            dues[(campaign_id, person_id)] = (due_on, excused_at is not None)
    statuses = _Statuses(campaigns, people_ids)
    counts = [_empty_counts() for _ in campaigns]
    for entry in by_person.values():
        for index, campaign in enumerate(campaigns):
            due = dues.get((campaign.pk, entry.person.pk))
            if due is None:
                entry.statuses.append(None)
                continue
            result = statuses.classify(campaign.pk, entry.person.pk, due[0], due[1], today)
            counts[index][result.status] += 1
            entry.statuses.append((result, due[0]))
    return AgencyOverview(
        agency=agency, campaigns=campaigns, people=list(by_person.values()), counts=counts
    )


AGENCY_CSV_HEADER = [
    "campaign",
    "person",
    "reference",
    "email",
    "role",
    "account",
    "status",
    "due_on",
    "attested_at",
    "version",
    "carried_over",
    "by_proxy",
]


def agency_csv_rows(overview: AgencyOverview) -> Iterator[list[str]]:
    """The agency's coverage as CSV rows, the header first: one row per person and open campaign
    they are asked in."""
    yield AGENCY_CSV_HEADER
    for index, campaign in enumerate(overview.campaigns):
        for entry in overview.people:
            status = entry.statuses[index]
            if status is None:
                continue
            result, due_on = status
            fact = result.attestation
            person = entry.person
            yield [
                _cell(campaign.title),
                _cell(person.full_name),
                _cell(person.external_id or f"{OMBUDS_ID_PREFIX}{person.pk}"),
                _cell(person.email),
                ", ".join(entry.roles),
                entry.account,
                result.status,
                due_on.isoformat(),
                timezone.localtime(fact.attested_at).isoformat(timespec="seconds") if fact else "",
                _cell(fact.version_label) if fact else "",
                "yes" if result.carried_over else "no",
                ("yes" if fact.by_proxy else "no") if fact else "",
            ]


def _admin_problems(user: Any, agency: Agency, today: dt.date) -> list[str]:
    if not is_agency_admin(user, agency, today=today):
        return [f"You are not an administrator of {agency.legal_name}."]
    return []


def agency_invite(
    *, agency: Agency, person: Person, user: Any, today: dt.date | None = None
) -> tuple[Invitation, str]:
    """An agency administrator invites one of the agency's current employees or agents to open
    their account (`ombuds.accounts.services.invitation_create`, which writes its audit event).
    Raises AgencyRefused listing every problem."""
    today = today or timezone.localdate()
    problems = _admin_problems(user, agency, today)
    if not agency_staff(agency, today=today).filter(person=person).exists():
        problems.append(
            f"{person.full_name} is not a current employee or agent of {agency.legal_name}."
        )
    if problems:
        raise AgencyRefused(problems)
    try:
        return invitation_create(person=person, invited_by=user)
    except InvitationRefused as refused:
        raise AgencyRefused(refused.problems) from None


def agency_person_add(
    *,
    agency: Agency,
    user: Any,
    given_name: str,
    family_name: str,
    email: str,
    role: str,
    today: dt.date | None = None,
) -> tuple[Person, Invitation]:
    """An agency administrator adds a new employee or agent: a register record in the body, their
    affiliation with the agency from today (`ombuds.register.services.affiliation_save`), and an
    invitation to open their account; open agency-staff campaigns ask them at once. Someone already
    in the body's register (by email address) is refused: the body links existing records. Raises
    AgencyRefused listing every problem; all or nothing."""
    today = today or timezone.localdate()
    given_name, family_name = (given_name or "").strip(), (family_name or "").strip()
    email = (email or "").strip()
    problems = _admin_problems(user, agency, today)
    if not given_name:
        problems.append("Give their given name.")
    elif len(given_name) > 150:
        problems.append("Write the given name in 150 characters or fewer.")
    if not family_name:
        problems.append("Give their family name.")
    elif len(family_name) > 150:
        problems.append("Write the family name in 150 characters or fewer.")
    if not email:
        problems.append("Give their email address: the invitation goes there.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append("Enter their email address in the form name@example.org.")
        else:
            if Person.objects.filter(
                organization_id=agency.organization_id, email__iexact=email
            ).exists():
                problems.append(
                    f"Someone with the email address {email} is already in "
                    f"{agency.organization.short_name}'s register: ask "
                    f"{agency.organization.short_name} to add them to {agency.legal_name}."
                )
    if role not in STAFF_ROLES:
        problems.append("Choose employee or agent.")
    if problems:
        raise AgencyRefused(problems)
    try:
        with transaction.atomic():
            person = Person(
                organization_id=agency.organization_id,
                given_name=given_name,
                family_name=family_name,
                email=email,
            )
            person.full_clean()
            person.save()
            affiliation = affiliation_save(
                agency=agency, person=person, role=role, start_date=today
            )
            audit.record(
                action="agency.person_added",
                subject_type="person",
                subject_id=person.pk,
                data={
                    "agency": agency.pk,
                    "affiliation": affiliation.pk,
                    "role": role,
                    "name": person.full_name,
                    "email": email,
                },
                organization=agency.organization,
                actor=user,
            )
            invitation, _token = invitation_create(person=person, invited_by=user, email=email)
            for campaign in AttestationCampaign.objects.filter(
                organization_id=agency.organization_id,
                audience=Audience.AGENCY_STAFF,
                closed_at__isnull=True,
            ):
                campaign_sync(campaign=campaign, today=today, acting_user=user)
    except (ValidationError, TransitionRefused, InvitationRefused, CampaignRefused) as exc:
        messages = (
            exc.problems
            if isinstance(exc, InvitationRefused | CampaignRefused)
            else (exc.messages if isinstance(exc, ValidationError) else [str(exc)])
        )
        raise AgencyRefused(list(messages)) from None
    return person, invitation
