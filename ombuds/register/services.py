from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import re
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.register.lifecycle import (
    CREDENTIAL_TRANSITIONS,
    MEMBERSHIP_TRANSITIONS,
    TransitionRefused,
    check_transition,
)
from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Organization,
    Person,
    Sanction,
    StatusEvent,
)


@transaction.atomic
def organization_ensure(*, slug: str, name: str, acronym: str = "") -> Organization:
    """Return the body with this slug, creating it or updating its names so that running twice is a no-op."""
    org, created = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name, "acronym": acronym}
    )
    if not created and (org.name, org.acronym) != (name, acronym):
        org.name, org.acronym = name, acronym
        org.full_clean()
        org.save(update_fields=["name", "acronym"])
    return org


# --- the record -----------------------------------------------------------------------------------

_batched = contextvars.ContextVar("ombuds_register_audit_batched", default=False)


@contextlib.contextmanager
def audit_batched():
    """Within it, status changes are not written to the audit log one by one: a bulk operation
    (a CSV import) records one event for the whole batch instead, so that it does not hold the audit
    chain's lock for its whole length."""
    token = _batched.set(True)
    try:
        yield
    finally:
        _batched.reset(token)


def _status_event(**fields: Any) -> StatusEvent:
    """A status event, and its entry on the audit log (in the same transaction)."""
    event = StatusEvent.objects.create(**fields)
    if not _batched.get():
        record = fields.get("credential") or fields.get("membership")
        kind = "credential" if fields.get("credential") is not None else "membership"
        organization_id = (
            record.program.organization_id if kind == "credential" else record.organization_id
        )
        audit.record(
            action=f"register.{kind}_status",
            subject_type=kind,
            subject_id=record.pk,
            data={
                "number": record.number,
                "from": event.from_status,
                "to": event.to_status,
                "effective_date": event.effective_date,
                "reason": event.reason,
                "decision_ref": event.decision_ref,
                "automatic": event.automatic,
            },
            organization=Organization(pk=organization_id),
            actor=event.actor,
        )
    return event


# --- lifecycle ----------------------------------------------------------------------------------


def _actor(acting_user: Any):
    return acting_user if getattr(acting_user, "pk", None) else None


def _refuse_future(effective_date: dt.date, *, automatic: bool) -> None:
    # The scheduled task dates its changes itself (and tests run it for another day); a person
    # recording a change dated ahead would make the register show it before it is in force.
    if not automatic and effective_date > timezone.localdate():
        raise TransitionRefused(
            f"the effective date {effective_date} is in the future: record the change on that date"
        )


def _not_before_history(events, effective_date: dt.date, *, automatic: bool) -> dt.date:
    """A change is never dated before the latest one on record, so the history reads in order.
    A person is told; the daily task (which dates changes itself) moves its date up to that day."""
    latest = events.order_by("-effective_date").values_list("effective_date", flat=True).first()
    if latest is None or effective_date >= latest:
        return effective_date
    if automatic:
        return latest
    raise TransitionRefused(
        f"the effective date {effective_date} is before the latest change on record ({latest})"
    )


_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,49}$")


# Membership numbers keep their case (as the CSV import keeps them); the same rule otherwise.
_MEMBERSHIP_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")


