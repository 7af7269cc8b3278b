"""`ombuds cases list|show|step|allegation|link|erase|file|tick`: the same services as the pages and
the API.

With ``--as USER`` a command sees what that user sees through the pages and the API: a case they are
recused from, or of a body they have no role on, is refused exactly as a reference that does not
exist ("no case 'REF'"), so the command line confirms nothing the other doors would not. Without
``--as`` it is the operator's, who runs it on the server and holds the database anyway."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ombuds.bodies.models import Organization
from ombuds.cases import selectors, services
from ombuds.cases.complaint_input import complaint_parse, complaint_read
from ombuds.cases.models import Case
from ombuds.cases.staff_views.common import INTAKE_ROLES
from ombuds.codes.models import Provision
from ombuds.register.models import Agency, Person


class Command(BaseCommand):
    help = "Work with complaints and cases."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="a body's cases, newest first")
        listing.add_argument("--org", required=True)
        listing.add_argument(
            "--state", default="", help="a state of the body's procedure, or 'open'"
        )
        listing.add_argument(
            "--as", dest="username", help="only the cases this user may see (as their inbox)"
        )
        show = sub.add_parser("show", help="one case: state, allegations, deadlines, steps")
        show.add_argument("reference")
        show.add_argument(
            "--as",
            dest="username",
            help="read it as this user: the steps open to them; refused if they may not see it",
        )
        show.add_argument("--json", action="store_true")
        step = sub.add_parser("step", help="take a step of the case's procedure")
        step.add_argument("reference")
        step.add_argument("step")
        step.add_argument("--as", dest="username", required=True, help="who takes it")
        step.add_argument(
            "--input",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="an input; a determinations input once per allegation as "
            "NAME=POSITION:upheld:REASONS (or not_upheld); an allegation's citations as "
            "NAME.cite=CITATION; a sanction's fields as NAME.FIELD=VALUE",
        )
        step.add_argument(
            "--file",
            action="append",
            default=[],
            metavar="NAME=PATH",
            help="a document input (such as efforts_proof=proof.pdf)",
        )
        step.add_argument(
            "--confirm-verbatim",
            default="",
            metavar="REASON",
            help="on the step that first notifies the respondent: why an allegation still in the "
            "complainant's own words may go to them (when the complainant withholds their identity)",
        )
        step.add_argument(
            "--expected-version",
            type=int,
            default=None,
            help="refuse if the case changed since this version (see `show`)",
        )
        _allegation_arguments(sub)
        _file_arguments(sub)
        _link_arguments(sub)
        _delivered_arguments(sub)
        erase = sub.add_parser(
            "erase",
            help="erase a closed case's personal data on request (the case and its decision stay)",
        )
        erase.add_argument("reference")
        erase.add_argument("--reason", required=True, help="why (the request and who decided)")
        erase.add_argument(
            "--as",
            dest="username",
            help="the Chair who erases it (their role is checked); without it, the operator",
        )
        erase.add_argument(
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

    def handle_list(self, *, org: str, state: str, username: str | None, **_: Any) -> None:
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"no body {org!r}")
        cases = Case.objects.filter(organization=organization)
        if username:
            user = _user(username)
            if not selectors.roles_on_body(user, organization):
                raise CommandError(f"{username!r} has no role on {organization.short_name}'s cases")
            cases = selectors.visible_cases(user, organization)
        cases = cases.order_by("-filed_at", "-pk")
        if state == "open":
            cases = cases.filter(closed_at__isnull=True)
        elif state:
            known = set(cases.order_by().values_list("state", flat=True).distinct())
            procedure = selectors.body_procedure(organization)
            if procedure is not None:
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
        user = _user(username) if username else None
        case = _case(reference, user)
        procedure = services.procedure_of(case)
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
                    "verbatim": a.verbatim,
                }
                for a in case.allegations.all()
            ],
            "deadlines": [
                {
                    "label": d.label,
                    "due_on": None if d.waits_for_delivery else d.due_on.isoformat(),
                    "running": d.running,
                    "waits_for_delivery": d.waits_for_delivery,
                }
                for d in case.deadlines.all()
            ],
            "notices": _notices(case),
            "steps": [t.name for t in steps],
        }
        if json:
            self.stdout.write(_json(data))
            return
        self.stdout.write(f"{case.reference}: {data['state_label']} (version {case.version})")
        self.stdout.write(f"respondent: {case.respondent_name}")
        for a in data["allegations"]:
            cited = ", ".join(a["provisions"]) or "no provision cited"
            draft = " (still the complainant's own words)" if a["verbatim"] else ""
            self.stdout.write(f"allegation {a['position']} ({cited}): {a['determination']}{draft}")
        for d in data["deadlines"]:
            due = "waiting for delivery" if d["waits_for_delivery"] else f"by {d['due_on']}"
            self.stdout.write(f"deadline: {d['label']} {due}{'' if d['running'] else ' (done)'}")
        for n in data["notices"]:
            delivered = f", delivered {n['delivered_on']}" if n["delivered_on"] else ""
            self.stdout.write(
                f"notice {n['number']}: {n['template']} to {n['to']}: {n['status']}{delivered}"
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
        confirm_verbatim: str = "",
        **_: Any,
    ) -> None:
        user = _user(username)
        case = _case(reference, user)
        inputs = _step_inputs(services.procedure_of(case), step, input)
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
                confirm_verbatim=confirm_verbatim,
            )
        except services.CaseRefused as exc:
            raise _refused(reference, exc) from exc
        label = services.procedure_of(case).state(case.state).label
        self.stdout.write(f"{case.reference}: now {label} (version {case.version})")

    def handle_delivered(
        self,
        *,
        reference: str,
        notice: int,
        means: str,
        on: str,
        note: str,
        proof: str | None,
        username: str,
        expected_version: int | None,
        **_: Any,
    ) -> None:
        """Record that a notice to the respondent was delivered by post, by hand or otherwise."""
        user = _user(username)
        case = _case(reference, user)
        try:
            day = dt.date.fromisoformat(on)
        except ValueError as exc:
            raise CommandError(f"--on {on!r}: write the day as YYYY-MM-DD") from exc
        scan = None
        if proof:
            try:
                scan = (Path(proof).name, Path(proof).read_bytes())
            except OSError as exc:
                raise CommandError(f"--proof {proof!r}: cannot read it ({exc.strerror})") from exc
        try:
            done = services.notice_delivery_record(
                case=case,
                notice_id=notice,
                means=means,
                on=day,
                note=note,
                proof=scan,
                acting_user=user,
                expected_version=expected_version,
            )
        except services.CaseRefused as exc:
            raise _refused(reference, exc) from exc
        self.stdout.write(
            f"{reference}: notice {done.pk} delivered on {day.isoformat()} "
            f"({done.get_delivery_means_display().lower()})"
        )

    def handle_allegation(
        self,
        *,
        reference: str,
        position: int,
        username: str,
        text: str,
        cite: list[str],
        expected_version: int,
        **_: Any,
    ) -> None:
        user = _user(username)
        case = _case(reference, user)
        allegation = case.allegations.filter(position=position).first() if position > 0 else None
        if allegation is None:
            raise CommandError(f"{reference}: no allegation {position}")
        found = {p.citation: p for p in Provision.objects.filter(version_id=case.code_version_id)}
        unknown = [c for c in cite if c not in found]
        if unknown:
            raise CommandError(f"not in the case's version of the code: {', '.join(unknown)}")
        try:
            services.allegation_edit(
                case=case,
                allegation=allegation,
                text=text,
                provisions=list({found[c].pk: found[c] for c in cite}.values()),
                expected_version=expected_version,
                acting_user=user,
            )
        except services.CaseRefused as exc:
            raise _refused(reference, exc) from exc
        case.refresh_from_db(fields=["version"])
        self.stdout.write(f"{reference}: allegation {position} changed (version {case.version})")

    def handle_link(
        self,
        *,
        reference: str,
        person: int | None,
        agency: int | None,
        unlink: bool,
        reason: str,
        username: str,
        expected_version: int | None,
        **_: Any,
    ) -> None:
        user = _user(username)
        case = _case(reference, user)
        records = {"person": (Person, person), "agency": (Agency, agency)}
        chosen = {}
        for name, (model, pk) in records.items():
            if pk is None:
                continue
            found = model.objects.filter(pk=pk, organization_id=case.organization_id).first()
            if found is None:
                raise CommandError(f"no {name} {pk} in {case.organization.short_name}'s register")
            chosen[name] = found
        try:
            done = services.respondent_link(
                case=case,
                **chosen,
                reason=reason,
                acting_user=user,
                expected_version=expected_version,
            )
        except services.CaseRefused as exc:
            raise _refused(reference, exc) from exc
        self.stdout.write(f"{reference}: {done.message} (version {done.case.version})")

    def handle_erase(
        self,
        *,
        reference: str,
        reason: str,
        username: str | None,
        expected_version: int | None,
        **_: Any,
    ) -> None:
        user = _user(username) if username else None
        case = _case(reference, user)
        try:
            case = services.case_erase(
                case=case, reason=reason, acting_user=user, expected_version=expected_version
            )
        except services.CaseRefused as exc:
            raise _refused(reference, exc) from exc
        self.stdout.write(
            f"{case.reference}: personal data erased (version {case.version}); "
            "the case, its decision and the audit chain stay"
        )

    def handle_file(
        self, *, org: str, path: str, username: str | None, channel: str, **_: Any
    ) -> None:
        """File a complaint from the public API's JSON, through the same checks and service."""
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"no body {org!r}")
        user = _user(username) if username else None
        if user is not None and not selectors.roles_on_body(user, organization) & INTAKE_ROLES:
            raise CommandError(
                f"{username!r} does not take in complaints for {organization.short_name} "
                "(the chair, administrators and staff do)"
            )
        source = "stdin" if path == "-" else path
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{source}: cannot read it ({_one_line(str(exc))})") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{source}: not JSON ({exc})") from exc
        generated = ""
        try:
            payload = complaint_parse(data)
            if payload.anonymous and not payload.passphrase:
                # As at the staff intake page: made for the complainant, shown once, to pass on.
                generated = secrets.token_urlsafe(12)
                payload.passphrase = generated
            complaint = complaint_read(organization, payload, channel=channel)
            filed = services.case_file(
                organization=organization,
                complaint=complaint,
                acting_user=user,
                key_scope=f"cli:{user.pk}" if user is not None else "cli",
            )
        except services.CaseRefused as exc:
            raise CommandError(f"{source}: {' '.join(_one_line(p) for p in exc.problems)}") from exc
        case = filed.case
        self.stdout.write(
            f"{case.reference}: {'already filed' if filed.duplicate else 'filed'}"
            f" ({organization.short_name})"
        )
        if filed.receipt_code and not filed.duplicate:
            self.stdout.write(f"receipt code: {filed.receipt_code}")
        if generated and not filed.duplicate:
            self.stdout.write(f"passphrase: {generated}")
        if filed.receipt_code and not filed.duplicate:
            self.stdout.write("(shown this once: give them to the complainant)")

    def handle_tick(self, **_: Any) -> None:
        counts = services.deadlines_tick()
        counts["notices sent on retry"] = services.notices_retry()
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))


