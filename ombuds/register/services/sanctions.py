"""Sanctions on a credential or a membership, with the provisions they cite and how they are shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.codes.models import Provision
from ombuds.register.invoices import fine_invoice, fine_paid
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Credential, Membership, Sanction
from ombuds.register.services.events import acting
from ombuds.register.services.sanction_effects import (
    CONDITION_SANCTIONS,
    changes_record,
    sanction_apply,
)
from ombuds.register.subjects import subject_of

_url_valid = URLValidator(schemes=["https", "http"])


@dataclass(frozen=True)
class SanctionDecision:
    """What was decided: the kind of sanction, when, in a summary, its term and what it cites."""

    kind: str  # a Sanction.Kind value
    decided_on: dt.date
    summary: str
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    decision_url: str = ""
    provisions: Sequence[Provision] = field(default_factory=tuple)
    conditions: str = ""  # probation or conditions: what the holder must do or keep to
    amount: Decimal | None = None  # a fine: its amount, in ``currency``, due by ``due_on``
    currency: str = ""
    due_on: dt.date | None = None


@dataclass(frozen=True)
class SanctionPublication:
    """Who may see the sanction on the public register: a Sanction.Publication value, and for
    "public_until" the last day it is shown."""

    policy: str
    until: dt.date | None = None


def _problems(decision: SanctionDecision, publication: SanctionPublication) -> list[str]:
    problems = []
    if decision.kind not in Sanction.Kind.values:
        problems.append(
            f"kind must be one of {', '.join(Sanction.Kind.values)}, not {decision.kind!r}"
        )
    if publication.policy not in Sanction.Publication.values:
        problems.append(
            f"publication must be one of {', '.join(Sanction.Publication.values)}, "
            f"not {publication.policy!r}"
        )
    if not decision.summary.strip():
        problems.append("a sanction needs a summary")
    if decision.amount is not None and decision.amount <= 0:
        problems.append("a fine's amount is more than nothing")
    if decision.decision_url:
        try:
            _url_valid(decision.decision_url)
        except ValidationError:
            problems.append(f"the decision link {decision.decision_url!r} is not a web address")
    return problems


def _check(
    organization: Organization, decision: SanctionDecision, publication: SanctionPublication
) -> None:
    problems = _problems(decision, publication)
    if problems:
        raise TransitionRefused("; ".join(problems))
    if publication.policy == Sanction.Publication.PUBLIC_UNTIL and publication.until is None:
        raise TransitionRefused("'public until a date' needs the date")
    start, end = decision.effective_from, decision.effective_until
    if start and end and end < start:
        raise TransitionRefused("the sanction must end after it starts")
    for provision in decision.provisions:
        version = provision.version
        if version.code.organization_id != organization.pk or not version.is_published:
            raise TransitionRefused(
                f"provision {provision.citation} is not in a published version of this body's code"
            )


@transaction.atomic
def sanction_record(
    *,
    organization: Organization,
    record: Credential | Membership,
    decision: SanctionDecision,
    publication: SanctionPublication,
    source: str = "historical",
    acting_user: Any = None,
    state: str = Sanction.State.IN_EFFECT,
    decision_ref: str = "",
) -> Sanction:
    """Record a sanction on a credential or membership of the body, with the provisions it cites.
    A fine with its amount and currency is an invoice too (`ombuds.register.invoices`).

    Cited provisions must belong to a published version of this body's code. The sanction does not
    change the register by itself: a suspension or revocation is applied through the lifecycle.
    ``source`` says where it was decided ("historical": outside Ombuds; "case": in a case). The
    audit event is written in the same transaction. Raises TransitionRefused, storing nothing.
    """
    subject = subject_of(record)
    if subject.organization_id(record) != organization.pk:
        raise TransitionRefused("that credential or membership belongs to another body")
    _check(organization, decision, publication)
    provisions = list(decision.provisions)
    public = publication.policy == Sanction.Publication.PUBLIC_UNTIL
    sanction = Sanction.objects.create(
        organization=organization,
        **{subject.name: record},
        kind=decision.kind,
        decided_on=decision.decided_on,
        summary=decision.summary.strip(),
        publication=publication.policy,
        public_until=publication.until if public else None,
        effective_from=decision.effective_from,
        effective_until=decision.effective_until,
        decision_url=decision.decision_url,
        source=source,
        recorded_by=acting(acting_user),
        state=state,
        decision_ref=decision_ref,
        conditions=decision.conditions.strip(),
        amount=decision.amount,
        currency=decision.currency.strip().upper(),
        due_on=decision.due_on,
    )
    sanction.provisions.set(provisions)
    invoice = fine_invoice(sanction=sanction, acting_user=acting_user)
    audit.record(
        action="register.sanction_recorded",
        subject_type=subject.name,
        subject_id=record.pk,
        data={
            "sanction": sanction.pk,
            "number": record.number,
            "kind": decision.kind,
            "decided_on": decision.decided_on,
            "publication": publication.policy,
            "public_until": sanction.public_until,
            "provisions": [p.citation for p in provisions],
            "source": source,
            "state": state,
            "effective_from": decision.effective_from,
            **({"conditions": sanction.conditions} if sanction.conditions else {}),
            **(
                {"amount": f"{sanction.amount} {sanction.currency}", "due_on": sanction.due_on}
                if sanction.amount
                else {}
            ),
            **({"invoice": invoice.number} if invoice else {}),
        },
        organization=organization,
        actor=acting(acting_user),
    )
    return sanction


@transaction.atomic
def sanction_impose(
    *,
    organization: Organization,
    record: Credential | Membership,
    decision: SanctionDecision,
    publication: SanctionPublication,
    decision_ref: str,
    acting_user: Any = None,
    today: dt.date | None = None,
) -> Sanction:
    """Record a sanction decided in a case and apply it to the record: at once when it takes
    effect today (or earlier), or "scheduled" when dated later, the record keeping its status
    until the daily work applies it on its date (`sanctions_apply_due`). A sanction that changes
    nothing in the register (a reprimand, a fine) is in effect at once. All of it, or
    TransitionRefused and none of it."""
    today = today or timezone.localdate()
    problems = []
    if decision.kind == Sanction.Kind.FINE and not decision.amount:
        problems.append("a fine needs its amount")
    if decision.kind == Sanction.Kind.FINE and len(decision.currency.strip()) != 3:
        problems.append("a fine needs its currency, as a three-letter code (USD, EUR)")
    if decision.kind in CONDITION_SANCTIONS and not decision.conditions.strip():
        problems.append("say what the conditions are")
    if problems:
        raise TransitionRefused("; ".join(problems))
    later = decision.effective_from is not None and decision.effective_from > today
    scheduled = later and changes_record(decision.kind)
    sanction = sanction_record(
        organization=organization,
        record=record,
        decision=decision,
        publication=publication,
        source="case",
        acting_user=acting_user,
        state=Sanction.State.SCHEDULED,
        decision_ref=decision_ref,
    )
    if scheduled:
        return sanction
    if changes_record(decision.kind):
        sanction_apply(sanction=sanction, acting_user=acting_user, today=today)
    else:
        Sanction.objects.filter(pk=sanction.pk).update(state=Sanction.State.IN_EFFECT)
    sanction.refresh_from_db()
    return sanction


@transaction.atomic
def sanction_fine_paid(
    *,
    organization: Organization,
    sanction: Sanction,
    paid_on: dt.date,
    note: str = "",
    acting_user: Any = None,
) -> Sanction:
    """Record that a fine was paid, on a date (not in the future, not before the decision), with a
    note; its invoice is marked paid with it. Refused for another body's sanction, one that is not a fine, one lifted, one already
    recorded as paid (someone did it meanwhile), and one whose invoice was waived. Raises TransitionRefused, storing nothing."""
    locked = Sanction.objects.select_for_update().filter(pk=sanction.pk).first()
    if locked is None or locked.organization_id != organization.pk:
        raise TransitionRefused("there is no such sanction in this body's register")
    if locked.kind != Sanction.Kind.FINE:
        raise TransitionRefused("only a fine is paid")
    if locked.state == Sanction.State.LIFTED:
        raise TransitionRefused("the fine was lifted: there is nothing to pay")
    if locked.paid_on is not None:
        raise TransitionRefused(f"the fine is already recorded as paid on {locked.paid_on}")
    if paid_on > timezone.localdate():
        raise TransitionRefused("the payment date is in the future")
    if paid_on < locked.decided_on:
        raise TransitionRefused(f"the payment date is before the decision ({locked.decided_on})")
    locked.paid_on = paid_on
    locked.payment_note = note.strip()
    locked.save(update_fields=["paid_on", "payment_note", "updated_at"])
    # The fine is an invoice too: paid with it (refused when the invoice was waived).
    fine_paid(sanction=locked, paid_on=paid_on, note=note, acting_user=acting_user)
    record = locked.credential if locked.credential_id else locked.membership
    audit.record(
        action="register.fine_paid",
        subject_type=subject_of(record).name,
        subject_id=record.pk,
        data={
            "sanction": locked.pk,
            "amount": f"{locked.amount} {locked.currency}",
            "paid_on": paid_on,
            "note": locked.payment_note,
        },
        organization=organization,
        actor=acting(acting_user),
    )
    return locked