def check_membership_number(number: str) -> str:
    """A membership number as stored: as typed, without surrounding spaces; letters, digits, '.',
    '-' and '_' only (it appears in the public member page's address). Raises TransitionRefused."""
    cleaned = number.strip()
    if not _MEMBERSHIP_NUMBER.match(cleaned):
        raise TransitionRefused(
            f"membership number {number!r} must be 1 to 50 letters, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    return cleaned


def check_number(number: str) -> str:
    """A credential number as stored: upper case, no spaces; letters, digits, '.', '-' and '_' only
    (it appears in the verification URL and on the certificate). Raises TransitionRefused."""
    cleaned = "".join(number.split()).upper()
    if not _NUMBER.match(cleaned):
        raise TransitionRefused(
            f"credential number {number!r} must be 1 to 50 letters, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    return cleaned


def _checked_move(
    record: Credential | Membership,
    kind: str,
    table: tuple,
    *,
    to_status: str,
    effective_date: dt.date,
    reason: str,
    decision_ref: str,
    until: dt.date | None,
    expected_status: str | None,
    automatic: bool,
    new_date: tuple[str, dt.date | None, str, str],
) -> dt.date:
    """What every status change of a (locked) credential or membership must pass: the status the
    person saw, a reason, the lifecycle's table and its requirements, no future date, no date
    before the history, and a new expiry or renewal date only with a move to active, after the
    change. Returns the effective date (the daily task's moved up to the latest on record)."""
    if expected_status is not None and record.status != expected_status:
        raise TransitionRefused(
            f"{kind} {record.number} is now {record.status}, not {expected_status}: "
            "someone changed it meanwhile; reload and try again"
        )
    if not reason.strip():
        raise TransitionRefused("a status change needs a reason")
    date_name, date_value, date_label, occasion = new_date
    given = {
        name
        for name, value in (
            ("until", until),
            ("decision_ref", decision_ref.strip()),
            (date_name, date_value),
        )
        if value
    }
    check_transition(table, record.status, to_status, automatic=automatic, given=given)
    _refuse_future(effective_date, automatic=automatic)
    effective_date = _not_before_history(record.events, effective_date, automatic=automatic)
    if until is not None and until <= effective_date:
        raise TransitionRefused("a suspension must end after it starts")
    if date_value is not None and to_status != "active":
        # The event would not show it: a date changed on the side is not on the record.
        raise TransitionRefused(f"a new {date_label} is set only when the {kind} becomes active")
    if date_value is not None and date_value <= effective_date:
        article = "new" if date_name == "expires_on" else "next"
        raise TransitionRefused(f"the {article} {date_label} must come after the {occasion}")
    return effective_date


@transaction.atomic
def credential_transition(
    *,
    credential: Credential,
    to_status: str,
    effective_date: dt.date,
    reason: str,
    acting_user: Any = None,
    decision_ref: str = "",
    until: dt.date | None = None,
    expires_on: dt.date | None = None,
    expected_status: str | None = None,
    automatic: bool = False,
) -> Credential:
    """Move a credential to a new status as the lifecycle allows, and record the event.

    Locks the row first; ``expected_status`` (the status the person saw) refuses a stale change.
    Suspension needs ``until`` and a decision reference; reinstatement from expired or lapsed needs
    the new ``expires_on``; a new expiry date is taken only by a move to active. A manual change
    cannot be dated in the future: the register would show it before it is in force. Raises
    TransitionRefused with the reason, changing nothing.
    """
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(pk=credential.pk)
    )
    effective_date = _checked_move(
        credential,
        "credential",
        CREDENTIAL_TRANSITIONS,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        decision_ref=decision_ref,
        until=until,
        expected_status=expected_status,
        automatic=automatic,
        new_date=("expires_on", expires_on, "expiry date", "reinstatement"),
    )
    if expires_on is not None and credential.issued_on and expires_on <= credential.issued_on:
        raise TransitionRefused(
            f"the new expiry date must come after the issue date ({credential.issued_on})"
        )
    source = credential.status
    credential.status = to_status
    fields = ["status", "updated_at"]
    if to_status == "suspended":
        credential.suspended_until = until
        fields.append("suspended_until")
    elif source == "suspended":
        credential.suspended_until = None
        fields.append("suspended_until")
    if to_status == "active" and source == "candidate" and credential.issued_on is None:
        credential.issued_on = effective_date
        fields.append("issued_on")
    if (
        to_status == "active"
        and source == "candidate"
        and expires_on is None
        and credential.expires_on is None
    ):
        # A newly certified holder is due at the end of one cycle of the program.
        from ombuds.register.recertification import add_months

        expires_on = add_months(effective_date, credential.program.cycle_months)
    if expires_on is not None:
        credential.expires_on = expires_on
        fields.append("expires_on")
    credential.save(update_fields=fields)
    _status_event(
        credential=credential,
        from_status=source,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason.strip(),
        decision_ref=decision_ref.strip(),
        automatic=automatic,
        actor=_actor(acting_user),
    )
    if to_status == "active" and source in ("candidate", "expired", "lapsed"):
        _open_first_cycle(credential, starts_on=effective_date)
    return credential


def _open_first_cycle(credential: Credential, *, starts_on: dt.date) -> None:
    """A newly certified or reinstated holder starts a recertification cycle at once, due at the
    expiry date, when the program asks for continuing education and none is open."""
    from ombuds.register.models import RecertificationCycle

    program = credential.program
    if not (program.required_units or program.unit_categories) or credential.expires_on is None:
        return
    if credential.cycles.filter(outcome=RecertificationCycle.Outcome.OPEN).exists():
        return
    if credential.expires_on <= starts_on:
        return
    RecertificationCycle.objects.create(
        credential=credential,
        starts_on=starts_on,
        due_on=credential.expires_on,
        required_units=program.required_units,
        required_by_category=dict(program.unit_categories),
    )


@transaction.atomic
def membership_transition(
    *,
    membership: Membership,
    to_status: str,
    effective_date: dt.date,
    reason: str,
    acting_user: Any = None,
    decision_ref: str = "",
    until: dt.date | None = None,
    renewal_date: dt.date | None = None,
    expected_status: str | None = None,
    automatic: bool = False,
) -> Membership:
    """Move a membership to a new status as its lifecycle allows, and record the event.

    Renewing (from grace) or reinstating (from lapsed) needs the next ``renewal_date``, or the
    daily task would put the member straight back into grace.
    """
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    effective_date = _checked_move(
        membership,
        "membership",
        MEMBERSHIP_TRANSITIONS,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        decision_ref=decision_ref,
        until=until,
        expected_status=expected_status,
        automatic=automatic,
        new_date=("renewal_date", renewal_date, "renewal date", "renewal"),
    )
    source = membership.status
    membership.status = to_status
    fields = ["status", "updated_at"]
    if to_status == "suspended":
        membership.suspended_until = until
        fields.append("suspended_until")
    elif source == "suspended":
        membership.suspended_until = None
        fields.append("suspended_until")
    if to_status == "active" and membership.start_date is None:
        membership.start_date = effective_date
        fields.append("start_date")
    if renewal_date is not None and to_status == "active":
        membership.renewal_date = renewal_date
        fields.append("renewal_date")
    membership.save(update_fields=fields)
    _status_event(
        membership=membership,
        from_status=source,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason.strip(),
        decision_ref=decision_ref.strip(),
        automatic=automatic,
        actor=_actor(acting_user),
    )
    return membership


MEMBERSHIP_GRACE_DAYS = 60
_DAY = dt.timedelta(days=1)


def apply_due_transitions(*, today: dt.date | None = None) -> dict[str, int]:
    """Take every automatic transition whose date has come: expiry, lapse, end of suspension, and the
    membership grace period and lapse. Idempotent: a second run the same day finds nothing to do.

    The dates: a credential that expires on D is valid through D and expired from D + 1; it lapses
    the day after its program's grace period, D + grace_days + 1. A suspension until D ends on D.
    A membership whose renewal date R passes is in grace from R + 1 and lapsed from
    R + MEMBERSHIP_GRACE_DAYS + 1. Each event carries that date, even when the task runs late.

    Each change is its own transaction (a failure on one record never rolls back the others), and a
    record someone changed meanwhile is skipped, not overwritten. Finding what is due takes a fixed
    handful of queries, whatever the number of programs; each change then takes its own few.
    """
    today = today or timezone.localdate()
    counts = {
        "expired": 0,
        "lapsed": 0,
        "reinstated": 0,
        "grace": 0,
        "membership_lapsed": 0,
        "membership_reinstated": 0,
    }

    def run(objects, apply, key):
        for obj in objects.iterator(chunk_size=1000):
            try:
                apply(obj)
            except TransitionRefused:
                continue  # changed by someone else since the query: their change stands
            counts[key] += 1

    # Ends of suspension first: a suspension that outlasts the expiry or renewal date gives way to
    # expiry or grace in the same run, rather than showing the record as active for a day.
    def end_suspension(c: Credential) -> None:
        expired = c.expires_on is not None and c.expires_on < c.suspended_until
        credential_transition(
            credential=c,
            to_status="expired" if expired else "active",
            effective_date=c.suspended_until,
            automatic=True,
            expected_status="suspended",
            reason="The suspension ended after the expiry date"
            if expired
            else "The suspension ended",
        )

    run(
        Credential.objects.filter(status="suspended", suspended_until__lte=today),
        end_suspension,
        "reinstated",
    )
    run(
        Credential.objects.filter(status__in=["active", "inactive"], expires_on__lt=today),
        lambda c: credential_transition(
            credential=c,
            to_status="expired",
            effective_date=c.expires_on + _DAY,
            automatic=True,
            expected_status=c.status,
            reason="Reached its expiry date while inactive"
            if c.status == "inactive"
            else "Reached its expiry date without recertification",
        ),
        "expired",
    )
    # One query for every program: grace periods are few, programs may be many.
    grace_periods = CredentialProgram.objects.order_by().values_list("grace_days", flat=True)
    lapse_due = models.Q(pk__in=[])
    for grace_days in grace_periods.distinct():
        lapse_due |= models.Q(
            program__grace_days=grace_days, expires_on__lt=today - grace_days * _DAY
        )
    run(
        Credential.objects.filter(lapse_due, status="expired").select_related("program"),
        lambda c: credential_transition(
            credential=c,
            to_status="lapsed",
            automatic=True,
            expected_status="expired",
            effective_date=c.expires_on + (c.program.grace_days + 1) * _DAY,
            reason=f"Not reinstated within the {c.program.grace_days}-day grace period",
        ),
        "lapsed",
    )

    def end_membership_suspension(m: Membership) -> None:
        overdue = m.renewal_date is not None and m.renewal_date < m.suspended_until
        membership_transition(
            membership=m,
            to_status="grace" if overdue else "active",
            effective_date=m.suspended_until,
            automatic=True,
            expected_status="suspended",
            reason="The suspension ended after the renewal date"
            if overdue
            else "The suspension ended",
        )

    run(
        Membership.objects.filter(status="suspended", suspended_until__lte=today),
        end_membership_suspension,
        "membership_reinstated",
    )
    run(
        Membership.objects.filter(status="active", renewal_date__lt=today),
        lambda m: membership_transition(
            membership=m,
            to_status="grace",
            effective_date=m.renewal_date + _DAY,
            automatic=True,
            expected_status="active",
            reason="Renewal date passed",
        ),
        "grace",
    )
    run(
        Membership.objects.filter(
            status="grace", renewal_date__lt=today - MEMBERSHIP_GRACE_DAYS * _DAY
        ),
        lambda m: membership_transition(
            membership=m,
            to_status="lapsed",
            automatic=True,
            expected_status="grace",
            effective_date=m.renewal_date + (MEMBERSHIP_GRACE_DAYS + 1) * _DAY,
            reason=f"Not renewed within {MEMBERSHIP_GRACE_DAYS} days",
        ),
        "membership_lapsed",
    )
    return counts


# --- register entries ---------------------------------------------------------------------------


def similar_agencies(
    *,
    organization: Organization,
    names: list[str],
    exclude_pk: int | None = None,
    threshold: float | None = None,
) -> list[tuple[Agency, str, float]]:
    """Agencies whose legal or trade names a client could confuse with ``names`` (CSEC 4.2).

    Compares names with legal-form words ("LLC", "Services") and punctuation removed; returns
    (agency, the name it matched, similarity 0-1), most similar first. Every agency of the body is
    compared (one record's names at a time); a whole file is checked through `names.NameIndex`.
    """
    from ombuds.register.names import THRESHOLD, normalise_name, similarity

    threshold = THRESHOLD if threshold is None else threshold
    wanted = [(normalise_name(n), n) for n in names if n.strip()]
    found: dict[int, tuple[Agency, str, float]] = {}
    for agency in Agency.objects.filter(organization=organization).exclude(pk=exclude_pk):
        for other in [agency.legal_name, *agency.trade_names]:
            norm_other = normalise_name(other)
            for norm, _original in wanted:
                if not norm or not norm_other:
                    continue
                score = similarity(norm, norm_other)
                if score >= threshold and score > found.get(agency.pk, (None, "", 0.0))[2]:
                    found[agency.pk] = (agency, other, score)
    return sorted(found.values(), key=lambda item: -item[2])


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
        status__in=["revoked", "surrendered"]
    )
    if live.exists():
        raise TransitionRefused(
            f"{holder} already holds a live {program} credential ({live[0].number})"
        )
    credential = Credential.objects.create(
        program=program, holder=holder, number=number, external_id=external_id, status="candidate"
    )
    _status_event(
        credential=credential,
        from_status="",
        to_status="candidate",
        effective_date=timezone.localdate(),
        reason="Application accepted",
        actor=_actor(acting_user),
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
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(pk=credential.pk)
    )
    if expected_status is not None and credential.status != expected_status:
        raise TransitionRefused(
            f"credential {credential.number} is now {credential.status}, not {expected_status}: "
            "someone changed it meanwhile; reload and try again"
        )
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
    if (
        credential.issued_on
        and credential.expires_on
        and credential.expires_on <= credential.issued_on
    ):
        raise TransitionRefused(
            f"the expiry date ({credential.expires_on}) must come after the issue date "
            f"({credential.issued_on})"
        )
    if "issued_on" in fields and credential.issued_on > timezone.localdate():
        raise TransitionRefused(
            f"the issue date {credential.issued_on} is in the future: a credential is issued on "
            "the day it is certified"
        )
    if "expires_on" in fields and credential.status in ("expired", "lapsed"):
        article = "an" if credential.status == "expired" else "a"
        raise TransitionRefused(
            f"{article} {credential.status} credential gets a new expiry date by reinstatement"
        )
    if (
        "expires_on" in fields
        and credential.status == "candidate"
        and credential.expires_on < timezone.localdate()
    ):
        raise TransitionRefused(
            f"the expiry date {credential.expires_on} has passed: certified with it, the "
            "credential would expire at once"
        )
    if (
        "expires_on" in fields
        and credential.status in ("active", "inactive", "suspended")
        and credential.expires_on < timezone.localdate()
    ):
        raise TransitionRefused(
            f"the expiry date {credential.expires_on} has passed: the daily task would expire the "
            "credential backdated; record an expiry as a status change instead"
        )
    credential.save(update_fields=fields)
    _status_event(
        credential=credential,
        from_status=credential.status,
        to_status=credential.status,
        effective_date=timezone.localdate(),
        reason=f"Corrected: {'; '.join(changes)}. {reason.strip()}",
        actor=_actor(acting_user),
    )
    return credential


