"""Checking a procedure that reads well as a whole: unknown names, the ``[case]`` table, roles,
unreachable states and dead ends. Each function returns the problems it finds, in words."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from ombuds.cases.procedure.model import (
    BODY_ROLES,
    FACTS,
    ROLES,
    SYSTEM,
    Procedure,
    Transition,
)

# Names a step's form keeps for itself: an input called so would be lost.
RESERVED_INPUTS = frozenset({"version", "step", "confirm_verbatim"})
# Facts that an input of the step itself would change: a `when` is read before the inputs are.
CHANGED_BY = {"determinations": ("all_determined", "any_upheld"), "sanction": ("sanction_chosen",)}


def structure_problems(p: Procedure) -> list[str]:
    """What makes a well-formed file unusable: unknown names, unreachable states, dead ends. The
    graph is checked only once every name in it is known."""
    problems = _name_problems(p) + _deadline_problems(p) + _declared_problems(p)
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


def _declared_problems(p: Procedure) -> list[str]:
    """The ``[case]`` table and the stages must name what the file has."""
    problems: list[str] = []
    d = p.declared
    for key, names, known, what in (
        ("determinations_in", d.determinations_in, p.states, "state"),
        ("sanction_in", d.sanction_in, p.states, "state"),
        ("acknowledged_by", d.acknowledged_by, {t.name for t in p.transitions}, "step"),
        ("respondent_deadlines", d.respondent_deadlines, p.deadlines, "deadline"),
        ("complainant_deadlines", d.complainant_deadlines, p.deadlines, "deadline"),
    ):
        for name in names:
            if name not in known:
                problems.append(f"[case] {key}: no {what} called {name!r}")
    if d.answer_deadline and d.answer_deadline not in p.deadlines:
        problems.append(f"[case] answer_deadline: no deadline called {d.answer_deadline!r}")
    inputs = {i.name: i.kind for t in p.transitions for i in t.inputs}
    for key, name, kind in (
        ("proof", d.efforts.proof, "document"),
        ("waiver", d.efforts.waiver, "text"),
    ):
        if name and inputs.get(name) != kind:
            problems.append(f"[case] efforts: {key} {name!r} is not a {kind} input of any step")
    if p.stages:
        for state in p.states.values():
            if not state.stage:
                problems.append(f"state {state.name}: give its 'stage' (one of [procedure] stages)")
            elif state.stage not in p.stages:
                problems.append(
                    f"state {state.name}: stage {state.stage!r} is not in [procedure] stages"
                )
    elif any(state.stage for state in p.states.values()):
        problems.append("states name a 'stage', but [procedure] has no 'stages' to order them")
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
    problems.extend(_input_problems(p, t, where))
    if t.more_time is not None:
        problems.extend(_more_time_problems(p, t))
    return problems


def _input_problems(p: Procedure, t: Transition, where: str) -> list[str]:
    """Inputs the engine could not use where they stand: the committee's determinations outside
    the states that take them, a sanction outside ``sanction_in``, a decision input given by a
    party or the clock, a step's ``when`` reading a fact its own input changes, a reserved name."""
    problems: list[str] = []
    for i in t.inputs:
        at = f"{where}, input {i.name!r}"
        if i.name in RESERVED_INPUTS:
            problems.append(
                f"{at}: the name is kept for the form ({', '.join(sorted(RESERVED_INPUTS))})"
            )
        if i.kind == "determinations":
            outside = [s for s in t.sources if s not in p.declared.determinations_in]
            if outside:
                problems.append(
                    f"{at}: determinations are taken only in [case] determinations_in, "
                    f"not from {', '.join(map(repr, outside))}"
                )
        if i.kind == "sanction":
            outside = [s for s in t.sources if s not in p.declared.sanction_in]
            if outside:
                problems.append(
                    f"{at}: a sanction is chosen only in [case] sanction_in, "
                    f"not from {', '.join(map(repr, outside))}"
                )
        if i.kind in ("determinations", "sanction", "allegation") and not (
            set(t.roles) <= BODY_ROLES
        ):
            problems.append(f"{at}: a {i.kind} input is given by the body's people only")
        for fact in CHANGED_BY.get(i.kind, ()):
            # "not all_determined" (something is left to decide) is read rightly before the input.
            if fact in t.when or (f"not {fact}" in t.when and fact != "all_determined"):
                problems.append(
                    f"{at}: the step's 'when' asks {fact!r}, which its own input changes "
                    "(take the input in an earlier step)"
                )
    return problems


def template_problems(p: Procedure, known: Iterable[str]) -> list[str]:
    """Notices naming a template the case layer does not have (``known``: its template names),
    and notices naming none: either would fail when the step is taken."""
    known = set(known)
    problems: list[str] = []
    for t in p.transitions:
        for e in t.effects:
            if e.kind != "notice":
                continue
            if not e.template:
                problems.append(f"step {t.name}: a notice needs its 'template'")
            elif e.template not in known:
                problems.append(
                    f"step {t.name}: no notice template called {e.template!r} "
                    f"(known: {', '.join(sorted(known))})"
                )
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


def sanction_problems(p: Procedure, known: Iterable[str]) -> list[str]:
    """A ``sanction`` input offering a kind of sanction the register does not have (``known``)."""
    known = set(known)
    return [
        f"step {t.name}, input {i.name!r}: no sanction called {kind!r} "
        f"(known: {', '.join(sorted(known))})"
        for t in p.transitions
        for i in t.inputs
        if i.kind == "sanction"
        for kind in i.choices
        if kind not in known
    ]
