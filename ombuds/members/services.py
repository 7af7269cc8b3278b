"""Conflicts of interest that a body's people and members disclose (CESP 3.8), and the recusals
they bring to the body's people.

Saving a current disclosure recuses its author at once from the body's open cases whose respondent
is the party it names (the same register record, or a name alike once normalised); a case filed
later is matched when it is filed (`disclosed_conflicts`, which cases asks through
`ombuds.cases.hooks`). Cases writes every recusal (`ombuds.cases.services.cases_recuse`).
Ending a disclosure recuses from nothing new and lifts no recusal already recorded. Every change
writes its audit event in the same transaction; refusals raise `DisclosureRefused` listing every
problem and change nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases import services as case_services
from ombuds.cases.models import Case
from ombuds.members.models import Disclosure
from ombuds.register.models import Agency, Person
from ombuds.register.names import THRESHOLD, normalise_name, similarity


class DisclosureRefused(Exception):
    """A disclosure that cannot be saved or ended; ``problems`` lists every reason."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def has_body_role(user: Any, organization: Organization) -> bool:
    """Whether the user is one of the body's people (any role; a superuser acts as administrator)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return BodyRole.objects.filter(user=user, organization=organization).exists()


def is_member(user: Any, organization: Organization) -> bool:
    """Whether the user's account is linked to a record in the body's register."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return Person.objects.filter(organization=organization, user=user).exists()


def may_disclose(user: Any, organization: Organization) -> bool:
    """Whether the user makes disclosures to the body: one of its people (any role), or a member
    (a record in its register linked to their account)."""
    return has_body_role(user, organization) or is_member(user, organization)


def recusal_reason(disclosure: Disclosure) -> str:
    return (
        f"Declared a conflict of interest: {disclosure.get_relationship_display().lower()} — "
        f"{disclosure.party_name}"
    )


# --- the register -------------------------------------------------------------------------------


def register_match(organization: Organization, party_name: str) -> Person | Agency | None:
    """The one person or agency of the body's register whose name (an agency's legal or trade name,
    a person's full name) equals ``party_name`` once normalised; None when none or several do."""
    wanted = normalise_name(party_name)
    if not wanted:
        return None
    agencies = [
        pk
        for pk, legal_name, trade_names in Agency.objects.filter(
            organization=organization
        ).values_list("pk", "legal_name", "trade_names")
        if any(
            normalise_name(name) == wanted
            for name in [legal_name, *(n for n in (trade_names or []) if isinstance(n, str))]
        )
    ]
    people = [
        pk
        for pk, given, family in Person.objects.filter(organization=organization).values_list(
            "pk", "given_name", "family_name"
        )
        if normalise_name(f"{given} {family}") == wanted
    ]
    if len(agencies) + len(people) != 1:
        return None
    return Agency.objects.get(pk=agencies[0]) if agencies else Person.objects.get(pk=people[0])


# --- matching cases -----------------------------------------------------------------------------


def _match(disclosure: Disclosure, case: Case) -> str:
    """Why the disclosure names the case's respondent, or "" when it does not."""
    if disclosure.party_person_id and disclosure.party_person_id == case.respondent_person_id:
        return "names the respondent's record in the register"
    if disclosure.party_agency_id and disclosure.party_agency_id == case.respondent_agency_id:
        return "names the respondent's record in the register"
    score = similarity(normalise_name(disclosure.party_name), normalise_name(case.respondent_name))
    if score >= THRESHOLD:
        return f"names “{disclosure.party_name}”, like the respondent “{case.respondent_name}”"
    return ""


def _current_disclosures(organization_id: int):
    """Current disclosures of the body's people (their role on the body, or superusers)."""
    return (
        Disclosure.objects.filter(organization_id=organization_id, current=True)
        .filter(Q(user__body_roles__organization_id=organization_id) | Q(user__is_superuser=True))
        .distinct()
        .select_related("user")
        .order_by("pk")
    )


def matching_disclosures(case: Case) -> list[tuple[Disclosure, str]]:
    """The current disclosures of the body's people that name the case's respondent, each with
    why it matches."""
    matches = []
    for disclosure in _current_disclosures(case.organization_id):
        reason = _match(disclosure, case)
        if reason:
            matches.append((disclosure, reason))
    return matches


def disclosed_conflicts(case: Case) -> list[tuple[Any, str]]:
    """The body's people whose current disclosure names the case's respondent, each once, with the
    reason to record: what cases asks of members when a case is filed (the provider of
    `ombuds.cases.hooks.new_case_recusals`, registered in `ombuds.members.apps`). Cases writes the
    recusals, inside the filing's transaction."""
    found: list[tuple[Any, str]] = []
    for disclosure, _why in matching_disclosures(case):
        if all(user != disclosure.user for user, _reason in found):
            found.append((disclosure.user, recusal_reason(disclosure)))
    return found


def _recuse_from_open_cases(disclosure: Disclosure, *, user: Any) -> list[str]:
    """Recuse the disclosure's author from the body's open cases about its party, through cases'
    own service (each case locked, its version bumped, its ``case.recusal`` event written); the
    references of the cases newly recused from."""
    cases = Case.objects.filter(
        organization_id=disclosure.organization_id, closed_at__isnull=True
    ).order_by("pk")
    matching = []
    for case in cases:
        why = _match(disclosure, case)
        if why:
            details = {"disclosure": disclosure.pk, "match": why}
            matching.append((case, recusal_reason(disclosure), details))
    return case_services.cases_recuse(user=user, recusals=matching, acting_user=user)


