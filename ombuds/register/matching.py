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
from ombuds.register.models import Agency, Person
from ombuds.register.names import NameIndex, normalise_name, similarity

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
    prefixes = _prefixes(normalise_name(name).split())
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
