"""The body's side of its holders' conflict-of-interest disclosures (CESP 3.8): the staff list them,
filter and export them, and review each one: acknowledged, conditions set, or referred to a case.

Who: the body's administrators, staff and ethics chair (`REVIEWERS`; a superuser too). Which
disclosures: those made to the body by someone with a record in its register (its holders and
members); the body's own people's disclosures recuse them from cases and stay theirs alone.

`disclosure_review` is the one write: the disclosure locked, a stale review refused
(`ChangedMeanwhile` when the disclosure changed since the reviewer read it), the outcome saved and
its `disclosure.reviewed` event written in one transaction. A referral opens a case about the holder
through cases' own filing service (`case_file`, the one every complaint goes through), citing the
code's conflict-of-interest provision (`CONFLICT_CITATION`, or those the reviewer names), in that
same transaction. A refusal raises `ReviewRefused` listing every problem, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import user_roles
from ombuds.cases import services as case_services
from ombuds.cases.models import Case
from ombuds.codes.models import Provision
from ombuds.codes.selectors import current_version
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.members.models import Disclosure
from ombuds.register.csv.reading import escape_formula
from ombuds.register.models import Person

REVIEWERS = frozenset({"administrator", "ethics_chair", "staff"})
# ESPCC's CESP 3.8: "Make known any actual or potential conflict of interest…". A referral cites it
# when the reviewer names no other provision and the code in force has it.
CONFLICT_CITATION = "3.8"
OUTCOMES = (
    Disclosure.Review.ACKNOWLEDGED,
    Disclosure.Review.CONDITIONS,
    Disclosure.Review.REFERRED,
)
TEXT_MAX = 2000


class ReviewRefused(Exception):
    """A review that cannot be made; ``problems`` lists every reason."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def may_review(user: Any, organization: Organization) -> bool:
    """Whether the user reviews the body's disclosures: its administrators, staff and ethics chair,
    or a superuser."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or bool(user_roles(user, organization) & REVIEWERS)


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewFilters:
    """What the staff list is narrowed to; empty values narrow nothing."""

    holder: str = ""  # words of the holder's name, their e-mail address or their identifier
    relationship: str = ""  # a Disclosure.Relationship value
    review: str = ""  # a Disclosure.Review value, or "changed" (changed since it was reviewed)
    made_from: dt.date | None = None
    made_until: dt.date | None = None

    def problems(self) -> list[str]:
        found = []
        if self.relationship and self.relationship not in Disclosure.Relationship.values:
            found.append(f"relationship must be one of {', '.join(Disclosure.Relationship.values)}")
        if self.review and self.review not in [*Disclosure.Review.values, "changed"]:
            found.append(f"review must be one of {', '.join(Disclosure.Review.values)}, changed")
        if self.made_from and self.made_until and self.made_until < self.made_from:
            found.append("the end of the period is before its start")
        return found


def _holders(organization: Organization) -> QuerySet[Person]:
    return Person.objects.filter(organization=organization, user__isnull=False)


def _matching_holders(organization: Organization, query: str) -> QuerySet[Person]:
    by_name = Q()
    for word in query.split()[:5]:
        by_name &= Q(family_name__icontains=word) | Q(given_name__icontains=word)
    return _holders(organization).filter(by_name | Q(email__iexact=query) | Q(external_id=query))


def disclosures_for_review(
    organization: Organization, filters: ReviewFilters | None = None
) -> QuerySet[Disclosure]:
    """The disclosures made to the body by people with a record in its register, newest first,
    narrowed by the filters (which the caller has checked: `ReviewFilters.problems`). Each carries
    its holder's record: ``holder_pk``, ``holder_name`` and ``holder_external_id``."""
    filters = filters or ReviewFilters()
    holder = _holders(organization).filter(user_id=OuterRef("user_id"))
    found = Disclosure.objects.filter(
        organization=organization,
        user_id__in=_holders(organization).values("user_id"),
    ).annotate(
        holder_pk=Subquery(holder.values("pk")[:1]),
        holder_name=Subquery(
            holder.annotate(
                full=Concat("given_name", Value(" "), "family_name", output_field=CharField())
            ).values("full")[:1]
        ),
        holder_external_id=Subquery(holder.values("external_id")[:1]),
    )
    if filters.holder.strip():
        found = found.filter(
            user_id__in=_matching_holders(organization, filters.holder.strip()[:100]).values(
                "user_id"
            )
        )
    if filters.relationship:
        found = found.filter(relationship=filters.relationship)
    if filters.review == "changed":
        found = found.filter(changed_since_review=True)
    elif filters.review:
        found = found.filter(review=filters.review)
    if filters.made_from:
        found = found.filter(created_at__date__gte=filters.made_from)
    if filters.made_until:
        found = found.filter(created_at__date__lte=filters.made_until)
    return found.select_related("review_case", "reviewed_by").order_by("-created_at", "-pk")


