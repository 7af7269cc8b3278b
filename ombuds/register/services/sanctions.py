"""Sanctions on a credential or a membership, with the provisions they cite and how they are shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.codes.models import Provision
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Credential, Membership, Sanction
from ombuds.register.services.events import acting
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
) -> Sanction:
    """Record a sanction on a credential or membership of the body, with the provisions it cites.

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
    )
    sanction.provisions.set(provisions)
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
        },
        organization=organization,
        actor=acting(acting_user),
    )
    return sanction