# --- saving and ending --------------------------------------------------------------------------


def _problems(
    *,
    user: Any,
    organization: Organization,
    disclosure: Disclosure | None,
    relationship: str,
    party_name: str,
    nature: str,
    started_on: dt.date | None,
) -> list[str]:
    problems = []
    if not may_disclose(user, organization):
        problems.append(f"You have no role on {organization.short_name}.")
    if disclosure is not None:
        if disclosure.user_id != getattr(user, "pk", None):
            problems.append("You can only change your own disclosures.")
        elif disclosure.organization_id != organization.pk:
            problems.append(f"This disclosure is not one made to {organization.short_name}.")
        elif not disclosure.current:
            problems.append("This disclosure has ended; make a new one instead.")
    if relationship not in Disclosure.Relationship.values:
        problems.append("Choose the kind of relationship.")
    if not party_name.strip():
        problems.append("Name the person or organisation you have a conflict of interest with.")
    elif len(party_name.strip()) > 300:
        problems.append("Write the name in 300 characters or fewer.")
    if not nature.strip():
        problems.append("Say what the relationship is.")
    if started_on is not None and started_on > timezone.localdate():
        problems.append("The date it started cannot be in the future.")
    return problems


def disclosure_save(
    *,
    user: Any,
    organization: Organization,
    relationship: str,
    party_name: str,
    nature: str,
    started_on: dt.date | None = None,
    disclosure: Disclosure | None = None,
) -> Disclosure:
    """Make a disclosure, or change one of the user's own current disclosures, as one of the body's
    people or one of its members (`may_disclose`). The party is linked to the register when exactly
    one record there has its name; one of the body's people is then recused from its open cases
    about that party. Raises DisclosureRefused listing every problem."""
    relationship = (relationship or "").strip()
    party_name = (party_name or "").strip()
    nature = (nature or "").strip()
    problems = _problems(
        user=user,
        organization=organization,
        disclosure=disclosure,
        relationship=relationship,
        party_name=party_name,
        nature=nature,
        started_on=started_on,
    )
    if problems:
        raise DisclosureRefused(problems)
    record = register_match(organization, party_name)
    with transaction.atomic():
        created = disclosure is None
        if created:
            disclosure = Disclosure(user=user, organization=organization)
        else:
            disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
            if not disclosure.current:
                raise DisclosureRefused("This disclosure has ended; make a new one instead.")
        disclosure.relationship = relationship
        disclosure.party_name = party_name
        disclosure.nature = nature
        disclosure.started_on = started_on
        disclosure.party_person = record if isinstance(record, Person) else None
        disclosure.party_agency = record if isinstance(record, Agency) else None
        # A reviewed disclosure that changes is looked at again; its review stands meanwhile.
        disclosure.changed_since_review = disclosure.review != Disclosure.Review.PENDING
        disclosure.save()
        # Only the body's people act on cases, so only they are recused. A member without a role
        # is not: they would learn from it of cases about the party they named.
        recused = (
            _recuse_from_open_cases(disclosure, user=user)
            if has_body_role(user, organization)
            else []
        )
        audit.record(
            action="disclosure.saved",
            subject_type="disclosure",
            subject_id=disclosure.pk,
            data={
                "user": user.get_username(),
                "created": created,
                "relationship": relationship,
                "party_name": party_name,
                "party_record": _record_label(disclosure),
                "started_on": started_on.isoformat() if started_on else None,
                "recused_from": recused,
            },
            organization=organization,
            actor=user,
        )
    disclosure.recused_from = recused
    return disclosure


def disclosure_end(
    *, user: Any, disclosure: Disclosure, ended_on: dt.date | None = None
) -> Disclosure:
    """End one of the user's own current disclosures (on ``ended_on``, today unless told). It then
    recuses from nothing new; recusals already recorded stay."""
    ended_on = ended_on or timezone.localdate()
    problems = []
    if disclosure.user_id != getattr(user, "pk", None):
        problems.append("You can only end your own disclosures.")
    elif not disclosure.current:
        problems.append("This disclosure has already ended.")
    if ended_on > timezone.localdate():
        problems.append("The date it ended cannot be in the future.")
    if disclosure.started_on and ended_on < disclosure.started_on:
        problems.append("The date it ended cannot be before the date it started.")
    if problems:
        raise DisclosureRefused(problems)
    with transaction.atomic():
        locked = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        if not locked.current:
            raise DisclosureRefused("This disclosure has already ended.")
        locked.current = False
        locked.ended_on = ended_on
        locked.changed_since_review = locked.review != Disclosure.Review.PENDING
        locked.save(update_fields=["current", "ended_on", "changed_since_review", "updated_at"])
        audit.record(
            action="disclosure.ended",
            subject_type="disclosure",
            subject_id=locked.pk,
            data={
                "user": user.get_username(),
                "party_name": locked.party_name,
                "ended_on": ended_on.isoformat(),
            },
            organization=locked.organization,
            actor=user,
        )
    return locked


def _record_label(disclosure: Disclosure) -> str | None:
    if disclosure.party_person_id:
        return f"person:{disclosure.party_person_id}"
    if disclosure.party_agency_id:
        return f"agency:{disclosure.party_agency_id}"
    return None
