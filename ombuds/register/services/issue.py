"""New credentials and memberships, and corrections of a credential that leave its status as it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)
from ombuds.register.services.events import acting, status_event_record
from ombuds.register.services.numbers import check_membership_number, check_number
from ombuds.register.subjects import CREDENTIAL, MEMBERSHIP


@transaction.atomic
def credential_issue(
    *,
    holder: Person,
    program: CredentialProgram,
    number: str,
    acting_user: Any = None,
    external_id: str = "",
) -> Credential:
    """A new credential for a person, as a candidate; its first status event says so."""
    number = check_number(number)
    if holder.organization_id != program.organization_id:
        raise TransitionRefused("the holder and the credential belong to different bodies")
    if Credential.objects.filter(program=program, number=number).exists():
        raise TransitionRefused(f"number {number} is already used in {program}")
    live = Credential.objects.filter(program=program, holder=holder).exclude(
        status__in=CREDENTIAL.ended
    )
    if live.exists():
        raise TransitionRefused(
            f"{holder} already holds a live {program} credential ({live[0].number})"
        )
    credential = Credential.objects.create(
        program=program, holder=holder, number=number, external_id=external_id, status="candidate"
    )
    status_event_record(
        record=credential,
        from_status="",
        to_status="candidate",
        effective_date=timezone.localdate(),
        reason="Application accepted",
        actor=acting(acting_user),
    )
    return credential


@transaction.atomic
def credential_correct(
    *,
    credential: Credential,
    reason: str,
    conditions: str | None = None,
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    expected_status: str | None = None,
    acting_user: Any = None,
) -> Credential:
    """Change a credential's conditions or correct its dates, without changing its status.

    Conditions (restrictions the holder practises under) are a flag with text, not a state. Each
    correction is on the record as an event from the status to itself, with what changed and why.
    Only the fields given change. Raises TransitionRefused, changing nothing.
    """
    credential = CREDENTIAL.lock(credential.pk)
    CREDENTIAL.refuse_stale(credential, expected_status)
    if not reason.strip():
        raise TransitionRefused("a correction needs a reason")
    changes: list[str] = []
    fields = ["updated_at"]
    if conditions is not None and conditions.strip() != credential.conditions.strip():
        new = conditions.strip()
        changes.append(f"conditions {'set to: ' + new if new else 'lifted'}")
        credential.conditions = new
        fields.append("conditions")
    for name, value in (("issued_on", issued_on), ("expires_on", expires_on)):
        if value is not None and value != getattr(credential, name):
            label = "issue date" if name == "issued_on" else "expiry date"
            changes.append(f"{label} {getattr(credential, name) or 'none'} → {value}")
            setattr(credential, name, value)
            fields.append(name)
    if not changes:
        raise TransitionRefused("nothing to change: the values given are the ones on record")
    _check_corrected_dates(credential, fields)
    credential.save(update_fields=fields)
    status_event_record(
        record=credential,
        from_status=credential.status,
        to_status=credential.status,
        effective_date=timezone.localdate(),
        reason=f"Corrected: {'; '.join(changes)}. {reason.strip()}",
        actor=acting(acting_user),
    )
    return credential


def _check_corrected_dates(credential: Credential, fields: list[str]) -> None:
    """The corrected dates are in order, not ahead, and leave the status true on its dates."""
    today = timezone.localdate()
    issued, expires, status = credential.issued_on, credential.expires_on, credential.status
    if issued and expires and expires <= issued:
        raise TransitionRefused(
            f"the expiry date ({expires}) must come after the issue date ({issued})"
        )
    if "issued_on" in fields and issued > today:
        raise TransitionRefused(
            f"the issue date {issued} is in the future: a credential is issued on "
            "the day it is certified"
        )
    if "expires_on" not in fields:
        return
    if status in ("expired", "lapsed"):
        article = "an" if status == "expired" else "a"
        raise TransitionRefused(
            f"{article} {status} credential gets a new expiry date by reinstatement"
        )
    if status == "candidate" and expires < today:
        raise TransitionRefused(
            f"the expiry date {expires} has passed: certified with it, the "
            "credential would expire at once"
        )
    if status in ("active", "inactive", "suspended") and expires < today:
        raise TransitionRefused(
            f"the expiry date {expires} has passed: the daily task would expire the "
            "credential backdated; record an expiry as a status change instead"
        )


_HOLDER_KINDS = {
    MembershipType.Kind.INDIVIDUAL: "person",
    MembershipType.Kind.BOARD: "person",
    MembershipType.Kind.ORGANIZATION: "agency",
}


@transaction.atomic
def membership_create(
    *,
    organization: Organization,
    membership_type: MembershipType,
    number: str,
    person: Person | None = None,
    agency: Agency | None = None,
    external_id: str = "",
    acting_user: Any = None,
) -> Membership:
    """A new membership, as an applicant; its first status event says so. An individual or board
    membership is held by a person, an organisation membership by an agency."""
    number = check_membership_number(number)
    external_id = external_id.strip()
    if (person is None) == (agency is None):
        raise TransitionRefused("a membership is held by one person or one agency")
    holder = person if person is not None else agency
    if membership_type.organization_id != organization.pk:
        raise TransitionRefused("that membership type belongs to another body")
    if holder.organization_id != organization.pk:
        raise TransitionRefused("that member belongs to another body")
    wanted = _HOLDER_KINDS[membership_type.kind]
    if (wanted == "person") != (person is not None):
        raise TransitionRefused(
            f"a {membership_type.name} membership is held by "
            f"{'a person' if wanted == 'person' else 'an agency'}"
        )
    # Case is kept but not told apart: the public register finds "m-1" and "M-1" alike.
    used = (
        Membership.objects.filter(organization=organization, number__iexact=number)
        .values_list("number", flat=True)
        .first()
    )
    if used is not None:
        raise TransitionRefused(f"membership number {used} is already used")
    if (
        external_id
        and Membership.objects.filter(organization=organization, external_id=external_id).exists()
    ):
        raise TransitionRefused(f"{external_id!r} is already the identifier of another membership")
    live = Membership.objects.filter(
        organization=organization,
        membership_type=membership_type,
        person=person,
        agency=agency,
    ).exclude(status__in=MEMBERSHIP.ended)
    if live.exists():
        raise TransitionRefused(
            f"{holder} already has a live {membership_type.name} membership ({live[0].number})"
        )
    membership = Membership.objects.create(
        organization=organization,
        membership_type=membership_type,
        person=person,
        agency=agency,
        number=number,
        external_id=external_id,
        status=Membership.Status.APPLICANT,
    )
    status_event_record(
        record=membership,
        from_status="",
        to_status="applicant",
        effective_date=timezone.localdate(),
        reason="Application received",
        actor=acting(acting_user),
    )
    return membership
