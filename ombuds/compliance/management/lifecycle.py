"""`ombuds compliance findings|answer|close|open-case|due|tick`: a finding's life from the command
line, through the same services as the pages and the API (`ombuds.compliance.findings`).

- `findings --org SLUG [--agency N] [--status S] [--provision P] [--json]`: the body's findings,
  one per line (or JSON: the fields of `check --json` and the finding's number, version, status...).
- `answer FINDING --as USERNAME --text TEXT`: the agency's answer (its administrator's).
- `close FINDING --as USERNAME --reason TEXT`: the council closes it (its staff).
- `open-case FINDING --as USERNAME`: the council opens a case from it; prints the case's reference.
- `due --org SLUG [--agency N] [--today YYYY-MM-DD]`: what is due; for the whole body, what is
  still to file.
- `tick [--today YYYY-MM-DD]`: the daily work (reminders, overdue returns, escalations).

`--expected-version` (the finding's version as `findings --json` shows it) refuses a change to a
finding that changed since. A refusal is one line and a non-zero exit (CommandError); nothing is
changed.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.compliance import findings, schedule, selectors
from ombuds.compliance.models import Finding
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.register.models import Agency

ACTIONS = ("findings", "answer", "close", "open-case", "due", "tick")


def add_parsers(sub: Any) -> None:
    """The subcommands of this module, added to `ombuds compliance`'s."""
    listing = sub.add_parser("findings", help="list a body's findings")
    listing.add_argument("--org", required=True)
    listing.add_argument("--agency", type=int, metavar="NUMBER", help="one agency's only")
    listing.add_argument(
        "--status",
        choices=[selectors.UNRESOLVED_FILTER, *Finding.Status.values],
        help="one status, or unresolved (default: all but superseded)",
    )
    listing.add_argument("--provision", help="its citation, such as 1.2(c)")
    listing.add_argument("--json", action="store_true", help="the findings as JSON")
    for name, what in (
        ("answer", "answer a finding, as the agency's administrator"),
        ("close", "close a finding, as the body's staff"),
        ("open-case", "open a case from a finding, as the body's staff"),
    ):
        p = sub.add_parser(name, help=what)
        p.add_argument("finding", type=int, metavar="FINDING")
        p.add_argument("--as", dest="username", required=True, help="who acts")
        p.add_argument(
            "--expected-version",
            metavar="VERSION",
            help="the finding's version as read: refused if it changed since",
        )
    sub.choices["answer"].add_argument("--text", required=True, help="the answer")
    sub.choices["close"].add_argument("--reason", required=True, help="why it is closed")
    due = sub.add_parser("due", help="the returns due (for the body: those still to file)")
    due.add_argument("--org", required=True)
    due.add_argument("--agency", type=int, metavar="NUMBER")
    due.add_argument("--today", metavar="YYYY-MM-DD")
    tick = sub.add_parser("tick", help="the daily work: reminders, overdue returns, escalations")
    tick.add_argument("--today", metavar="YYYY-MM-DD")


def run(command: BaseCommand, action: str, options: dict[str, Any]) -> None:
    if action == "findings":
        return _findings(command, options)
    if action == "due":
        return _due(command, options)
    if action == "tick":
        totals = schedule.compliance_tick(today=_day(options["today"]))
        for what, n in totals.items():
            command.stdout.write(f"{what}: {n}")
        return None
    return _change(command, action, options)


# --- reading --------------------------------------------------------------------------------------


def _organization(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise CommandError(f"no body {slug!r}")
    return organization


def _agency(organization: Organization, number: int) -> Agency:
    agency = Agency.objects.filter(organization=organization, pk=number).first()
    if agency is None:
        raise CommandError(f"no agency {number} in {organization.slug}'s register")
    return agency


def _day(text: str | None) -> dt.date:
    if text is None:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--today {text!r} is not a date written YYYY-MM-DD") from None


def as_json(f: Finding, code: str) -> dict[str, Any]:
    """A finding as `findings --json` prints it: `check --json`'s fields, then its own."""
    return {
        "provision": f"{code} {f.provision}".strip(),
        "rule": f.rule_key,
        "client": f.client_ref or None,
        "date": f.date.isoformat() if f.date else None,
        "amount": str(f.amount) if f.amount is not None else None,
        "detail": f.detail,
        "id": f.pk,
        "version": version_of(f),
        "status": f.status,
        "agency": f.agency_id,
        "agency_name": f.agency.legal_name,
        "return": f.filed_return_id,
        "return_key": f.return_key,
        "period": [f.period_start.isoformat(), f.period_end.isoformat()],
        "severity": f.severity,
        "cure_by": f.cure_by.isoformat(),
        "answer": f.answer,
        "resolution": f.resolution,
        "case": f.case.reference if f.case_id else None,
    }


def _findings(command: BaseCommand, options: dict[str, Any]) -> None:
    organization = _organization(options["org"])
    agency = _agency(organization, options["agency"]) if options["agency"] else None
    rows = selectors.findings_list(
        organization,
        agency_id=agency.pk if agency else None,
        status=options["status"] or "",
        provision=(options["provision"] or "").strip(),
    )
    code = selectors.citation_code(organization)
    if options["json"]:
        command.stdout.write(json.dumps([as_json(f, code) for f in rows], indent=2))
        return
    count = 0
    for f in rows:
        count += 1
        cells = [
            str(f.pk),
            f.status,
            f"agency {f.agency_id}",
            f"{code} {f.provision}".strip(),
            f.rule_key,
            f.client_ref or "-",
            str(f.date or "-"),
            str(f.amount if f.amount is not None else "-"),
            f.detail,
        ]
        command.stdout.write("\t".join(cells))
    command.stderr.write(f"{count} finding{'s' if count != 1 else ''}")


def _due(command: BaseCommand, options: dict[str, Any]) -> None:
    organization = _organization(options["org"])
    today = _day(options["today"])
    if options["agency"]:
        agency = _agency(organization, options["agency"])
        rows = [(d, agency, filed) for d, filed in schedule.agency_calendar(agency, today=today)]
    else:
        rows = sorted(
            (row for row in schedule.calendar(organization, today=today, ahead=62) if not row[2]),
            key=lambda row: (row[0].due_on, row[1].pk, row[0].spec.key),
        )
    for due, agency, filed in rows:
        state = "filed" if filed else ("overdue" if due.due_on < today else "due")
        command.stdout.write(
            f"{due.due_on}\t{state}\tagency {agency.pk} {agency.legal_name}\t{due.spec.key}\t"
            f"{due.start}..{due.end}"
        )
    if not rows:
        command.stdout.write("nothing due")


# --- changing -------------------------------------------------------------------------------------


def _change(command: BaseCommand, action: str, options: dict[str, Any]) -> None:
    finding = (
        Finding.objects.select_related("organization", "agency")
        .filter(pk=options["finding"])
        .first()
    )
    if finding is None:
        raise CommandError(f"no finding {options['finding']}")
    user = get_user_model().objects.filter(username=options["username"]).first()
    if user is None:
        raise CommandError(f"no user {options['username']!r}")
    common = {"finding": finding, "user": user, "version": options["expected_version"]}
    try:
        if action == "answer":
            done = findings.finding_answer(**common, text=options["text"])
        elif action == "close":
            done = findings.finding_accept(**common, reason=options["reason"])
        else:
            case = findings.finding_refer(**common)
            command.stdout.write(case.reference)
            return
    except (findings.FindingRefused, ChangedMeanwhile) as exc:
        raise CommandError(" ".join(str(exc).split())) from exc
    command.stdout.write(f"finding {done.pk}: {done.get_status_display()}")
