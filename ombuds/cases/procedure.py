"""Procedures as data: a body's disciplinary procedure read from a TOML file, checked as a whole
when it is loaded, and asked which steps a case may take. Pure Python, no Django.

A procedure has states, transitions between them (who may take each, what it requires, which
deadlines it starts and stops, and its effects), and deadlines (how many days, counted on the
calendar or in business days, reminders before, and what happens when one passes). The file
format is described in docs/procedures.md; `ombuds procedures check FILE` runs `problems_in`.

The case layer owns the facts (is the respondent a member, was proof of efforts given), the
deadlines running on a case and the effects (notices, register changes, moving a due date); this
module only decides.

A step may also ask for more time on a running deadline, or grant or refuse such a request
(`more_time`): the case layer keeps a request waiting for a decision next to the deadline it asks to
move (under `more_time_key`), and this module checks that the deadline runs, that no request is
already waiting (or that one is, to decide it), and that the date asked for or granted is not
before the due date.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ombuds.core.dates import add_business_days, add_months, next_business_day

# Who can act. Body roles come from the register (a person's role on the body); case roles from the
# case (its complainant and respondent); "system" is the deadline clock.
BODY_ROLES = frozenset(
    {"administrator", "ethics_chair", "committee_member", "investigator", "staff"}
)
CASE_ROLES = frozenset({"complainant", "respondent"})
SYSTEM = "system"
ROLES = BODY_ROLES | CASE_ROLES | {SYSTEM}

# What a transition's `when` can ask about the case ("not <fact>" for the opposite).
FACTS: dict[str, str] = {
    "respondent_is_member": "the respondent holds a membership or credential of the body",
    "efforts_settled": "proof of reasonable efforts to resolve was given, or the Chair waived it",
    "complainant_named": "the complainant gave their name (not anonymous)",
    "all_determined": "every allegation has a determination",
    "any_upheld": "at least one allegation was upheld",
    "sanction_chosen": "a sanction has been chosen and not yet imposed",
    "respondent_notified": "the respondent has been told of the complaint (a notice with their link)",
    "respondent_answered": "the respondent has answered",
    "acknowledged": "the complainant was sent an acknowledgement",
}

INPUT_KINDS = frozenset(
    {"text", "choice", "date", "document", "determinations", "sanction", "allegation"}
)
EFFECT_KINDS = frozenset({"notice", "register", "publish", "checkin", "recuse_check"})
NOTICE_RECIPIENTS = frozenset({"complainant", "respondent", "committee", "chair"})
DAY_COUNTS = frozenset({"calendar", "business"})
# What a step does about more time on a running deadline.
MORE_TIME_ACTIONS = ("ask", "grant", "refuse")


class ProcedureInvalid(Exception):
    """A procedure file that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class ProcedureRefused(Exception):
    """A step the procedure does not allow now; the message says why."""


@dataclass(frozen=True)
class Input:
    name: str
    kind: str
    label: str
    required: bool = True
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class Effect:
    kind: str
    to: tuple[str, ...] = ()  # notice recipients
    template: str = ""  # notice template
    days: int = 0  # checkin: days after the transition
    when: tuple[str, ...] = ()  # facts the effect needs (e.g. a register change only for members)


@dataclass(frozen=True)
class MoreTime:
    """A step about more time on a running deadline: asking for it, or granting or refusing the
    request waiting for a decision. ``date`` names the step's date input: the date asked for (later
    than the due date), or the new due date granted (not earlier than it)."""

    deadline: str
    action: str
    date: str = ""


def more_time_key(deadline: str) -> str:
    """The name under which the case layer keeps a request for more time on ``deadline`` while it
    waits for a decision: a deadline of the case of its own, due when ``deadline`` is."""
    return f"{deadline}:more_time"


