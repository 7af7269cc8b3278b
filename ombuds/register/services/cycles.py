"""Recertification cycles opened and ended with the credential's lifecycle.

A cycle opens when a credential is certified or becomes active again and has none open
(`cycle_start`, called by the lifecycle service), and in bulk for active credentials that came into
the register without one, from an import or from before recertification was kept here
(`cycles_open_bulk`, `ombuds register open-cycles`). A revoked or surrendered credential's open
cycle ends with it (`cycle_end_with_credential`): nobody is reminded to recertify a credential they
no longer hold. Everything else about cycles (activities, review, submission, the decision, audits)
is `ombuds.register.recertification`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.core.dates import add_months
from ombuds.register.models import Credential, CredentialProgram, RecertificationCycle
from ombuds.register.services.events import acting, is_batched

# A cycle opens on an active credential only; a suspended or inactive one gets its cycle when it is
# active again (unless it kept the one it had).
CYCLE_STATUS = Credential.Status.ACTIVE
BATCH = 500


def asks_for_units(program: CredentialProgram) -> bool:
    """Whether the programme asks for continuing education at all."""
    return bool(program.required_units or program.unit_categories)


def _audit_opened(cycle: RecertificationCycle, credential: Credential, actor: Any) -> None:
    if is_batched():
        return  # inside an import, whose one event records the status change that opened it
    audit.record(
        action="register.cycle_opened",
        subject_type="recertification_cycle",
        subject_id=cycle.pk,
        data={
            "credential": credential.number,
            "starts_on": cycle.starts_on,
            "due_on": cycle.due_on,
            "required_units": cycle.required_units,
            "required_by_category": cycle.required_by_category,
        },
        organization=Organization(pk=credential.program.organization_id),
        actor=acting(actor),
    )


def cycle_start(
    *,
    credential: Credential,
    starts_on: dt.date,
    due_on: dt.date,
    acting_user: Any = None,
) -> RecertificationCycle:
    """A new open cycle with the programme's requirements, and its audit event. The caller holds
    the credential's lock and has checked that it may open (none open, dates in order)."""
    program = credential.program
    cycle = RecertificationCycle.objects.create(
        credential=credential,
        starts_on=starts_on,
        due_on=due_on,
        required_units=program.required_units,
        required_by_category=dict(program.unit_categories),
    )
    _audit_opened(cycle, credential, acting_user)
    return cycle


def cycle_start_if_due(
    credential: Credential, *, starts_on: dt.date, acting_user: Any = None
) -> RecertificationCycle | None:
    """On certification or a return to active: the cycle up to the expiry date, when the programme
    asks for continuing education and none is open. The caller holds the credential's lock."""
    if not asks_for_units(credential.program) or credential.expires_on is None:
        return None
    if credential.expires_on <= starts_on:
        return None
    if credential.cycles.filter(outcome=RecertificationCycle.Outcome.OPEN).exists():
        return None
    return cycle_start(
        credential=credential,
        starts_on=starts_on,
        due_on=credential.expires_on,
        acting_user=acting_user,
    )


def cycle_end_with_credential(credential: Credential, *, acting_user: Any = None) -> None:
    """The open cycle of a credential just revoked or surrendered ends with it (no reminders, no
    decision to take). The caller holds the credential's lock."""
    cycle = (
        RecertificationCycle.objects.select_for_update()
        .filter(credential=credential, outcome=RecertificationCycle.Outcome.OPEN)
        .first()
    )
    if cycle is None:
        return
    cycle.outcome = RecertificationCycle.Outcome.ENDED
    cycle.outcome_reason = f"The credential was {credential.status}."
    cycle.decided_by = acting(acting_user)
    cycle.save(update_fields=["outcome", "outcome_reason", "decided_by", "updated_at"])
    if is_batched():
        return
    audit.record(
        action="register.cycle_closed",
        subject_type="recertification_cycle",
        subject_id=cycle.pk,
        data={
            "credential": credential.number,
            "outcome": cycle.outcome,
            "reason": cycle.outcome_reason,
        },
        organization=Organization(pk=credential.program.organization_id),
        actor=acting(acting_user),
    )


