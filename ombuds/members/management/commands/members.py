"""`ombuds members disclosures list|review`: the body's holders' conflict-of-interest disclosures on
the command line (CESP 3.8), over the same selectors and service as the staff pages
(`ombuds.members.disclosure_review`). Who acts is named with `--as`: one of the body's
administrators, staff or its ethics chair."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.bodies.models import Organization
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.members import disclosure_review as service
from ombuds.members.models import Disclosure


def _organization(slug: str) -> Organization:
    found = Organization.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no body with slug {slug!r}")
    return found


def _reviewer(username: str, organization: Organization) -> Any:
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no user {username!r}")
    if not service.may_review(user, organization):
        raise CommandError(
            f"{username!r} is not an administrator, staff or the ethics chair of "
            f"{organization.short_name}"
        )
    return user


def _date(value: str | None, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{what} {value!r}: give a date as YYYY-MM-DD") from None


def _one_line(problems: list[str]) -> str:
    return " ".join(" ".join(problems).split())


class Command(BaseCommand):
    help = "Members' records kept by the body: its holders' conflict-of-interest disclosures."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="area", required=True, metavar="AREA")
        disclosures = sub.add_parser("disclosures", help="the holders' disclosures (CESP 3.8)")
        actions = disclosures.add_subparsers(dest="action", required=True, metavar="ACTION")

        p = actions.add_parser("list", help="list (or export as CSV) the holders' disclosures")
        self._common(p)
        p.add_argument("--holder", default="", help="words of the holder's name, e-mail or id")
        p.add_argument("--relationship", default="", choices=["", *Disclosure.Relationship.values])
        p.add_argument("--review", default="", choices=["", *Disclosure.Review.values, "changed"])
        p.add_argument("--from", dest="made_from", help="made on or after, YYYY-MM-DD")
        p.add_argument("--until", dest="made_until", help="made on or before, YYYY-MM-DD")
        p.add_argument("--csv", action="store_true", help="print CSV, as the staff page exports")

        p = actions.add_parser("review", help="acknowledge, set conditions or refer to a case")
        self._common(p)
        p.add_argument("disclosure", type=int, metavar="ID", help="the disclosure's id")
        p.add_argument("--outcome", required=True, choices=list(service.OUTCOMES))
        p.add_argument("--note", default="", help="what the holder is told")
        p.add_argument("--conditions", default="", help="with --outcome conditions")
        p.add_argument("--reason", default="", help="with --outcome referred: why")
        p.add_argument(
            "--cite",
            action="append",
            default=[],
            help=f"a provision the case cites (repeat it; {service.CONFLICT_CITATION} if none)",
        )
        p.add_argument(
            "--expected-version",
            default=None,
            help="the version `list` showed: refused if the disclosure changed since",
        )

    @staticmethod
    def _common(parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the body's slug")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="who acts: the body's administrator, staff or ethics chair",
        )

    def handle(self, *args: Any, area: str, action: str, **options: Any) -> None:
        getattr(self, f"handle_{area}_{action}")(**options)

    def handle_disclosures_list(self, *, org: str, username: str, **options: Any) -> None:
        organization = _organization(org)
        _reviewer(username, organization)
        filters = service.ReviewFilters(
            holder=options["holder"],
            relationship=options["relationship"],
            review=options["review"],
            made_from=_date(options["made_from"], "--from"),
            made_until=_date(options["made_until"], "--until"),
        )
        problems = filters.problems()
        if problems:
            raise CommandError(_one_line(problems))
        if options["csv"]:
            writer = csv.writer(self.stdout, lineterminator="\n")
            for row in service.export_rows(organization, filters):
                writer.writerow(row)
            return
        found = service.disclosures_for_review(organization, filters)
        count = 0
        for d in found.iterator(chunk_size=500):
            count += 1
            review = d.get_review_display() + (" (changed since)" if d.changed_since_review else "")
            case = f" {d.review_case.reference}" if d.review_case else ""
            self.stdout.write(
                f"{d.pk}\t{d.created_at:%Y-%m-%d}\t{d.holder_name}\t{d.relationship}\t"
                f"{d.party_name}\t{'current' if d.current else 'ended'}\t{review}{case}\t"
                f"version {version_of(d)}"
            )
        self.stderr.write(f"{count} disclosure{'s' if count != 1 else ''}")

    def handle_disclosures_review(
        self, *, org: str, username: str, disclosure: int, **options: Any
    ) -> None:
        organization = _organization(org)
        user = _reviewer(username, organization)
        found = service.disclosure_for_review(organization, disclosure)
        if found is None:
            raise CommandError(
                f"no disclosure {disclosure} of a holder of {organization.short_name}"
            )
        try:
            reviewed = service.disclosure_review(
                organization=organization,
                disclosure=found,
                review=service.Review(
                    outcome=options["outcome"],
                    note=options["note"],
                    conditions=options["conditions"],
                    reason=options["reason"],
                    citations=options["cite"],
                ),
                acting_user=user,
                expected_version=options["expected_version"],
            )
        except service.ReviewRefused as exc:
            raise CommandError(_one_line(exc.problems)) from exc
        except ChangedMeanwhile as exc:
            raise CommandError(str(exc)) from exc
        line = f"Disclosure {reviewed.pk}: {reviewed.get_review_display().lower()}"
        if reviewed.review_case:
            line += f"; case {reviewed.review_case.reference} opened"
        self.stdout.write(line + ".")