def parse_date(value: Any) -> dt.date | None:
    """A date input's value as a date (a date, or text such as 2025-04-30); None when it is not."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def readable_date(date: dt.date) -> str:
    """A date as people read it: 30 April 2025."""
    return f"{date.day} {date:%B %Y}"


@dataclass(frozen=True)
class State:
    name: str
    label: str
    final: bool = False
    description: str = ""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    inputs: tuple[Input, ...] = ()
    when: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()
    stops: tuple[str, ...] = ()  # "*" stops every running deadline
    effects: tuple[Effect, ...] = ()
    description: str = ""
    more_time: MoreTime | None = None

    @property
    def automatic(self) -> bool:
        return self.roles == (SYSTEM,)


@dataclass(frozen=True)
class Expiry:
    take: str = ""  # a transition the clock takes when the deadline passes
    start: tuple[str, ...] = ()  # deadlines that start when it passes


@dataclass(frozen=True)
class Deadline:
    name: str
    label: str
    days: int = 0
    months: int = 0
    count: str = "calendar"
    reminders: tuple[int, ...] = ()  # days before the due date
    on_expiry: Expiry = field(default_factory=Expiry)
    description: str = ""

    def due(self, start: dt.date, holidays: frozenset[dt.date] = frozenset()) -> dt.date:
        """The last day to meet the deadline started on ``start``: months first (the same day of
        the month, or its last day), then days, on the calendar or counting business days only
        (Monday to Friday, not holidays)."""
        day = add_months(start, self.months) if self.months else start
        if self.count == "calendar":
            return day + dt.timedelta(days=self.days)
        # A deadline falling on a day off moves to the next business day when business days count.
        return next_business_day(add_business_days(day, self.days, holidays), holidays)


@dataclass(frozen=True)
class Procedure:
    key: str
    name: str
    version: int
    initial: str
    states: Mapping[str, State]
    transitions: tuple[Transition, ...]
    deadlines: Mapping[str, Deadline]
    starts_on_filing: tuple[str, ...] = ()
    holidays: frozenset[dt.date] = frozenset()
    description: str = ""
    source: str = ""

    def transition(self, name: str) -> Transition:
        for t in self.transitions:
            if t.name == name:
                return t
        raise ProcedureRefused(f"{self.name} has no step called {name!r}")

    def state(self, name: str) -> State:
        try:
            return self.states[name]
        except KeyError:
            raise ProcedureRefused(f"{self.name} has no state called {name!r}") from None

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def available(
        self,
        state: str,
        roles: Iterable[str],
        facts: Mapping[str, bool],
        running: Mapping[str, dt.date] | None = None,
    ) -> list[Transition]:
        """The steps open now to someone with these roles, as the case's facts and its running
        deadlines (by name, with their due dates) stand."""
        roles = set(roles)
        return [
            t
            for t in self.from_state(state)
            if not t.automatic
            and roles & set(t.roles)
            and not _unmet(t.when, facts)
            and not self._more_time_problem(t, running or {})
        ]

    def check(
        self,
        state: str,
        name: str,
        *,
        roles: Iterable[str],
        facts: Mapping[str, bool],
        inputs: Mapping[str, Any] | None = None,
        running: Mapping[str, dt.date] | None = None,
    ) -> Transition:
        """The step ``name`` from ``state``, or ProcedureRefused with the reason. ``running`` holds
        the deadlines running on the case, by name, with their due dates (a request for more time
        waiting for a decision among them, under `more_time_key`)."""
        t = self.transition(name)
        current = self.state(state)
        if state not in t.sources:
            where = ", ".join(self.states[s].label for s in t.sources)
            raise ProcedureRefused(
                f"“{t.label}” cannot be taken while the case is at “{current.label}”; "
                f"only from: {where}"
            )
        roles = set(roles)
        if not roles & set(t.roles):
            if t.automatic:
                raise ProcedureRefused(f"“{t.label}” is taken by the deadline clock, not by hand")
            raise ProcedureRefused(
                f"“{t.label}” is taken by: {', '.join(_role_label(r) for r in t.roles)}"
            )
        unmet = _unmet(t.when, facts)
        if unmet:
            raise ProcedureRefused(f"“{t.label}” needs: {'; '.join(unmet)}")
        running = running or {}
        problem = self._more_time_problem(t, running)
        if problem:
            raise ProcedureRefused(problem)
        missing = [
            i.label for i in t.inputs if i.required and not _given((inputs or {}).get(i.name))
        ]
        if missing:
            raise ProcedureRefused(f"“{t.label}” needs: {', '.join(missing)}")
        for i in t.inputs:
            value = (inputs or {}).get(i.name)
            if i.kind == "choice" and _given(value) and value not in i.choices:
                raise ProcedureRefused(
                    f"{i.label} must be one of: {', '.join(i.choices)} (not {value!r})"
                )
            if i.kind == "date" and _given(value) and parse_date(value) is None:
                raise ProcedureRefused(f"{i.label} must be a date (YYYY-MM-DD), not {value!r}")
        if t.more_time is not None and t.more_time.date:
            self._more_time_date(t, running, (inputs or {}).get(t.more_time.date))
        return t

    def _more_time_problem(self, t: Transition, running: Mapping[str, dt.date]) -> str:
        """Why a step about more time cannot be taken as the case's deadlines stand ("" when it can):
        its deadline must be running; asking needs no request waiting, deciding needs one."""
        if t.more_time is None:
            return ""
        deadline = self.deadlines[t.more_time.deadline]
        if deadline.name not in running:
            return (
                f"“{t.label}” can be taken only while “{deadline.label}” is running, and it is not"
            )
        waiting = more_time_key(deadline.name) in running
        if t.more_time.action == "ask" and waiting:
            return (
                f"“{t.label}”: a request for more time on “{deadline.label}” is already waiting "
                "for a decision"
            )
        if t.more_time.action != "ask" and not waiting:
            return f"“{t.label}”: no request for more time on “{deadline.label}” is waiting"
        return ""

    def _more_time_date(self, t: Transition, running: Mapping[str, dt.date], value: Any) -> None:
        """The date asked for must be later than the due date; a date granted not earlier."""
        mt = t.more_time
        wanted = parse_date(value)
        if mt is None or wanted is None:
            return  # a required input: already refused when missing or not a date
        deadline = self.deadlines[mt.deadline]
        due = running[deadline.name]
        field = next(i.label for i in t.inputs if i.name == mt.date)
        if mt.action == "ask" and wanted <= due:
            raise ProcedureRefused(
                f"{field} must be later than {readable_date(due)}, when “{deadline.label}” is due now"
            )
        if mt.action == "grant" and wanted < due:
            raise ProcedureRefused(
                f"{field} cannot be earlier than {readable_date(due)}, when “{deadline.label}” is due now"
            )


def _given(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


def _unmet(when: Iterable[str], facts: Mapping[str, bool]) -> list[str]:
    unmet = []
    for condition in when:
        negated = condition.startswith("not ")
        name = condition[4:] if negated else condition
        if bool(facts.get(name, False)) == negated:
            unmet.append(("not: " if negated else "") + FACTS.get(name, name))
    return unmet


def _role_label(role: str) -> str:
    return role.replace("_", " ")


# --- reading and checking a file -------------------------------------------------------------------


def load_file(path: str | Path) -> Procedure:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProcedureInvalid([f"{path}: cannot read it ({exc})"]) from exc
    return load(text, source=str(path))


def problems_in(path: str | Path) -> list[str]:
    """Every problem of a procedure file, one line each; empty when it can be used."""
    try:
        load_file(path)
    except ProcedureInvalid as exc:
        return exc.problems
    return []


def load(text: str, *, source: str = "<procedure>") -> Procedure:
    """Read and check a procedure; ProcedureInvalid lists every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProcedureInvalid([f"{source}: not valid TOML: {exc}"]) from exc
    reader = _Reader(source)
    procedure = reader.procedure(data)
    if reader.problems:
        raise ProcedureInvalid(reader.problems)
    problems = _structure_problems(procedure)
    if problems:
        raise ProcedureInvalid([f"{source}: {p}" for p in problems])
    return procedure


