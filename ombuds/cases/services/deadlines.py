"""A case's deadlines: started and stopped by the procedure's steps, and moved when more time is
granted (the request for more time waits as a deadline of its own).

A deadline the procedure starts ``after_delivery`` counts from the day the respondent's notice is
delivered (sent by email, or its delivery by post or by hand recorded): until then it *waits for
delivery*, with no due date shown, and the clock does not expire it (`delivery_settle`). The
respondent's answer meets their answer deadline (``[case] answer_deadline``) and those of the
allegations added after they were notified (`answer_deadlines_meet`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Min
from django.utils import timezone

from ombuds.cases.facts import respondent_notified
from ombuds.cases.models import Case, CaseDeadline, Notice
from ombuds.cases.procedure import Procedure, Transition, more_time_key, readable_date
from ombuds.cases.rules import CaseRefused

# The answer deadline of allegations added after notice: "<answer deadline>.added-<position>".
ADDED = ".added-"


def next_due_refresh(case: Case) -> None:
    """Store the case's next due date (`Case.next_due`: the earliest of its deadlines that are
    counting, neither met, expired nor waiting for the delivery of the respondent's notice, whose
    due date is not known yet) after its deadlines changed, in the same transaction. Every change
    to a deadline's due date, or to whether it runs, is followed by it (call it with the case
    locked)."""
    due = CaseDeadline.objects.filter(
        case=case, met_at__isnull=True, expired_at__isnull=True, waits_for_delivery=False
    ).aggregate(due=Min("due_on"))["due"]
    if due != case.next_due:
        Case.objects.filter(pk=case.pk).update(next_due=due)
        case.next_due = due


def deadline_start(
    case: Case, procedure: Procedure, name: str, start: dt.date, *, refresh: bool = True
) -> CaseDeadline:
    """Start a deadline on ``start``, unless it is already running: starting it again neither
    extends it nor marks the running one met (a late acknowledgement does not move the feedback date
    the lapsed 7 days started). A step that stops and starts a deadline restarts it. ``refresh``
    False: the caller stores the next due date (`next_due_refresh`) once it is done."""
    definition = procedure.deadlines[name]
    running = CaseDeadline.objects.filter(
        case=case, name=name, met_at__isnull=True, expired_at__isnull=True
    ).first()
    if running is not None:
        return running
    started = CaseDeadline.objects.create(
        case=case,
        name=name,
        label=definition.label,
        starts_on=start,
        due_on=definition.due(start, procedure.holidays),
        # Counting from a delivery not made yet: it waits (`delivery_settle` starts it).
        waits_for_delivery=definition.after_delivery and not respondent_notified(case),
    )
    if refresh:
        next_due_refresh(case)
    return started


def added_answer_deadline_start(
    case: Case, procedure: Procedure, positions: list[int]
) -> CaseDeadline | None:
    """The answer deadline of allegations added after the respondent was notified: like the
    procedure's answer deadline, covering those allegations only, and waiting for the delivery of
    the notice that tells them of these (made in the same transaction). None when the procedure
    declares no answer deadline."""
    name = procedure.declared.answer_deadline
    if not name or not positions:
        return None
    definition = procedure.deadlines[name]
    today = timezone.localdate()
    started = CaseDeadline.objects.create(
        case=case,
        name=f"{name}{ADDED}{positions[0]}"[:50],
        label=(
            f"{definition.label}: allegation{'s' if len(positions) > 1 else ''} "
            f"{', '.join(map(str, positions))}"
        )[:200],
        starts_on=today,
        due_on=definition.due(today, procedure.holidays),
        waits_for_delivery=definition.after_delivery,
        covers=positions,
    )
    next_due_refresh(case)
    return started


def is_answer_deadline(procedure: Procedure, name: str) -> bool:
    """Whether a deadline of a case is the respondent's answer deadline, or that of allegations
    added after notice."""
    answer = procedure.declared.answer_deadline
    return bool(answer) and (name == answer or name.startswith(f"{answer}{ADDED}"))


def answer_deadlines_meet(case: Case, procedure: Procedure) -> list[str]:
    """The respondent answered: their running answer deadlines are met (with any request for more
    time on them: there is nothing left to move). The names met."""
    met = [
        d.name
        for d in CaseDeadline.objects.filter(
            case=case, met_at__isnull=True, expired_at__isnull=True
        )
        if is_answer_deadline(procedure, d.name)
    ]
    if met:
        deadlines_stop(case, tuple(met), met=True)
    return met


def delivery_settle(case: Case, procedure: Procedure, on: dt.date) -> list[int]:
    """The respondent's notice was delivered on ``on`` (call it with the case locked): the
    deadlines waiting for the delivery start counting from that day, and the notices held until
    then are released. The released notices that go by email, to be sent after commit."""
    for deadline in CaseDeadline.objects.filter(
        case=case, waits_for_delivery=True, met_at__isnull=True, expired_at__isnull=True
    ):
        definition = procedure.deadlines.get(deadline.name.split(ADDED)[0])
        deadline.starts_on = on
        if definition is not None:
            deadline.due_on = definition.due(on, procedure.holidays)
        deadline.waits_for_delivery = False
        deadline.save(update_fields=["starts_on", "due_on", "waits_for_delivery", "updated_at"])
    next_due_refresh(case)
    held = list(case.notices.filter(status=Notice.Status.HELD))
    for notice in held:
        notice.status = (
            Notice.Status.PENDING if notice.recipient_email else Notice.Status.NO_ADDRESS
        )
        notice.save(update_fields=["status", "updated_at"])
    return [n.pk for n in held if n.recipient_email]


def deadlines_stop(case: Case, names: tuple[str, ...], *, met: bool, refresh: bool = True) -> None:
    """Stop the named deadlines (every one for "*"), and with each the request for more time on
    it that waits for a decision: once the deadline is over, there is no due date to move.
    ``refresh`` False: the caller stores the next due date once it is done."""
    if not names:
        return
    running = CaseDeadline.objects.filter(case=case, met_at__isnull=True, expired_at__isnull=True)
    if "*" not in names:
        running = running.filter(name__in=[*names, *(more_time_key(n) for n in names)])
    stopped = running.update(
        **({"met_at": timezone.now()} if met else {"expired_at": timezone.now()})
    )
    if stopped and refresh:
        next_due_refresh(case)


def more_time(
    case: Case,
    procedure: Procedure,
    transition: Transition,
    inputs: dict[str, Any],
    *,
    refresh: bool = True,
) -> dict[str, Any]:
    """A step about more time on a running deadline (the procedure has allowed it, as the case's
    deadlines stand). Asking keeps the request, waiting for a decision, as a deadline of the case
    next to the one it asks to move and due when that one is: the Chair sees it, and it ends with
    the decision, or when that deadline stops or passes. Granting moves the due date (reminders
    count again from the new one); granting and refusing end the request. The move, for the
    record ({} when nothing moved). ``refresh`` False: the caller stores the next due date."""
    moved = _more_time(case, procedure, transition, inputs)
    if refresh:
        next_due_refresh(case)
    return moved


def _more_time(
    case: Case, procedure: Procedure, transition: Transition, inputs: dict[str, Any]
) -> dict[str, Any]:
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
