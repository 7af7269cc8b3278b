"""What the public register shows of sanctions: which ones (the publication policy,
`public_sanctions_q`), each as the public reads it, and the standing line a record's public
sanctions give it: a probation or conditions in force is said beside the status ("Active, on
probation"), never "in good standing", and a sanction dated later is announced ("Suspension from
22 January 2027") until the daily work applies it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from ombuds.codes.citing import cite
from ombuds.codes.models import Provision
from ombuds.register.models import Sanction
from ombuds.register.services.sanction_effects import CONDITION_SANCTIONS


def public_sanctions_q(today: dt.date) -> Q:
    """Sanctions the public may see today: public, or public until a date not yet passed; never
    one lifted (an appeal allowed sets the decision aside)."""
    return (
        Q(publication=Sanction.Publication.PUBLIC)
        | Q(publication=Sanction.Publication.PUBLIC_UNTIL, public_until__gte=today)
    ) & ~Q(state=Sanction.State.LIFTED)


@dataclass(frozen=True)
class PublicProvision:
    """A provision a sanction cites, with what its permalink needs (the version it was cited in)."""

    label: str  # "GOE 1.1(a)"
    citation: str
    body_slug: str
    version_label: str
    anchor: str


@dataclass(frozen=True)
class PublicSanction:
    decided_on: dt.date
    kind: str
    kind_display: str
    summary: str
    decision_url: str
    effective_from: dt.date | None
    effective_until: dt.date | None
    citations: list[str]
    provisions: list[PublicProvision] = field(default_factory=list)
    scheduled: bool = False  # decided, taking effect on effective_from
    conditions: str = ""


def is_public(s: Sanction, today: dt.date) -> bool:
    """`public_sanctions_q`, for a sanction already loaded."""
    if s.state == Sanction.State.LIFTED:
        return False
    if s.publication == Sanction.Publication.PUBLIC_UNTIL:
        return s.public_until is not None and s.public_until >= today
    return s.publication == Sanction.Publication.PUBLIC


def public_only(loaded: list[Sanction], today: dt.date) -> list[Sanction]:
    """Of the sanctions `public_sanctions` read, those the public may see."""
    return [s for s in loaded if is_public(s, today)]


def public_sanctions(today: dt.date) -> QuerySet[Sanction]:
    """Sanctions a record shows (filter it by the record): those the public may see, and the
    private conditions in force (which the standing needs to keep the record's conditions
    private), newest first, with the provisions they cite. Read them through `public_only`."""
    return (
        Sanction.objects.filter(
            public_sanctions_q(today)
            | Q(kind__in=CONDITION_SANCTIONS, state=Sanction.State.IN_EFFECT)
        )
        .prefetch_related(
            Prefetch(
                "provisions",
                queryset=Provision.objects.select_related("version__code__organization"),
            )
        )
        .order_by("-decided_on", "pk")
    )


def public_sanction(s: Sanction) -> PublicSanction:
    provisions = sorted(
        (
            PublicProvision(
                label=cite(p.version.code, p.citation),
                citation=p.citation,
                body_slug=p.version.code.organization.slug,
                version_label=p.version.label,
                anchor=p.anchor,
            )
            for p in s.provisions.all()
        ),
        key=lambda p: p.label,
    )
    return PublicSanction(
        decided_on=s.decided_on,
        kind=s.kind,
        kind_display=s.get_kind_display(),
        summary=s.summary,
        decision_url=s.decision_url,
        effective_from=s.effective_from,
        effective_until=s.effective_until,
        citations=[p.label for p in provisions],
        provisions=provisions,
        scheduled=s.state == Sanction.State.SCHEDULED,
        conditions=s.conditions,
    )


@dataclass(frozen=True)
class Standing:
    """The public status line's additions: the probation or conditions in force (public), the
    conditions the public may read, and the sanctions announced for a later date."""

    probation: str  # "probation", "conditions" or ""
    conditions: str
    upcoming: list[str]  # "Suspension from 22 January 2027"

    @property
    def tone(self) -> str:
        return "neutral" if self.probation else ""

    @property
    def headline(self) -> str:
        """What follows the status: ", on probation", ", subject to conditions" or ""."""
        words = {"probation": ", on probation", "conditions": ", subject to conditions"}
        return words.get(self.probation, "")

    def meaning_or(self, default: str, what: str) -> str:
        if self.probation == "probation":
            return f"On probation: the {what} is held under the conditions shown."
        if self.probation == "conditions":
            return f"The {what} is held under the conditions shown."
        return default


def _in_force(s: Sanction, today: dt.date) -> bool:
    return (
        s.state == Sanction.State.IN_EFFECT
        and (s.effective_from is None or s.effective_from <= today)
        and (s.effective_until is None or s.effective_until >= today)
    )


def standing_of(record_conditions: str, loaded: list[Sanction], today: dt.date) -> Standing:
    """The standing the record's public sanctions give it (``loaded`` as `public_sanctions` read
    them). The record's conditions are shown unless a sanction the public may not see put them
    there: a private probation stays private."""
    public = public_only(loaded, today)
    conditional = [s for s in public if s.kind in CONDITION_SANCTIONS and _in_force(s, today)]
    hidden = {
        s.conditions.strip()
        for s in loaded
        if s.kind in CONDITION_SANCTIONS
        and s.state == Sanction.State.IN_EFFECT
        and not is_public(s, today)
    }
    conditions = record_conditions.strip()
    if conditions in hidden:
        conditions = ""
    upcoming = [
        f"{s.get_kind_display()} from {s.effective_from.day} {s.effective_from:%B %Y}"
        for s in sorted(public, key=lambda s: s.effective_from or today)
        if s.state == Sanction.State.SCHEDULED and s.effective_from
    ]
    return Standing(
        probation=conditional[0].kind if conditional else "",
        conditions=conditions or (conditional[0].conditions if conditional else ""),
        upcoming=upcoming,
    )