class _Reader:
    """Turns the TOML tables into the dataclasses, noting every problem instead of stopping."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")

    def keys(self, where: str, table: Mapping[str, Any], allowed: set[str], required=()) -> None:
        for key in table:
            if key not in allowed:
                self.problem(where, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in table:
                self.problem(where, f"{key!r} is required")

    def text(self, where: str, table: Mapping[str, Any], key: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            self.problem(where, f"{key!r} must be text")
            return default
        return value

    def names(self, where: str, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(where, f"{key!r} must be a list of names")
            return ()
        return tuple(value)

    def number(self, where: str, table: Mapping[str, Any], key: str) -> int:
        value = table.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.problem(where, f"{key!r} must be a whole number of 0 or more")
            return 0
        return value

    def table(self, where: str, value: Any) -> Mapping[str, Any]:
        """A TOML table, or a problem (and an empty table) when the file has something else."""
        if not isinstance(value, dict):
            self.problem(where, "must be a table")
            return {}
        return value

    def tables(self, where: str, value: Any) -> list[Mapping[str, Any]]:
        """A list of tables ([[...]] or [{...}, ...]), or a problem when the file has something
        else (such as [transitions] written for [[transitions]])."""
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(where, "must be a list of tables ([[...]] or [{...}, ...])")
            return []
        return value

    def procedure(self, data: Mapping[str, Any]) -> Procedure:
        self.keys("file", data, {"procedure", "states", "transitions", "deadlines"}, ["procedure"])
        head = self.table("[procedure]", data.get("procedure", {}))
        self.keys(
            "[procedure]",
            head,
            {"key", "name", "version", "initial", "starts_on_filing", "holidays", "description"},
            ["key", "name", "initial"],
        )
        holidays = set()
        listed = head.get("holidays", [])
        if not isinstance(listed, list):
            self.problem("[procedure]", "'holidays' must be a list of dates")
            listed = []
        for value in listed:
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                holidays.add(value)
            else:
                self.problem("[procedure] holidays", f"{value!r} is not a date (YYYY-MM-DD)")
        states = {
            name: self.state(name, table)
            for name, table in self.table("[states]", data.get("states", {})).items()
        }
        transitions = tuple(
            self.transition(i, table)
            for i, table in enumerate(self.tables("transitions", data.get("transitions", [])), 1)
        )
        deadlines = {
            name: self.deadline(name, table)
            for name, table in self.table("[deadlines]", data.get("deadlines", {})).items()
        }
        return Procedure(
            key=self.text("[procedure]", head, "key"),
            name=self.text("[procedure]", head, "name"),
            version=head.get("version", 1) if isinstance(head.get("version", 1), int) else 1,
            initial=self.text("[procedure]", head, "initial"),
            states=states,
            transitions=transitions,
            deadlines=deadlines,
            starts_on_filing=self.names("[procedure]", head, "starts_on_filing"),
            holidays=frozenset(holidays),
            description=self.text("[procedure]", head, "description"),
            source=self.source,
        )

    def state(self, name: str, table: Mapping[str, Any]) -> State:
        where = f"[states.{name}]"
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return State(name, name)
        self.keys(where, table, {"label", "final", "description"}, ["label"])
        final = table.get("final", False)
        if not isinstance(final, bool):
            self.problem(where, "'final' must be true or false")
            final = False
        return State(
            name,
            self.text(where, table, "label", name),
            final,
            self.text(where, table, "description"),
        )

    def transition(self, n: int, table: Mapping[str, Any]) -> Transition:
        where = f"transition {n} ({table.get('name', '?')})"
        self.keys(
            where,
            table,
            {
                "name",
                "label",
                "from",
                "to",
                "roles",
                "inputs",
                "when",
                "starts",
                "stops",
                "effects",
                "description",
                "more_time",
            },
            ["name", "label", "from", "to", "roles"],
        )
        inputs = tuple(
            self.input(where, i, t)
            for i, t in enumerate(self.tables(f"{where} inputs", table.get("inputs", [])), 1)
        )
        effects = tuple(
            self.effect(where, i, t)
            for i, t in enumerate(self.tables(f"{where} effects", table.get("effects", [])), 1)
        )
        return Transition(
            name=self.text(where, table, "name"),
            label=self.text(where, table, "label"),
            sources=self.names(where, table, "from"),
            target=self.text(where, table, "to"),
            roles=self.names(where, table, "roles"),
            inputs=inputs,
            when=self.names(where, table, "when"),
            starts=self.names(where, table, "starts"),
            stops=self.names(where, table, "stops"),
            effects=effects,
            description=self.text(where, table, "description"),
            more_time=self.more_time(where, table["more_time"]) if "more_time" in table else None,
        )

    def more_time(self, where: str, value: Any) -> MoreTime | None:
        where = f"{where} more_time"
        if not isinstance(value, dict):
            self.problem(where, "must be a table: { deadline = ..., action = ... }")
            return None
        table = value
        self.keys(where, table, {"deadline", "action", "date"}, ["deadline", "action"])
        action = self.text(where, table, "action")
        if action and action not in MORE_TIME_ACTIONS:
            self.problem(where, f"action {action!r} is not one of {', '.join(MORE_TIME_ACTIONS)}")
        date = self.text(where, table, "date")
        if action in ("ask", "grant") and not date:
            self.problem(where, f"to {action}, name the step's date input in 'date'")
        if action == "refuse" and date:
            self.problem(where, "a refusal moves no date: leave out 'date'")
        return MoreTime(deadline=self.text(where, table, "deadline"), action=action, date=date)

    def input(self, where: str, n: int, table: Mapping[str, Any]) -> Input:
        where = f"{where}, input {n}"
        self.keys(
            where,
            table,
            {"name", "kind", "label", "required", "choices", "help"},
            ["name", "kind", "label"],
        )
        kind = self.text(where, table, "kind")
        if kind and kind not in INPUT_KINDS:
            self.problem(where, f"kind {kind!r} is not one of {', '.join(sorted(INPUT_KINDS))}")
        choices = self.names(where, table, "choices")
        if kind == "choice" and not choices:
            self.problem(where, "a choice needs its 'choices'")
        required = table.get("required", True)
        return Input(
            name=self.text(where, table, "name"),
            kind=kind,
            label=self.text(where, table, "label"),
            required=required if isinstance(required, bool) else True,
            choices=choices,
            help=self.text(where, table, "help"),
        )

    def effect(self, where: str, n: int, table: Mapping[str, Any]) -> Effect:
        where = f"{where}, effect {n}"
        self.keys(where, table, {"kind", "to", "template", "days", "when"}, ["kind"])
        kind = self.text(where, table, "kind")
        if kind and kind not in EFFECT_KINDS:
            self.problem(where, f"kind {kind!r} is not one of {', '.join(sorted(EFFECT_KINDS))}")
        to = self.names(where, table, "to")
        if kind == "notice":
            if not to:
                self.problem(where, "a notice needs 'to'")
            for recipient in to:
                if recipient not in NOTICE_RECIPIENTS:
                    self.problem(
                        where,
                        f"notice recipient {recipient!r} is not one of "
                        f"{', '.join(sorted(NOTICE_RECIPIENTS))}",
                    )
            if not table.get("template"):
                self.problem(where, "a notice needs its 'template'")
        days = self.number(where, table, "days")
        if kind == "checkin" and not days:
            self.problem(where, "a check-in needs 'days' after the step")
        return Effect(
            kind=kind,
            to=to,
            template=self.text(where, table, "template"),
            days=days,
            when=self.names(where, table, "when"),
        )

    def deadline(self, name: str, table: Mapping[str, Any]) -> Deadline:
        where = f"[deadlines.{name}]"
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return Deadline(name, name)
        self.keys(
            where,
            table,
            {"label", "days", "months", "count", "reminders", "on_expiry", "description"},
            ["label"],
        )
        days, months = self.number(where, table, "days"), self.number(where, table, "months")
        if not days and not months:
            self.problem(where, "give 'days' or 'months'")
        count = self.text(where, table, "count", "calendar")
        if count not in DAY_COUNTS:
            self.problem(where, f"'count' must be calendar or business, not {count!r}")
        reminders = table.get("reminders", [])
        if not isinstance(reminders, list) or not all(
            isinstance(r, int) and not isinstance(r, bool) and r > 0 for r in reminders
        ):
            self.problem(where, "'reminders' must be a list of days before the due date")
            reminders = []
        expiry = table.get("on_expiry", {})
        if not isinstance(expiry, dict):
            self.problem(where, "'on_expiry' must be a table")
            expiry = {}
        self.keys(f"{where} on_expiry", expiry, {"take", "start"})
        return Deadline(
            name=name,
            label=self.text(where, table, "label", name),
            days=days,
            months=months,
            count=count,
            reminders=tuple(sorted(set(reminders), reverse=True)),
            on_expiry=Expiry(
                take=self.text(f"{where} on_expiry", expiry, "take"),
                start=self.names(f"{where} on_expiry", expiry, "start"),
            ),
            description=self.text(where, table, "description"),
        )


def _structure_problems(p: Procedure) -> list[str]:
    """What makes a well-formed file unusable: unknown names, unreachable states, dead ends. The
    graph is checked only once every name in it is known."""
    problems = _name_problems(p) + _deadline_problems(p)
    taken_by_clock = {d.on_expiry.take for d in p.deadlines.values() if d.on_expiry.take}
    for t in p.transitions:
        problems.extend(_transition_problems(p, t, taken_by_clock))
    return problems or _graph_problems(p)


def _name_problems(p: Procedure) -> list[str]:
    problems: list[str] = []
    if p.initial not in p.states:
        problems.append(f"the initial state {p.initial!r} is not a state")
    if not any(s.final for s in p.states.values()):
        problems.append("no state is final: a case could never end")
    names = [t.name for t in p.transitions]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"two steps are called {name!r}")
    for d in p.starts_on_filing:
        if d not in p.deadlines:
            problems.append(f"starts_on_filing: no deadline called {d!r}")
    return problems


def _deadline_problems(p: Procedure) -> list[str]:
    problems: list[str] = []
    names = {t.name for t in p.transitions}
    for d in p.deadlines.values():
        take = d.on_expiry.take
        if take and take not in names:
            problems.append(f"deadline {d.name}: on expiry, no step called {take!r}")
        elif take and not p.transition(take).automatic:
            problems.append(
                f'deadline {d.name}: the step {take!r} it takes must have roles = ["system"]'
            )
        for other in d.on_expiry.start:
            if other not in p.deadlines:
                problems.append(f"deadline {d.name}: on expiry, no deadline called {other!r}")
        if any(r >= d.days + 31 * d.months for r in d.reminders):
            problems.append(f"deadline {d.name}: a reminder comes before the deadline starts")
    return problems


def _transition_problems(p: Procedure, t: Transition, taken_by_clock: set[str]) -> list[str]:
    where = f"step {t.name}"
    problems: list[str] = []
    for s in t.sources:
        if s not in p.states:
            problems.append(f"{where}: from {s!r}, which is not a state")
        elif p.states[s].final:
            problems.append(f"{where}: from {s!r}, which is final")
    if t.target not in p.states:
        problems.append(f"{where}: to {t.target!r}, which is not a state")
    problems.extend(_role_problems(t, where, taken_by_clock))
    for condition in (*t.when, *(c for e in t.effects for c in e.when)):
        name = condition[4:] if condition.startswith("not ") else condition
        if name not in FACTS:
            problems.append(
                f"{where}: condition {condition!r} is not one of {', '.join(sorted(FACTS))}"
            )
    for d in (*t.starts, *(s for s in t.stops if s != "*")):
        if d not in p.deadlines:
            problems.append(f"{where}: no deadline called {d!r}")
    input_names = [i.name for i in t.inputs]
    for name in sorted({n for n in input_names if input_names.count(n) > 1}):
        problems.append(f"{where}: two inputs are called {name!r}")
    if t.more_time is not None:
        problems.extend(_more_time_problems(p, t))
    return problems


def _role_problems(t: Transition, where: str, taken_by_clock: set[str]) -> list[str]:
    problems: list[str] = []
    if not t.roles:
        problems.append(f"{where}: nobody may take it (roles is empty)")
    for role in t.roles:
        if role not in ROLES:
            problems.append(f"{where}: role {role!r} is not one of {', '.join(sorted(ROLES))}")
    if SYSTEM in t.roles and len(t.roles) > 1:
        problems.append(f"{where}: a step taken by the clock (system) is taken by it alone")
    if t.automatic and t.name not in taken_by_clock:
        problems.append(f"{where}: only the clock takes it, but no deadline does")
    if t.automatic and t.inputs:
        problems.append(f"{where}: the clock cannot give inputs")
    return problems


def _graph_problems(p: Procedure) -> list[str]:
    """States no step leaves that are not final, and states no path from the initial one reaches."""
    problems: list[str] = []
    for name, state in p.states.items():
        if not state.final and not p.from_state(name):
            problems.append(f"state {name!r} is not final and no step leaves it: cases would stick")
    reachable, queue = {p.initial}, deque([p.initial])
    while queue:
        for t in p.from_state(queue.popleft()):
            if t.target not in reachable:
                reachable.add(t.target)
                queue.append(t.target)
    for name in p.states:
        if name not in reachable:
            problems.append(f"state {name!r} cannot be reached from {p.initial!r}")
    return problems


def _more_time_problems(p: Procedure, t: Transition) -> list[str]:
    """What makes a step about more time unusable: an unknown deadline, a date that is not a
    required date input of the step, the clock taking it, or the step stopping its own deadline."""
    mt = t.more_time
    if mt is None:
        return []
    where = f"step {t.name}: more_time"
    problems = []
    if mt.deadline not in p.deadlines:
        problems.append(f"{where}: no deadline called {mt.deadline!r}")
    elif "*" in t.stops or mt.deadline in t.stops:
        problems.append(f"{where}: the step stops {mt.deadline!r}, the deadline it is about")
    if mt.date:
        found = next((i for i in t.inputs if i.name == mt.date), None)
        if found is None or found.kind != "date" or not found.required:
            problems.append(f"{where}: {mt.date!r} is not a required date input of the step")
    if SYSTEM in t.roles:
        problems.append(f"{where}: the clock does not ask for more time or decide on it")
    return problems


# --- the procedures shipped with Ombuds -----------------------------------------------------------

PROCEDURES_DIR = Path(__file__).parent / "procedures"


def shipped() -> dict[str, Procedure]:
    """The procedure files in ombuds/cases/procedures, by key."""
    found = {}
    for path in sorted(PROCEDURES_DIR.glob("*.toml")):
        procedure = load_file(path)
        found[procedure.key] = procedure
    return found
