"""`ombuds attest campaigns|start|coverage|proxy|tick`: attestation campaigns on the command line,
over the same services as the staff pages (`ombuds.members.attestations`)."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.forms import ValidationError

from ombuds.bodies.models import Organization
from ombuds.codes.selectors import version_get
from ombuds.members import attestations as service
from ombuds.members.models import AttestationCampaign
from ombuds.register.forms import find_person
from ombuds.register.models import Agency, Person


def _organization(slug: str) -> Organization:
    found = Organization.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no body with slug {slug!r}")
    return found


def _campaign(organization: Organization, pk: int) -> AttestationCampaign:
    found = (
        AttestationCampaign.objects.select_related("organization", "code_version__code")
        .filter(organization=organization, pk=pk)
        .first()
    )
    if found is None:
        raise CommandError(f"{organization.slug} has no attestation campaign {pk}")
    return found


def _date(value: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{what} {value!r} is not a date written YYYY-MM-DD") from None


def _days(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _refused(exc: Exception) -> CommandError:
    problems = getattr(exc, "problems", None) or [str(exc)]
    return CommandError(" ".join(problems))


class Command(BaseCommand):
    help = "Attestation campaigns: list, start, coverage, record by proxy, daily tick."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        p = sub.add_parser("campaigns", help="a body's campaigns, open ones first, with coverage")
        p.add_argument("org", metavar="ORG", help="the body's slug")

        p = sub.add_parser("start", help="start a campaign for the current version of the code")
        p.add_argument("org", metavar="ORG", help="the body's slug")
        p.add_argument("--version", dest="label", required=True, help="the version's label")
        p.add_argument(
            "--audience",
            required=True,
            choices=AttestationCampaign.Audience.values,
            help="who must attest",
        )
        p.add_argument("--due", required=True, help="the due date, YYYY-MM-DD")
        p.add_argument(
            "--not-material",
            action="store_true",
            help="a minor change: attestations to earlier versions carry over",
        )
        p.add_argument(
            "--reminders", default="", help="days before the due date, e.g. 14,3 (default: none)"
        )
        p.add_argument("--new-joiner-days", type=int, default=30)
        p.add_argument("--statement", required=True, help="what each person confirms")
        p.add_argument("--title", default="", help="default: the code's title and version")
        p.add_argument("--as", dest="username", help="the staff member starting it")

        p = sub.add_parser("coverage", help="a campaign's coverage: counts, then each person")
        p.add_argument("org", metavar="ORG", help="the body's slug")
        p.add_argument("campaign", metavar="CAMPAIGN_ID", type=int)
        p.add_argument("--agency", type=int, help="only this agency's people (its id)")
        p.add_argument("--csv", action="store_true", help="print every person as CSV")

        p = sub.add_parser("proxy", help="record a person's attestation on their behalf")
        p.add_argument("org", metavar="ORG", help="the body's slug")
        p.add_argument("campaign", metavar="CAMPAIGN_ID", type=int)
        p.add_argument("person", metavar="PERSON", help="ombuds:N, their identifier or email")
        p.add_argument("--reason", required=True, help="why it is recorded on their behalf")
        p.add_argument("--as", dest="username", help="the staff member recording it")

        p = sub.add_parser(
            "tick", help="bring open campaigns in step with the register; send reminders due"
        )
        p.add_argument("--today", help="run as on this day, YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def _user(self, username: str | None) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user

    def handle_campaigns(self, *, org: str, **_: Any) -> None:
        organization = _organization(org)
        campaigns = list(
            AttestationCampaign.objects.filter(organization=organization)
            .select_related("code_version")
            .order_by("-started_at", "-pk")
        )
        if not campaigns:
            self.stdout.write(f"{organization.slug} has no attestation campaign")
            return
        counts = service.campaign_counts(campaigns)
        for campaign in sorted(campaigns, key=lambda c: c.closed_at is not None):
            figures = counts[campaign.pk]
            total = sum(figures[s] for s in service.COUNTED)
            state = "closed" if campaign.closed_at else "open"
            self.stdout.write(
                f"{campaign.pk}\t{state}\t{campaign.code_version.label}\t{campaign.audience}\t"
                f"due {campaign.due_on.isoformat()}\t{figures['attested']}/{total} attested, "
                f"{figures['pending']} pending, {figures['outdated']} outdated, "
                f"{figures['overdue']} overdue\t{campaign.title}"
            )

    def handle_start(
        self,
        *,
        org: str,
        label: str,
        audience: str,
        due: str,
        not_material: bool,
        reminders: str,
        new_joiner_days: int,
        statement: str,
        title: str,
        username: str | None,
        **_: Any,
    ) -> None:
        organization = _organization(org)
        version = version_get(organization, label, published_only=False)
        if version is None:
            raise CommandError(f"{organization.slug} has no version {label!r}")
        try:
            campaign = service.campaign_start(
                organization=organization,
                code_version=version,
                title=title,
                audience=audience,
                material=not not_material,
                due_on=_date(due, "--due"),
                reminder_days=_days(reminders),
                new_joiner_days=new_joiner_days,
                statement=statement,
                started_by=self._user(username),
            )
        except service.CampaignRefused as exc:
            raise _refused(exc) from None
        self.stdout.write(
            f"started campaign {campaign.pk}: {campaign.dues.count()} people asked to attest to "
            f"version {version.label} by {campaign.due_on.isoformat()}"
        )

    def handle_coverage(
        self, *, org: str, campaign: int, agency: int | None, csv: bool, **_: Any
    ) -> None:
        organization = _organization(org)
        found = _campaign(organization, campaign)
        chosen = None
        if agency is not None:
            chosen = Agency.objects.filter(organization=organization, pk=agency).first()
            if chosen is None:
                raise CommandError(f"{organization.slug} has no agency {agency}")
        report = service.coverage(found, agency=chosen)
        if csv:
            writer = _csv_writer(self.stdout)
            for row in service.coverage_csv_rows(report):
                writer.writerow(row)
            return
        where = f" at {chosen.legal_name}" if chosen else ""
        self.stdout.write(
            f"{found.title}{where}: {report.counts['attested']} of {report.total} attested "
            f"({report.percent_attested}%), {report.counts['pending']} pending, "
            f"{report.counts['outdated']} outdated, {report.counts['overdue']} overdue, "
            f"{report.counts['excused']} excused"
        )
        for row in report.rows:
            attested = (
                f"\t{row.attestation.attested_at:%Y-%m-%d} v{row.attestation.version_label}"
                + (" by proxy" if row.attestation.by_proxy else "")
                if row.attestation
                else ""
            )
            self.stdout.write(
                f"{row.reference}\t{row.name}\t{row.status}\tdue {row.due_on.isoformat()}{attested}"
            )

    def handle_proxy(
        self,
        *,
        org: str,
        campaign: int,
        person: str,
        reason: str,
        username: str | None,
        **_: Any,
    ) -> None:
        organization = _organization(org)
        found = _campaign(organization, campaign)
        try:
            who = find_person(Person.objects.filter(organization=organization), person)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        try:
            attestation = service.attest_by_proxy(
                person=who,
                campaign=found,
                reason=reason,
                staff_user=self._user(username),
            )
        except service.AttestationRefused as exc:
            raise _refused(exc) from None
        self.stdout.write(
            f"recorded {who.full_name}'s attestation to version {found.code_version.label} "
            f"by proxy ({attestation.attested_at:%Y-%m-%d %H:%M})"
        )

    def handle_tick(self, *, today: str | None, **_: Any) -> None:
        day = _date(today, "--today") if today else None
        counts = service.attest_tick(today=day)
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))


def _csv_writer(stream: Any) -> Any:
    class _Lines:
        def write(self, text: str) -> None:
            stream.write(text, ending="")

    return csv.writer(_Lines())
