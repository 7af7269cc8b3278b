"""Who in a body's register a name written by someone else may be: a complaint's respondent given
without a number, or a search on a case page. Never a decision: exact matches are only as sure as a
name is, so callers link a record only when a person at the body confirms it (an agency's exact,
unique name aside, `ombuds.cases.services.register_bridge.respondent_lookup`).

Each lookup reads the records sharing a word (its first four letters) with the name in one bounded
query, then ranks them in Python with the names' own comparison (`names.NameIndex` for agencies'
legal and trade names, legal-form words ignored; given and family names for people). The number of
queries does not grow with the register, and only the records sharing a word are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q

from ombuds.bodies.models import Organization
from ombuds.register.models import Agency, Credential, Membership, Person
from ombuds.register.names import LEGAL_FORM_WORDS, NameIndex, similarity
from ombuds.register.public import number_variants

# The most records sharing a word that one lookup reads: a common word ("child", "support") could
# otherwise bring back much of a register; the ranking keeps the best of them.
CANDIDATES_READ = 200
# How close a person's family name must be to a word of the name written (difflib's ratio).
FAMILY_THRESHOLD = 0.8
GIVEN_THRESHOLD = 0.75


@dataclass(frozen=True)
class Match:
    """A register record a name may mean: its score (0 to 1; 1 is the same name, legal-form words
    and case aside) and the name of the record it matched."""

    record: Person | Agency
    matched: str
    score: float

    @property
    def exact(self) -> bool:
        return self.score >= 1.0


def _words(name: str) -> list[str]:
    return re.sub(r"[^\w ]+", " ", name.casefold()).split()


def _prefixes(words: list[str]) -> list[str]:
    """The words worth searching by (three letters or more), cut to four letters so that
    "Recovery" meets "Recoveries" and "Weiss" meets "Weis"."""
    return sorted({w[:4] for w in words if len(w) >= 3})


def agency_matches(organization: Organization, name: str, *, limit: int = 5) -> list[Match]:
    """The body's agencies whose legal or trade name is, or is close to, ``name``, best first (one
    query)."""
    # The database is asked by the name's words as stored (a skeleton's "rn" would not find an "m");
    # the ranking compares skeletons.
    prefixes = _prefixes([w for w in _words(name) if w not in LEGAL_FORM_WORDS])
    if not prefixes:
        return []
    q = Q()
    for prefix in prefixes:
        q |= Q(legal_name__icontains=prefix) | Q(trade_names__icontains=prefix)
    agencies = {
        a.pk: a
        for a in Agency.objects.filter(organization=organization)
        .filter(q)
        .order_by("pk")[:CANDIDATES_READ]
    }
    index = NameIndex(common_share=1.0)
    for agency in agencies.values():
        index.add(agency.pk, [agency.legal_name, *(agency.trade_names or [])])
    return [
        Match(agencies[pk], matched, round(score, 3))
        for pk, matched, score in index.matches([name])[:limit]
    ]


def person_matches(
    organization: Organization, name: str, *, place: str = "", limit: int = 5
) -> list[Match]:
    """The body's people whose family name is (or is close to) a word of ``name`` and whose given
    name starts like, or is close to, another of its words ("Bea Weiss" finds Beatrice Weiss), best
    first; a person whose city appears in ``place`` ranks higher. One query."""
    words = _words(name)
    prefixes = _prefixes(words)
    if len(words) < 2 or not prefixes:
        return []  # a family name alone names too many people to suggest any
    q = Q()
    for prefix in prefixes:
        q |= Q(family_name__istartswith=prefix) | Q(family_name__icontains=f" {prefix}")
    people = (
        Person.objects.filter(organization=organization)
        .filter(q)
        .order_by("pk")
        .only("pk", "given_name", "family_name", "city", "organization_id")[:CANDIDATES_READ]
    )
    place_words = set(_words(place))
    found = []
    for person in people:
        score = _person_score(person, words, place_words)
        if score:
            found.append(Match(person, person.full_name, score))
    found.sort(key=lambda m: (-m.score, m.record.family_name, m.record.given_name, m.record.pk))
    return found[:limit]


def _person_score(person: Person, words: list[str], place_words: set[str]) -> float:
    """0 when the name written does not name this person closely enough; else how closely (1: the
    same given and family names)."""
    family = " ".join(_words(person.family_name))
    given = _words(person.given_name)
    if not family or not given:
        return 0.0
    family_len = len(family.split())
    best_family, rest = 0.0, words
    for i in range(len(words) - family_len + 1):
        score = similarity(" ".join(words[i : i + family_len]), family)
        if score > best_family:
            best_family, rest = score, words[:i] + words[i + family_len :]
    if best_family < FAMILY_THRESHOLD or not rest:
        return 0.0
    best_given = max(
        1.0
        if w == g
        else 0.9
        if len(w) >= 2 and (g.startswith(w) or w.startswith(g))
        else similarity(w, g)
        for w in rest
        for g in given
    )
    if best_given < GIVEN_THRESHOLD:
        return 0.0
    score = (2 * best_family + best_given) / 3
    city = _words(person.city)
    if city and set(city) <= place_words:
        score = min(1.0, score + 0.05)
    return round(score, 3)


# --- the staff's search, to link a case's respondent ----------------------------------------------

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Candidate:
    """A person or an agency of the register, as staff choose a respondent among them: what they
    hold of the body (credentials and memberships, in words) and where they are."""

    record: Person | Agency
    holds: list[str]
    city: str
    also_known_as: list[str]

    @property
    def kind(self) -> str:
        return "person" if isinstance(self.record, Person) else "agency"


def _held(person_ids: list[int], agency_ids: list[int]) -> dict[tuple[str, int], list[str]]:
    """What each person and agency holds of the body, in words: two queries."""
    held: dict[tuple[str, int], list[str]] = {}
    credentials = Credential.objects.filter(holder_id__in=person_ids).select_related("program")
    for c in credentials.order_by("number"):
        label = c.program.abbreviation or c.program.name
        held.setdefault(("person", c.holder_id), []).append(
            f"{label} {c.number} ({c.get_status_display().lower()})"
        )
    memberships = Membership.objects.filter(
        Q(person_id__in=person_ids) | Q(agency_id__in=agency_ids)
    ).select_related("membership_type")
    for m in memberships.order_by("number"):
        key = ("person", m.person_id) if m.person_id else ("agency", m.agency_id)
        held.setdefault(key, []).append(
            f"{m.membership_type.name} {m.number} ({m.get_status_display().lower()})"
        )
    return held


def candidates_search(organization: Organization, query: str) -> list[Candidate]:
    """People and agencies of the body's register for a name (every word starting a given or
    family name; a word of an agency's legal or trade names) or a whole credential or membership
    number, with what they hold: at most SEARCH_LIMIT of each kind, a fixed number of queries."""
    query = " ".join(query.split())[:100]
    if not query:
        return []
    numbers = number_variants(query)
    by_number = Q(credentials__number__in=numbers, credentials__program__organization=organization)
    by_number |= Q(memberships__number__in=numbers, memberships__organization=organization)
    words = [w for w in re.split(r"[\s,;]+", query) if len(w) >= 2]
    people_q = Q(by_number)
    if words:
        name_q = Q()
        for word in words:
            name_q &= (
                Q(given_name__istartswith=word)
                | Q(family_name__istartswith=word)
                | Q(family_name__icontains=f" {word}")
                | Q(family_name__icontains=f"-{word}")
            )
        people_q |= name_q
    people = list(
        Person.objects.filter(organization=organization)
        .filter(people_q)
        .distinct()
        .order_by("family_name", "given_name", "pk")[:SEARCH_LIMIT]
    )
    agency_q = Q(memberships__number__in=numbers, memberships__organization=organization)
    if len(query) >= 3:
        agency_q |= Q(legal_name__icontains=query) | Q(trade_names__icontains=query)
    agencies = list(
        Agency.objects.filter(organization=organization)
        .filter(agency_q)
        .distinct()
        .order_by("legal_name", "pk")[:SEARCH_LIMIT]
    )
    held = _held([p.pk for p in people], [a.pk for a in agencies])
    return [Candidate(p, held.get(("person", p.pk), []), p.city, []) for p in people] + [
        Candidate(a, held.get(("agency", a.pk), []), a.city, list(a.trade_names or []))
        for a in agencies
    ]


def candidates_of(records: list[Person | Agency]) -> list[Candidate]:
    """These records as candidates (what they hold, where they are): two queries."""
    people = [r for r in records if isinstance(r, Person)]
    agencies = [r for r in records if isinstance(r, Agency)]
    held = _held([p.pk for p in people], [a.pk for a in agencies])
    return [
        Candidate(
            r,
            held.get(("person" if isinstance(r, Person) else "agency", r.pk), []),
            r.city,
            list(getattr(r, "trade_names", None) or []),
        )
        for r in records
    ]