def _notices(case: Case) -> list[dict]:
    return [
        {
            "number": n.pk,
            "template": n.template,
            "to": n.recipient_role,
            "status": n.status,
            "delivered_on": n.delivered_on.isoformat() if n.delivered_on else None,
            "means": n.delivery_means,
        }
        for n in case.notices.all()
    ]


def _delivered_arguments(sub) -> None:
    delivered = sub.add_parser(
        "delivered",
        help="record that a notice to the respondent was delivered by post, by hand or otherwise",
    )
    delivered.add_argument("reference")
    delivered.add_argument("--notice", type=int, required=True, help="the notice's number")
    delivered.add_argument(
        "--means", required=True, help="post, registered_post, hand, courier or other"
    )
    delivered.add_argument("--on", required=True, metavar="YYYY-MM-DD", help="the day delivered")
    delivered.add_argument("--note", default="", help="what was done (a tracking number)")
    delivered.add_argument("--proof", metavar="FILE", help="a scan of the proof of delivery")
    delivered.add_argument("--as", dest="username", required=True, help="who records it")
    delivered.add_argument(
        "--expected-version",
        type=int,
        default=None,
        help="refuse if the case changed since this version (see `show`)",
    )


def _allegation_arguments(sub) -> None:
    edit = sub.add_parser(
        "allegation", help="edit or redact an allegation before the respondent is notified"
    )
    edit.add_argument("reference")
    edit.add_argument("position", type=int)
    edit.add_argument("--as", dest="username", required=True, help="who edits it")
    edit.add_argument("--text", required=True, help="the allegation as the respondent reads it")
    edit.add_argument(
        "--cite",
        action="append",
        default=[],
        metavar="CITATION",
        help="a provision it cites, in the case's version of the code (repeat; none: none)",
    )
    edit.add_argument(
        "--expected-version",
        type=int,
        required=True,
        help="the case's version when it was read (see `show`)",
    )


