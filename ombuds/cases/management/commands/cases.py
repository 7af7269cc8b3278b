"""`ombuds cases list|show|step|tick`: the same services as the pages and the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ombuds.bodies.models import Organization
from ombuds.cases import services
from ombuds.cases.models import BodyProcedure, Case


class Command(BaseCommand):
    help = "Work with complaints and cases."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="a body's cases, newest first")
        listing.add_argument("--org", required=True)
        listing.add_argument(
            "--state", default="", help="a state of the body's procedure, or 'open'"
        )
        show = sub.add_parser("show", help="one case: state, allegations, deadlines, steps")
        show.add_argument("reference")
        show.add_argument("--as", dest="username", help="list the steps open to this user")
        show.add_argument("--json", action="store_true")
        step = sub.add_parser("step", help="take a step of the case's procedure")
        step.add_argument("reference")
        step.add_argument("step")
        step.add_argument("--as", dest="username", required=True, help="who takes it")
        step.add_argument(
            "--input", action="append", default=[], metavar="NAME=VALUE", help="a text input"
        )
        step.add_argument(
            "--file",
            action="append",
            default=[],
            metavar="NAME=PATH",
            help="a document input (such as efforts_proof=proof.pdf)",
        )
        step.add_argument(
            "--expected-version",
            type=int,
            default=None,
            help="refuse if the case changed since this version (see `show`)",
        )
        sub.add_parser(
            "tick",
            help="deadlines passed (their expiry steps), reminders due, notices to retry; daily",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_list(self, *, org: str, state: str, **_: Any) -> None:
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"no body {org!r}")
        cases = Case.objects.filter(organization=organization).order_by("-filed_at", "-pk")
        if state == "open":
            cases = cases.filter(closed_at__isnull=True)
        elif state:
            chosen = BodyProcedure.objects.filter(organization=organization).first()
            known = set(cases.values_list("state", flat=True).distinct())
            if chosen is not None:
                procedure = services.procedure_of(Case(procedure_key=chosen.procedure_key))
                known |= set(procedure.states)
            if state not in known:
                raise CommandError(
                    f"no state {state!r} in {organization.short_name}'s procedure "
                    f"(states: open, {', '.join(sorted(known)) or 'none'})"
                )
            cases = cases.filter(state=state)
        for case in cases.iterator():
            self.stdout.write(
                f"{case.reference}\t{case.state}\t{case.filed_at:%Y-%m-%d}\t{case.respondent_name}"
            )

    def handle_show(self, *, reference: str, username: str | None, json: bool, **_: Any) -> None:
        case = _case(reference)
        procedure = services.procedure_of(case)
        user = _user(username) if username else None
        steps = services.available_steps(case, user) if user else []
        data = {
            "reference": case.reference,
            "state": case.state,
            "state_label": procedure.state(case.state).label,
            "version": case.version,
            "respondent": case.respondent_name,
            "facts": services.facts(case),
            "allegations": [
                {
                    "position": a.position,
                    "summary": a.summary,
                    "provisions": [p.citation for p in a.provisions.all()],
                    "determination": a.determination,
                }
                for a in case.allegations.all()
            ],
            "deadlines": [
                {"label": d.label, "due_on": d.due_on.isoformat(), "running": d.running}
                for d in case.deadlines.all()
            ],
            "steps": [t.name for t in steps],
        }
        if json:
            self.stdout.write(_json(data))
            return
        self.stdout.write(f"{case.reference}: {data['state_label']} (version {case.version})")
        self.stdout.write(f"respondent: {case.respondent_name}")
        for a in data["allegations"]:
            cited = ", ".join(a["provisions"]) or "no provision cited"
            self.stdout.write(f"allegation {a['position']} ({cited}): {a['determination']}")
        for d in data["deadlines"]:
            self.stdout.write(
                f"deadline: {d['label']} by {d['due_on']}{'' if d['running'] else ' (done)'}"
            )
        if user:
            self.stdout.write("steps open: " + (", ".join(data["steps"]) or "none"))

    def handle_step(
        self,
        *,
        reference: str,
        step: str,
        username: str,
        input: list[str],
        file: list[str],
        expected_version: int | None,
        **_: Any,
    ) -> None:
        case = _case(reference)
        user = _user(username)
        inputs = {}
        for item in input:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise CommandError(f"--input {item!r}: write NAME=VALUE")
            inputs[name.strip()] = value
        files = {}
        for item in file:
            name, sep, value = item.partition("=")
            if not sep or not name.strip() or not value:
                raise CommandError(f"--file {item!r}: write NAME=PATH")
            path = Path(value)
            try:
                files[name.strip()] = (path.name, path.read_bytes())
            except OSError as exc:
                raise CommandError(f"--file {item!r}: cannot read it ({exc.strerror})") from exc
        try:
            case = services.case_step(
                case=case,
                step=step,
                acting_user=user,
                inputs=inputs,
                files=files,
                expected_version=expected_version,
            )
        except services.CaseRefused as exc:
            raise CommandError(
                f"{reference}: {' '.join(_one_line(p) for p in exc.problems)}"
            ) from exc
        label = services.procedure_of(case).state(case.state).label
        self.stdout.write(f"{case.reference}: now {label} (version {case.version})")

    def handle_tick(self, **_: Any) -> None:
        counts = services.deadlines_tick()
        counts["notices sent on retry"] = services.notices_retry()
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))


def _case(reference: str) -> Case:
    case = Case.objects.filter(reference=reference).select_related("organization").first()
    if case is None:
        raise CommandError(f"no case {reference!r}")
    return case


def _user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user {username!r}")
    return user


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
