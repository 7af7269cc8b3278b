"""The bridge between a case and the register: who the complaint names (`respondent_lookup`), what a
sanction chosen in a case may do to the respondent's record, imposing it there (the register's
sanction, the record's status and conditions, in the step's own transaction), and linking the
register's sanction to the case's public decision page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.cases.facts import respondent_records
from ombuds.cases.models import Case, SanctionChoice
from ombuds.cases.notices import base_url
from ombuds.cases.rules import CaseRefused
from ombuds.register import services as register
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.matching import Match, agency_matches, person_matches
from ombuds.register.models import Agency, Credential, Membership, Person, Sanction
from ombuds.register.public import number_variants

# What each sanction does to the register's record: the register's own table.
SANCTION_STATUS = register.SANCTION_STATUS
STATUS_SANCTIONS = register.STATUS_SANCTIONS
CONDITION_SANCTIONS = register.CONDITION_SANCTIONS
SUGGESTIONS = 5


def respondent_lookup(
    organization: Organization, data: Mapping[str, Any]
) -> tuple[Person | None, Agency | None, str]:
    """The register entry a complaint names, by credential or membership number, or by an
    agency's exact name (legal or trade): (person, agency, the problem in words, if any). The
    public form, staff intake and the API all read the respondent through this."""
    number = (data.get("respondent_number") or "").strip()
    if number:
        variants = number_variants(number)
        credential = (
            Credential.objects.filter(program__organization=organization, number__in=variants)
            .select_related("holder")
            .first()
        )
        if credential:
            return credential.holder, None, ""
        membership = (
            Membership.objects.filter(organization=organization, number__in=variants)
            .select_related("person", "agency")
            .first()
        )
        if membership:
            return membership.person, membership.agency, ""
        return (
            None,
            None,
            (
                f"No credential or membership numbered {number} is on {organization.short_name}'s "
                "register. Check it, or leave it empty."
            ),
        )
    if data.get("respondent_kind") == "agency":
        # Through the register's word lookup (one query, the agencies sharing a word), never by
        # reading every agency; a near match is a suggestion for staff (`respondent_suggest`).
        exact = [
            m for m in agency_matches(organization, data.get("respondent_name", "")) if m.exact
        ]
        if len(exact) == 1:
            return None, exact[0].record, ""
    return None, None, ""


def respondent_suggest(case: Case, *, place: str = "") -> list[Match]:
    """The register entries a case's respondent, named without a number, may be: people by their
    given and family names (ranked higher when their city is in ``place``), agencies by their legal
    and trade names. Shown to the body's people to link or not; never linked by themselves (a name
    is not an identity), never shown to the parties."""
    if case.respondent_person_id or case.respondent_agency_id:
        return []
    name = case.respondent_name
    found = person_matches(case.organization, name, place=place) + agency_matches(
        case.organization, name
    )
    return sorted(found, key=lambda m: -m.score)[:SUGGESTIONS]


def register_record(case: Case) -> Credential | Membership | None:
    """The register record a sanction in this case applies to: the respondent's credential with
    the body, else their membership; None when they hold neither."""
    credentials, memberships = respondent_records(case)
    return (credentials or memberships or [None])[0]


def register_problem(kind: str, record: Credential | Membership | None) -> str:
    """Why a sanction of this kind cannot be applied to the record ("" when it can, or when the
    sanction changes nothing in the register)."""
    if kind not in STATUS_SANCTIONS + CONDITION_SANCTIONS:
        return ""
    if record is None:
        return (
            "the respondent holds no credential or membership of this body for that sanction "
            "to change"
        )
    record_kind = "credential" if isinstance(record, Credential) else "membership"
    allowed = SANCTION_STATUS[record_kind]
    if kind in STATUS_SANCTIONS and kind not in allowed:
        other = next(k for k in allowed if k != "suspension")
        return f"a {record_kind} is not subject to {kind}: choose {other}"
    return ""


def refuse_unrecorded_sanction(case: Case) -> None:
    """A register effect that does not apply (the respondent is no longer a member) must not
    silently drop a sanction that would have changed the register."""
    choice = SanctionChoice.objects.filter(case=case, sanction__isnull=True).first()
    if choice is not None and choice.kind in STATUS_SANCTIONS + CONDITION_SANCTIONS:
        raise CaseRefused(
            "the respondent no longer holds a credential or membership of this body, so the "
            f"chosen sanction ({choice.kind}) cannot be applied: choose another"
        )


def impose_on_register(case: Case, *, acting_user: Any) -> Sanction | None:
    """Write the chosen sanction to the register (citing the provisions, source "case") in the
    step's own transaction: it changes the record's status or conditions at once when its date has
    come, or waits, scheduled, for the daily work to apply it on its date (the record keeps its
    status until then). A sanction that waited for the appeal window takes effect on the day it is
    imposed when its chosen date has passed. All of it, or CaseRefused and none of it. Imposing
    again what is on the register already changes nothing."""
    choice = (
        SanctionChoice.objects.select_for_update(of=("self",))
        .select_related("sanction")
        .get(case=case)
    )
    if choice.sanction is not None and choice.sanction.state != Sanction.State.LIFTED:
        return choice.sanction
    record = register_record(case)
    if record is None:
        return None  # nothing in the register to change (the respondent is not a member)
    problem = register_problem(choice.kind, record)
    if problem:
        raise CaseRefused(problem)
    try:
        sanction = _register_sanction(case, choice, record, acting_user=acting_user)
    except TransitionRefused as exc:
        raise CaseRefused(f"the register refused the sanction: {exc}") from exc
    choice.sanction = sanction
    choice.save(update_fields=["sanction", "updated_at"])
    return sanction


def _register_sanction(
    case: Case, choice: SanctionChoice, record: Credential | Membership, *, acting_user: Any
) -> Sanction:
    """The register's sanction, citing the chosen provisions (or those of upheld allegations)."""
    provisions = list(choice.provisions.all()) or [
        p for a in case.allegations.filter(determination="upheld") for p in a.provisions.all()
    ]
    today = timezone.localdate()
    return register.sanction_impose(
        organization=case.organization,
        record=record,
        decision=register.SanctionDecision(
            kind=choice.kind,
            decided_on=today,
            summary=choice.summary,
            effective_from=max(choice.effective_from, today),
            effective_until=choice.effective_until,
            decision_url=choice.decision_url,
            provisions=list(dict.fromkeys(provisions)),
            conditions=choice.conditions,
            amount=choice.amount,
            currency=choice.currency,
            due_on=choice.due_on,
        ),
        publication=register.SanctionPublication(choice.publication, choice.public_until),
        decision_ref=case.reference,
        acting_user=acting_user,
        today=today,
    )