# --- in bulk ------------------------------------------------------------------------------------


@dataclass
class CyclesOpened:
    """What `cycles_open_bulk` did: cycles opened, credentials that had one, and those skipped by
    reason."""

    opened: int = 0
    already_open: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        parts = [
            f"{self.opened} cycle{'s' if self.opened != 1 else ''} opened",
            f"{self.already_open} credential{'s' if self.already_open != 1 else ''} already had one",
        ]
        parts += [f"{n} skipped: {reason}" for reason, n in sorted(self.skipped.items())]
        return "; ".join(parts)


def _bulk_dates(credential: Credential, today: dt.date) -> tuple[dt.date, dt.date] | str:
    """The current term of an active credential as a cycle (it ends on the expiry date and starts a
    programme cycle before, or on the issue date if later), or why it gets none."""
    program = credential.program
    if not asks_for_units(program):
        return "the programme asks for no continuing education"
    if credential.expires_on is None:
        return "no expiry date"
    if credential.expires_on <= today:
        return "the expiry date has passed"
    starts_on = add_months(credential.expires_on, -program.cycle_months)
    if credential.issued_on and credential.issued_on > starts_on:
        starts_on = credential.issued_on
    if starts_on >= credential.expires_on:
        return "the programme's cycle is empty"
    return starts_on, credential.expires_on


def cycles_open_bulk(
    *,
    organization: Organization,
    acting_user: Any = None,
    today: dt.date | None = None,
    batch_size: int = BATCH,
) -> CyclesOpened:
    """Open the current cycle of every active credential of the body that has none open: its term up
    to the expiry date, with its programme's requirements. Safe to run again (a credential with an
    open cycle is counted, not changed) and while others work: each batch is one transaction that
    locks its credentials first, with one audit event listing the credentials it opened cycles for.
    Credentials that are not active are left for the lifecycle (a cycle opens when they become
    active again) and counted as skipped."""
    today = today or timezone.localdate()
    result = CyclesOpened()
    credentials = Credential.objects.filter(program__organization=organization)
    for status, n in (
        credentials.exclude(status=CYCLE_STATUS)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        result.skipped[f"{status}, not active"] += n
    ids = list(credentials.filter(status=CYCLE_STATUS).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        _open_batch(ids[start : start + batch_size], organization, acting_user, today, result)
    return result


@transaction.atomic
def _open_batch(
    ids: list[int],
    organization: Organization,
    acting_user: Any,
    today: dt.date,
    result: CyclesOpened,
) -> None:
    locked = list(
        Credential.objects.select_for_update(of=("self",))
        .select_related("program")
        .filter(pk__in=ids, status=CYCLE_STATUS)
        .order_by("pk")
    )
    with_open = set(
        RecertificationCycle.objects.filter(
            credential_id__in=[c.pk for c in locked], outcome=RecertificationCycle.Outcome.OPEN
        ).values_list("credential_id", flat=True)
    )
    new, numbers = [], []
    for credential in locked:
        if credential.pk in with_open:
            result.already_open += 1
            continue
        dates = _bulk_dates(credential, today)
        if isinstance(dates, str):
            result.skipped[dates] += 1
            continue
        program = credential.program
        new.append(
            RecertificationCycle(
                credential=credential,
                starts_on=dates[0],
                due_on=dates[1],
                required_units=program.required_units,
                required_by_category=dict(program.unit_categories),
            )
        )
        numbers.append(credential.number)
    if len(locked) < len(ids):  # changed status since the ids were read
        result.skipped["no longer active"] += len(ids) - len(locked)
    if not new:
        return
    RecertificationCycle.objects.bulk_create(new)
    result.opened += len(new)
    audit.record(
        action="register.cycles_opened",
        subject_type="organization",
        subject_id=organization.pk,
        data={"count": len(new), "credentials": numbers},
        organization=organization,
        actor=acting(acting_user),
    )