def disclosure_for_review(organization: Organization, pk: int) -> Disclosure | None:
    """One of the body's holders' disclosures, or None (another body's, a body person's own)."""
    return disclosures_for_review(organization).filter(pk=pk).first()


def review_counts(organization: Organization) -> dict[str, int]:
    """How many of the body's holders' disclosures are in each review state, and changed since."""
    counts = dict.fromkeys([*Disclosure.Review.values, "changed"], 0)
    rows = Disclosure.objects.filter(
        organization=organization, user_id__in=_holders(organization).values("user_id")
    ).values_list("review", "changed_since_review")
    for review, changed in rows:
        counts[review] += 1
        counts["changed"] += int(changed)
    return counts


EXPORT_COLUMNS = (
    "id",
    "holder",
    "holder_external_id",
    "made_on",
    "relationship",
    "party_name",
    "party_in_register",
    "nature",
    "started_on",
    "current",
    "ended_on",
    "review",
    "reviewed_on",
    "reviewed_by",
    "review_note",
    "review_conditions",
    "case",
    "changed_since_review",
)


def export_rows(organization: Organization, filters: ReviewFilters | None = None):
    """The header, then one row per disclosure the filters keep (as `disclosures_for_review`), each
    value as text; a value a spreadsheet would read as a formula is escaped."""
    yield list(EXPORT_COLUMNS)

    def day(value: dt.date | dt.datetime | None) -> str:
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value).date()
        return value.isoformat() if value else ""

    for d in disclosures_for_review(organization, filters).iterator(chunk_size=500):
        row = [
            str(d.pk),
            d.holder_name or "",
            d.holder_external_id or "",
            day(d.created_at),
            d.relationship,
            d.party_name,
            "yes" if d.party_person_id or d.party_agency_id else "no",
            d.nature,
            day(d.started_on),
            "yes" if d.current else "no",
            day(d.ended_on),
            d.review,
            day(d.reviewed_at),
            d.reviewed_by.get_username() if d.reviewed_by else "",
            d.review_note,
            d.review_conditions,
            d.review_case.reference if d.review_case else "",
            "yes" if d.changed_since_review else "no",
        ]
        yield [escape_formula(value) for value in row]