def _file_arguments(sub) -> None:
    filing = sub.add_parser(
        "file",
        help="file a complaint from a JSON file (the public complaint API's body), e.g. one "
        "received by post",
    )
    filing.add_argument("path", metavar="FILE.json", help="the complaint as JSON ('-': stdin)")
    filing.add_argument("--org", required=True, help="the body's slug")
    filing.add_argument(
        "--as",
        dest="username",
        help="who enters it (the chair, an administrator or staff of the body); "
        "without it, the operator",
    )
    filing.add_argument(
        "--channel",
        default=Case.Channel.LETTER,
        choices=[c for c in Case.Channel.values if c != Case.Channel.WEB],
        help="how the complaint came in (default: letter)",
    )


def _link_arguments(sub) -> None:
    link = sub.add_parser(
        "link", help="link the respondent to the register, relink or unlink it, with a reason"
    )
    link.add_argument("reference")
    which = link.add_mutually_exclusive_group(required=True)
    which.add_argument("--person", type=int, metavar="ID", help="a person of the body's register")
    which.add_argument("--agency", type=int, metavar="ID", help="an agency of the body's register")
    which.add_argument("--unlink", action="store_true", help="the respondent named only")
    link.add_argument("--reason", required=True, help="why (on the case's record)")
    link.add_argument("--as", dest="username", required=True, help="the handler who does it")
    link.add_argument(
        "--expected-version",
        type=int,
        default=None,
        help="refuse if the case changed since this version (see `show`)",
    )


