"""What a step does besides moving the case: one registered function per effect kind.

A procedure file may only name the kinds in `ombuds.cases.procedure.EFFECT_KINDS` (its checker
refuses others); `effect` refuses to register any other, and the system check `ombuds.E102` holds
that every declared kind has its function, so the checker and the engine cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core import checks
from django.utils import timezone

from ombuds.cases.facts import facts
from ombuds.cases.models import Case
from ombuds.cases.procedure import EFFECT_KINDS, Effect, Transition
from ombuds.cases.services.access import recuse_parties
from ombuds.cases.services.notifications import notices_make
from ombuds.cases.services.register_bridge import (
    impose_on_register,
    lift_on_register,
    publish_decision,
    refuse_unrecorded_sanction,
)


@dataclass
class Step:
    """The step being taken, as an effect sees it; ``done`` collects what the effects did, for the
    step's audit event."""

    case: Case
    transition: Transition
    acting_user: Any
    label: str
    inputs: dict[str, Any]
    done: dict[str, Any] = field(default_factory=lambda: {"notices": []})


Run = Callable[[Step, Effect], None]
REGISTRY: dict[str, Run] = {}
# What an effect whose conditions fail does instead of nothing (a register change that cannot be
# made must not pass silently).
UNMET: dict[str, Callable[[Step], None]] = {}


def effect(kind: str, *, unmet: Callable[[Step], None] | None = None) -> Callable[[Run], Run]:
    """Register the function that carries out effects of ``kind``."""
    if kind not in EFFECT_KINDS:
        raise ValueError(f"{kind!r} is not an effect kind procedures may name (EFFECT_KINDS)")
    if kind in REGISTRY:
        raise ValueError(f"the effect {kind!r} is registered twice")

    def register(function: Run) -> Run:
        REGISTRY[kind] = function
        if unmet is not None:
            UNMET[kind] = unmet
        return function

    return register


def effects_run(
    case: Case, transition: Transition, *, acting_user: Any, label: str, inputs: dict[str, Any]
) -> dict[str, Any]:
    """Carry out the step's effects, each only when its conditions hold; what they did, for the
    step's event: the notices made ("template → recipient"), the register sanction, recusals."""
    step = Step(case, transition, acting_user, label, inputs)
    case_facts = facts(case)
    for e in transition.effects:
        if any(_condition_unmet(c, case_facts) for c in e.when):
            if e.kind in UNMET:
                UNMET[e.kind](step)
            continue
        REGISTRY[e.kind](step, e)
    return step.done


def _condition_unmet(condition: str, case_facts: dict[str, bool]) -> bool:
    """Whether a condition ("fact" or "not fact") fails, as the procedure engine reads it."""
    negated = condition.startswith("not ")
    return bool(case_facts.get(condition.removeprefix("not "), False)) == negated


@checks.register()
def every_effect_carried_out(app_configs, **kwargs) -> list[checks.CheckMessage]:
    missing = sorted(set(EFFECT_KINDS) - set(REGISTRY))
    return [
        checks.Error(f"no function carries out the effect {kind!r}", id="ombuds.E102")
        for kind in missing
    ]


# --- the effects ----------------------------------------------------------------------------------


@effect("notice")
def _notice(step: Step, e: Effect) -> None:
    for recipient in e.to:
        for notice in notices_make(
            step.case, e.template, recipient, inputs=step.inputs, step=step.transition
        ):
            step.done["notices"].append(f"{notice.template} → {notice.recipient_role}")


def _register_unmet(step: Step) -> None:
    refuse_unrecorded_sanction(step.case)


@effect("register", unmet=_register_unmet)
def _register(step: Step, e: Effect) -> None:
    sanction = impose_on_register(step.case, acting_user=step.acting_user)
    if sanction is not None:
        step.done["register sanction"] = sanction.pk


@effect("publish")
def _publish(step: Step, e: Effect) -> None:
    url = publish_decision(step.case)
    if url:
        step.done["published"] = url


@effect("checkin")
def _checkin(step: Step, e: Effect) -> None:
    step.case.checkin_on = timezone.localdate() + dt.timedelta(days=e.days)
    step.case.save(update_fields=["checkin_on"])


@effect("recuse_check")
def _recuse_check(step: Step, e: Effect) -> None:
    step.done["recused"] = recuse_parties(step.case, acting_user=step.acting_user)


@effect("lift_sanction")
def _lift_sanction(step: Step, e: Effect) -> None:
    # An allowed appeal undoes the sanction the case put on the register, in the step's own
    # transaction (a lift the register refuses refuses the step); the committee may choose anew.
    reason = str(step.inputs.get("reasons", "")).strip()
    lifted = lift_on_register(
        step.case,
        reason=f"Appeal allowed in case {step.case.reference}" + (f": {reason}" if reason else ""),
        acting_user=step.acting_user,
    )
    if lifted is not None:
        step.done["register sanction lifted"] = lifted.pk
