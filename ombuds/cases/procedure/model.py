"""What a procedure is, as Python: its states, steps (transitions), deadlines and effects, and what
it decides (which steps are open to whom, as a case's facts and running deadlines stand). Pure
Python, no Django: the case layer owns the facts, the deadlines running on a case and the effects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    "respondent_notified": "the respondent has been told of the complaint: a notice with their link delivered (sent by email, or its delivery by post or by hand recorded)",
    "respondent_answered": "the respondent has answered",
    "acknowledged": "the complainant was sent an acknowledgement",
}

INPUT_KINDS = frozenset(
    {"text", "choice", "date", "document", "determinations", "sanction", "allegation"}
)
EFFECT_KINDS = frozenset(
    {"notice", "register", "publish", "checkin", "recuse_check", "lift_sanction"}
)
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
    # The complainant's view: the public stage the state belongs to (one of the procedure's
    # ``stages``) and what they are told of it. Empty: the stage is the state's label.
    stage: str = ""
    complainant: str = ""


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
    # Counts from the day the respondent's notice is delivered (recorded), not from the step.
    after_delivery: bool = False

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
class Efforts:
    """Where a procedure records proof of efforts to resolve the complaint first (CSEC 5.1): the
    step's document input that proves them, and the text input that waives them with a reason."""

    proof: str = ""
    waiver: str = ""


@dataclass(frozen=True)
class Declared:
    """The file's ``[case]`` table: what the case layer asks of the states and deadlines, declared
    instead of guessed from their names: where allegations are decided and the sanction chosen, which steps
    acknowledge the complaint, which deadlines each party is shown."""

    determinations_in: tuple[str, ...] = ()
    sanction_in: tuple[str, ...] = ()
    acknowledged_by: tuple[str, ...] = ()
    respondent_deadlines: tuple[str, ...] = ()
    complainant_deadlines: tuple[str, ...] = ()
    efforts: Efforts = field(default_factory=Efforts)
    # The respondent's deadline to answer the allegations: their answer meets it, and allegations
    # added after they were notified get an answer deadline of their own like it ("" for none).
    answer_deadline: str = ""


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
    declared: Declared = field(default_factory=Declared)
    # The complainant's stepper: the public stages in order (each state names its own).
    stages: tuple[str, ...] = ()
    # The SHA-256 of the file's text: which version of the procedure a case runs under.
    sha256: str = ""

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

    def takes_determinations(self, state: str) -> bool:
        return state in self.declared.determinations_in

    def takes_sanction(self, state: str) -> bool:
        return state in self.declared.sanction_in

    def stage_of(self, state: str) -> str:
        """The public stage a state belongs to: its declared ``stage``, else its label."""
        found = self.states.get(state)
        if found is None:
            return state
        return found.stage or found.label

    def stage_list(self) -> tuple[str, ...]:
        """The complainant's stages in order: the declared ones, else each state's label in the
        file's order (final states last)."""
        if self.stages:
            return self.stages
        ordered = sorted(self.states.values(), key=lambda st: st.final)
        return tuple(dict.fromkeys(self.stage_of(st.name) for st in ordered))

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