def _case(reference: str, user: Any = None) -> Case:
    """The case with this reference. With a user, only a case they may see: one they are recused
    from, or of a body they have no role on, is refused in the very words of a case that does not
    exist, as the pages (404) and the API (404) refuse it."""
    case = Case.objects.filter(reference=reference).select_related("organization").first()
    if case is None or (user is not None and not selectors.roles_on_case(user, case)):
        raise CommandError(f"no case {reference!r}")
    return case


def _step_inputs(procedure: Any, step: str, given: list[str]) -> dict[str, Any]:
    """``--input NAME=VALUE`` as the step's inputs. A determinations input is given once per
    allegation, as POSITION:upheld:REASONS or POSITION:not_upheld:REASONS; an allegation input as
    its text, with ``NAME.cite=CITATION`` once per provision it cites; a sanction input field by
    field, as ``NAME.kind=reprimand``, ``NAME.summary=...``."""
    findings = {
        i.name
        for t in procedure.transitions
        if t.name == step
        for i in t.inputs
        if i.kind == "determinations"
    }
    allegations = {
        i.name
        for t in procedure.transitions
        if t.name == step
        for i in t.inputs
        if i.kind == "allegation"
    }
    sanctions = {
        i.name
        for t in procedure.transitions
        if t.name == step
        for i in t.inputs
        if i.kind == "sanction"
    }
    inputs: dict[str, Any] = {}
    for item in given:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CommandError(f"--input {item!r}: write NAME=VALUE")
        base, dot, part = name.partition(".")
        if dot and base in sanctions:
            inputs.setdefault(base, {})[part] = value
            continue
        if dot and part == "cite" and base in allegations:
            current = inputs.get(base) or {"summary": "", "provisions": []}
            if isinstance(current, str):
                current = {"summary": current, "provisions": []}
            current["provisions"].append(value.strip())
            inputs[base] = current
            continue
        if name in allegations and isinstance(inputs.get(name), dict):
            inputs[name]["summary"] = value
            continue
        if name not in findings:
            inputs[name] = value
            continue
        position, _, rest = value.partition(":")
        determination, _, reasons = rest.partition(":")
        if not position.strip().isdigit() or not determination:
            raise CommandError(
                f"--input {item!r}: write {name}=POSITION:upheld:REASONS (or not_upheld)"
            )
        inputs.setdefault(name, []).append(
            {"allegation": int(position), "determination": determination, "reasons": reasons}
        )
    return inputs


def _user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user {username!r}")
    return user


def _refused(reference: str, exc: services.CaseRefused) -> CommandError:
    """A refusal as the command's one line: the case, then every problem."""
    return CommandError(f"{reference}: {' '.join(_one_line(p) for p in exc.problems)}")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