def lift_on_register(case: Case, *, reason: str, acting_user: Any) -> Sanction | None:
    """Lift the register sanction this case imposed (an appeal allowed), in the step's own
    transaction: one in effect is undone (the record's previous status restored, its conditions
    removed), one scheduled is cancelled. None when the case imposed none: a sanction that waited
    for the appeal window never reached the register, and its choice is withdrawn so that the
    committee chooses anew rather than imposing the one set aside (its event stays on the record).
    A lift the register refuses is CaseRefused: the step does not happen."""
    choice = (
        SanctionChoice.objects.select_for_update(of=("self",))
        .filter(case=case)
        .select_related("sanction")
        .first()
    )
    if choice is not None and choice.sanction is None:
        choice.delete()
        return None
    if choice is None or choice.sanction.state == Sanction.State.LIFTED:
        return None
    try:
        register.sanction_lift(
            sanction=choice.sanction,
            reason=reason.strip() or f"Appeal allowed in case {case.reference}",
            acting_user=acting_user,
        )
    except TransitionRefused as exc:
        raise CaseRefused(f"the register refused to lift the sanction: {exc}") from exc
    choice.sanction.refresh_from_db()
    return choice.sanction


def publish_decision(case: Case) -> str:
    """Link the register's sanction to the case's public decision page, when the sanction is not
    private; the page shows it for as long as the publication policy does (public until a date)."""
    choice = (
        SanctionChoice.objects.filter(case=case, sanction__isnull=False)
        .select_related("sanction")
        .first()
    )
    if choice is None or choice.sanction.publication == Sanction.Publication.PRIVATE:
        return ""
    url = base_url() + reverse(
        "cases:decision", kwargs={"org": case.organization.slug, "reference": case.reference}
    )
    Sanction.objects.filter(pk=choice.sanction_id).update(decision_url=url)
    return url