_HOLDER_KINDS = {
    MembershipType.Kind.INDIVIDUAL: "person",
    MembershipType.Kind.BOARD: "person",
    MembershipType.Kind.ORGANIZATION: "agency",
}
_ENDED_MEMBERSHIP = ("expelled", "resigned", "lapsed")


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
    ).exclude(status__in=_ENDED_MEMBERSHIP)
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
    _status_event(
        membership=membership,
        from_status="",
        to_status="applicant",
        effective_date=timezone.localdate(),
        reason="Application received",
        actor=_actor(acting_user),
    )
    return membership


@transaction.atomic
def affiliation_save(
    *,
    agency: Agency,
    person: Person,
    role: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    affiliation: Affiliation | None = None,
) -> Affiliation:
    """Add a person's affiliation with an agency (employee, agent, principal), or change one (give
    ``affiliation``); ending it is setting its end date. Periods in the same role may not overlap."""
    if agency.organization_id != person.organization_id:
        raise TransitionRefused("the person and the agency belong to different bodies")
    if role not in Affiliation.Role.values:
        raise TransitionRefused(
            f"role must be one of {', '.join(Affiliation.Role.values)}, not {role!r}"
        )
    if start_date and end_date and end_date < start_date:
        raise TransitionRefused("the affiliation must end after it starts")
    if end_date and end_date > timezone.localdate() + dt.timedelta(days=366):
        raise TransitionRefused("an end date more than a year ahead is a guess: leave it open")
    same = Affiliation.objects.select_for_update().filter(agency=agency, person=person, role=role)
    if affiliation is not None:
        same = same.exclude(pk=affiliation.pk)
    far_past, far_future = dt.date.min, dt.date.max
    for other in same:
        if (start_date or far_past) <= (other.end_date or far_future) and (
            other.start_date or far_past
        ) <= (end_date or far_future):
            period = f"{other.start_date or 'no start date'} to {other.end_date or 'now'}"
            raise TransitionRefused(
                f"{person} is already {other.get_role_display().lower()} of {agency} ({period})"
            )
    if affiliation is None:
        affiliation = Affiliation(agency=agency, person=person)
    elif affiliation.agency_id != agency.pk or affiliation.person_id != person.pk:
        raise TransitionRefused("an affiliation's person and agency do not change; end it instead")
    affiliation.role, affiliation.start_date, affiliation.end_date = role, start_date, end_date
    affiliation.save()
    return affiliation