# --- the review ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """What the reviewer decided: an outcome (`OUTCOMES`), what the holder is told (`note`), the
    conditions they must keep to (for "conditions"), and for a referral why, and the provisions the
    case cites (their citations; `CONFLICT_CITATION` when none)."""

    outcome: str
    note: str = ""
    conditions: str = ""
    reason: str = ""
    citations: Sequence[str] = ()


def _problems(review: Review) -> list[str]:
    problems = []
    if review.outcome not in OUTCOMES:
        problems.append(f"Choose the outcome: {', '.join(OUTCOMES)}.")
    if review.outcome == Disclosure.Review.CONDITIONS and not review.conditions.strip():
        problems.append("Say what the conditions are.")
    if review.outcome == Disclosure.Review.REFERRED and not review.reason.strip():
        problems.append("Say why the disclosure is referred: the case starts from it.")
    for name, value in (("note", review.note), ("conditions", review.conditions)):
        if len(value.strip()) > TEXT_MAX:
            problems.append(f"Write the {name} in {TEXT_MAX} characters or fewer.")
    return problems


def _provisions(organization: Organization, citations: Sequence[str]) -> tuple[list, list[str]]:
    """The provisions of the code in force a referral cites, and the problems finding them."""
    version = current_version(organization)
    wanted = [c.strip() for c in citations if c.strip()] or [CONFLICT_CITATION]
    if version is None:
        return [], [f"{organization.short_name} has no code in force for a case to cite."]
    found = {p.citation: p for p in Provision.objects.filter(version=version, citation__in=wanted)}
    missing = [c for c in wanted if c not in found]
    if missing:
        return [], [f"The code in force has no provision {', '.join(missing)} to cite."]
    return [found[c] for c in wanted], []


def _refer(
    organization: Organization, disclosure: Disclosure, holder: Person, review: Review, user: Any
) -> Case:
    """Open a case about the holder through cases' own filing service."""
    provisions, problems = _provisions(organization, review.citations)
    if problems:
        raise ReviewRefused(problems)
    since = f" since {disclosure.started_on:%d %B %Y}" if disclosure.started_on else ""
    what = (
        f"{review.reason.strip()}\n\nThe disclosure, made on {disclosure.created_at:%d %B %Y}: "
        f"{disclosure.get_relationship_display().lower()} relationship with "
        f"{disclosure.party_name}{since}. {disclosure.nature}"
    )
    try:
        filed = case_services.case_file(
            organization=organization,
            complaint=case_services.Complaint(
                what_happened=what,
                respondent_person=holder,
                complainant_name=f"{organization.name} (review of a disclosure)",
                complainant_relation=Case.Relation.OTHER,
                consent_to_share=True,
                provisions=provisions,
                channel=Case.Channel.STAFF,
            ),
            acting_user=user,
        )
    except case_services.CaseRefused as exc:
        raise ReviewRefused(exc.problems) from exc
    return filed.case


def disclosure_review(
    *,
    organization: Organization,
    disclosure: Disclosure,
    review: Review,
    acting_user: Any,
    expected_version: str | None = None,
) -> Disclosure:
    """Review one of the body's holders' disclosures, as one of its reviewers (`may_review`).

    ``expected_version`` is the disclosure's version the reviewer read (`version_of`): a disclosure
    changed since is refused with ChangedMeanwhile. A disclosure already referred is not referred
    again. Reviewing anew replaces the outcome shown to the holder (the earlier one stays on the
    audit chain). Raises ReviewRefused listing every problem; nothing is written then."""
    problems = _problems(review)
    if not may_review(acting_user, organization):
        problems.insert(0, f"You do not review disclosures made to {organization.short_name}.")
    if problems:
        raise ReviewRefused(problems)
    with transaction.atomic():
        locked = Disclosure.objects.select_for_update().filter(pk=disclosure.pk).first()
        if locked is None or locked.organization_id != organization.pk:
            raise ReviewRefused(f"No such disclosure made to {organization.short_name}.")
        if expected_version is not None and version_of(locked) != expected_version:
            raise ChangedMeanwhile(
                "The disclosure changed since you read it: read it again before reviewing it."
            )
        holder = _holders(organization).filter(user_id=locked.user_id).first()
        if holder is None:
            raise ReviewRefused("Only the disclosures of people in the register are reviewed.")
        case = locked.review_case
        if review.outcome == Disclosure.Review.REFERRED:
            if locked.review == Disclosure.Review.REFERRED and case is not None:
                raise ReviewRefused(
                    f"This disclosure is already referred to case {case.reference}."
                )
            case = _refer(organization, locked, holder, review, acting_user)
        previous = locked.review
        locked.review = review.outcome
        locked.review_note = review.note.strip()
        locked.review_conditions = (
            review.conditions.strip() if review.outcome == Disclosure.Review.CONDITIONS else ""
        )
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = acting_user
        locked.review_case = case
        locked.changed_since_review = False
        locked.save()
        audit.record(
            action="disclosure.reviewed",
            subject_type="disclosure",
            subject_id=locked.pk,
            data={
                "holder": holder.pk,
                "outcome": review.outcome,
                "previous": previous,
                "note": locked.review_note,
                "conditions": locked.review_conditions,
                **(
                    {"case": case.reference, "reason": review.reason.strip()}
                    if review.outcome == Disclosure.Review.REFERRED
                    else {}
                ),
            },
            organization=organization,
            actor=acting_user,
        )
    return locked
