"""A case's deadlines: started and stopped by the procedure's steps, and moved when more time is
granted (the request for more time waits as a deadline of its own)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ombuds.cases.models import Case, CaseDeadline
from ombuds.cases.procedure import Procedure, Transition, more_time_key, readable_date
from ombuds.cases.rules import CaseRefused


def deadline_start(case: Case, procedure: Procedure, name: str, start: dt.date) -> CaseDeadline:
    """Start a deadline on ``start``, unless it is already running: starting it again neither
    extends it nor marks the running one met (a late acknowledgement does not move the feedback date
    the lapsed 7 days started). A step that stops and starts a deadline restarts it."""
    definition = procedure.deadlines[name]
    running = CaseDeadline.objects.filter(
        case=case, name=name, met_at__isnull=True, expired_at__isnull=True
    ).first()
    if running is not None:
        return running
    return CaseDeadline.objects.create(
        case=case,
        name=name,
        label=definition.label,
        starts_on=start,
        due_on=definition.due(start, procedure.holidays),
    )


def deadlines_stop(case: Case, names: tuple[str, ...], *, met: bool) -> None:
    """Stop the named deadlines (every one for "*"), and with each the request for more time on
    it that waits for a decision: once the deadline is over, there is no due date to move."""
    running = CaseDeadline.objects.filter(case=case, met_at__isnull=True, expired_at__isnull=True)
    if "*" not in names:
        running = running.filter(name__in=[*names, *(more_time_key(n) for n in names)])
    running.update(**({"met_at": timezone.now()} if met else {"expired_at": timezone.now()}))


def more_time(
    case: Case, procedure: Procedure, transition: Transition, inputs: dict[str, Any]
) -> dict[str, Any]:
    """A step about more time on a running deadline (the procedure has allowed it, as the case's
    deadlines stand). Asking keeps the request, waiting for a decision, as a deadline of the case
    next to the one it asks to move and due when that one is: the Chair sees it, and it ends with
    the decision, or when that deadline stops or passes. Granting moves the due date (reminders
    count again from the new one); granting and refusing end the request. The move, for the
    record ({} when nothing moved)."""
    mt = transition.more_time
    if mt is None:
        return {}
    definition = procedure.deadlines[mt.deadline]
    deadline = (
        CaseDeadline.objects.select_for_update()
        .filter(case=case, name=mt.deadline, met_at__isnull=True, expired_at__isnull=True)
        .first()
    )
    if deadline is None:
        raise CaseRefused(f"“{definition.label}” is not running: there is no due date to move")
    if mt.action == "ask":
        wanted = inputs[mt.date]
        CaseDeadline.objects.create(
            case=case,
            name=more_time_key(mt.deadline),
            label=(
                f"Decide the request for more time on “{definition.label}” "
                f"(asked until {readable_date(wanted)})"
            )[:200],
            starts_on=timezone.localdate(),
            due_on=deadline.due_on,
        )
        return {}
    CaseDeadline.objects.filter(
        case=case, name=more_time_key(mt.deadline), met_at__isnull=True, expired_at__isnull=True
    ).update(met_at=timezone.now())
    if mt.action != "grant":
        return {}
    until = inputs[mt.date]
    if until < deadline.due_on:
        raise CaseRefused(
            f"the new date cannot be earlier than {readable_date(deadline.due_on)}, when "
            f"“{definition.label}” is due now"
        )
    moved = {
        "deadline": deadline.name,
        "label": deadline.label,
        "from": deadline.due_on,
        "to": until,
        "step": transition.name,
    }
    deadline.due_on = until
    deadline.save(update_fields=["due_on", "updated_at"])
    # The reminders sent before the old due date do not stand for the new one.
    deadline.reminders.all().delete()
    return moved