@transaction.atomic
def sanction_record(
    *,
    organization: Organization,
    credential: Credential | None = None,
    membership: Membership | None = None,
    kind: str,
    decided_on: dt.date,
    summary: str,
    publication: str,
    public_until: dt.date | None = None,
    effective_from: dt.date | None = None,
    effective_until: dt.date | None = None,
    decision_url: str = "",
    provisions: list | None = None,
    source: str = "historical",
    acting_user: Any = None,
) -> Sanction:
    """Record a sanction (decided outside Ombuds, for now) with the provisions it cites.

    Cited provisions must belong to a published version of this body's code. The sanction does not
    change the register by itself: a suspension or revocation is applied through the lifecycle.
    """
    if (credential is None) == (membership is None):
        raise TransitionRefused("a sanction concerns one credential or one membership")
    subject_org = (
        credential.program.organization_id if credential is not None else membership.organization_id
    )
    if subject_org != organization.pk:
        raise TransitionRefused("that credential or membership belongs to another body")
    problems = []
    if kind not in Sanction.Kind.values:
        problems.append(f"kind must be one of {', '.join(Sanction.Kind.values)}, not {kind!r}")
    if publication not in Sanction.Publication.values:
        problems.append(
            f"publication must be one of {', '.join(Sanction.Publication.values)}, "
            f"not {publication!r}"
        )
    if not summary.strip():
        problems.append("a sanction needs a summary")
    if decision_url:
        from django.core.exceptions import ValidationError
        from django.core.validators import URLValidator

        try:
            URLValidator(schemes=["https", "http"])(decision_url)
        except ValidationError:
            problems.append(f"the decision link {decision_url!r} is not a web address")
    if problems:
        raise TransitionRefused("; ".join(problems))
    if publication == Sanction.Publication.PUBLIC_UNTIL and public_until is None:
        raise TransitionRefused("'public until a date' needs the date")
    if effective_from and effective_until and effective_until < effective_from:
        raise TransitionRefused("the sanction must end after it starts")
    provisions = list(provisions or [])
    for provision in provisions:
        version = provision.version
        if version.code.organization_id != organization.pk or not version.is_published:
            raise TransitionRefused(
                f"provision {provision.citation} is not in a published version of this body's code"
            )
    sanction = Sanction.objects.create(
        organization=organization,
        credential=credential,
        membership=membership,
        kind=kind,
        decided_on=decided_on,
        summary=summary.strip(),
        publication=publication,
        public_until=public_until if publication == Sanction.Publication.PUBLIC_UNTIL else None,
        effective_from=effective_from,
        effective_until=effective_until,
        decision_url=decision_url,
        source=source,
        recorded_by=_actor(acting_user),
    )
    sanction.provisions.set(provisions)
    subject = credential if credential is not None else membership
    audit.record(
        action="register.sanction_recorded",
        subject_type="credential" if credential is not None else "membership",
        subject_id=subject.pk,
        data={
            "sanction": sanction.pk,
            "number": subject.number,
            "kind": kind,
            "decided_on": decided_on,
            "publication": publication,
            "public_until": sanction.public_until,
            "provisions": [p.citation for p in provisions],
            "source": source,
        },
        organization=organization,
        actor=_actor(acting_user),
    )
    return sanction


def discard_stale_uploads(*, older_than: dt.timedelta = dt.timedelta(hours=24)) -> int:
    """Delete checked CSV files that nobody went on to import (they hold people's contact details)."""
    import time
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.MEDIA_ROOT) / "imports"
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in folder.glob("*/*.csv"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
