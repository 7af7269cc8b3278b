"""Queries about codes, shared by the pages, the API and the CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.codes.diff import CodeDiff, diff_provisions
from ombuds.codes.models import CodeVersion, Provision


def published_versions(organization: Organization) -> QuerySet[CodeVersion]:
    return (
        CodeVersion.objects.filter(
            code__organization=organization, status=CodeVersion.Status.PUBLISHED
        )
        .select_related("code")
        .order_by("-published_at")
    )


def _in_force(versions: list[CodeVersion]) -> CodeVersion | None:
    """Of published versions newest first: the latest whose effective date has come (a version
    published ahead of its effective date is not in force yet); failing that, the latest."""
    today = timezone.localdate()
    for version in versions:
        if version.effective_date is None or version.effective_date <= today:
            return version
    return versions[0] if versions else None


def current_version(organization: Organization) -> CodeVersion | None:
    """The version of the body's code in force today."""
    return _in_force(list(published_versions(organization)))


def version_standing(version: CodeVersion, current: CodeVersion | None) -> str:
    """ "current", "upcoming" (published, effective later) or "earlier", for what a page says of it."""
    if current is not None and version.pk == current.pk:
        return "current"
    if version.effective_date and version.effective_date > timezone.localdate():
        return "upcoming"
    return "earlier"


def version_get(
    organization: Organization, label: str, *, published_only: bool = True
) -> CodeVersion | None:
    """The body's version with this label (the newest published, unless drafts are asked for)."""
    versions = CodeVersion.objects.filter(code__organization=organization, label=label)
    if published_only:
        versions = versions.filter(status=CodeVersion.Status.PUBLISHED)
    return versions.select_related("code").order_by("-published_at").first()


@dataclass
class Node:
    provision: Provision
    children: list[Node] = field(default_factory=list)


def provision_tree(version: CodeVersion) -> list[Node]:
    """The version's provisions as a tree, in one query."""
    nodes: dict[int, Node] = {}
    roots: list[Node] = []
    for provision in version.provisions.order_by("position"):
        node = nodes[provision.pk] = Node(provision)
        parent = nodes.get(provision.parent_id) if provision.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def provision_by_anchor(version: CodeVersion, anchor: str) -> Provision | None:
    """The version's provision with this anchor or citation, or None."""
    return version.provisions.filter(Q(anchor=anchor) | Q(citation=anchor)).first()


def provision_ancestors(provision: Provision) -> list[Provision]:
    """From the root down to the provision's parent: one query per level (codes are a few deep)."""
    chain: list[Provision] = []
    parent_id = provision.parent_id
    while parent_id:
        parent = Provision.objects.only(
            "pk", "parent_id", "citation", "heading", "anchor", "version_id"
        ).get(pk=parent_id)
        chain.append(parent)
        parent_id = parent.parent_id
    return list(reversed(chain))


def versions_diff(old: CodeVersion, new: CodeVersion) -> CodeDiff:
    return diff_provisions(old.provisions.order_by("position"), new.provisions.order_by("position"))


# --- search -------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[\w’']+", re.UNICODE)
_MAX_QUERY_TERMS = 12


def _terms(query: str) -> list[str]:
    terms = [t.lower().strip("'’") for t in _TOKEN.findall(query)]
    return [t for t in terms if t][:_MAX_QUERY_TERMS]


def _stem(word: str) -> str:
    """A light English plural folding: "accounts" -> "account", "agencies" -> "agency"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass
class Hit:
    provision: Provision
    score: float
    snippet: list[tuple[str, bool]]  # (text, is_match) runs, for highlighting without |safe


def _snippet(text: str, stems: set[str], width: int = 240) -> list[tuple[str, bool]]:
    words = text.split()
    first = next((i for i, w in enumerate(words) if _stem(_clean(w)) in stems), 0)
    start = max(0, first - 12)
    chosen = words[start:]
    runs: list[tuple[str, bool]] = []
    length = 0
    if start:
        runs.append(("… ", False))
    for word in chosen:
        if length > width:
            runs.append((" …", False))
            break
        match = _stem(_clean(word)) in stems
        runs.append((word + " ", match))
        length += len(word) + 1
    return runs


def _clean(word: str) -> str:
    word = word.lower().strip(".,;:()[]\"“”‘’'!?")
    for possessive in ("'s", "’s"):
        if word.endswith(possessive):
            return word[: -len(possessive)]
    return word


def provision_search(organization: Organization, query: str, *, limit: int = 50) -> list[Hit]:
    """Provisions of the body's codes in force that match every word of the query, best first.

    A word matches its plural ("account" finds "accounts"). Matches in the heading weigh more than in
    the text, and the whole phrase as written weighs most. Codes run to hundreds or a few thousand
    provisions, so ranking happens here rather than in a database-specific full-text index.
    """
    terms = _terms(query)
    if not terms:
        return []
    stems = {_stem(t) for t in terms}
    phrase = " ".join(terms)
    current = current_version(organization)
    version_ids = [current.pk] if current is not None else []
    hits: list[Hit] = []
    candidates = (
        Provision.objects.filter(version_id__in=version_ids)
        .select_related("version__code")
        .order_by("version_id", "position")
    )
    candidates = list(candidates)
    parents = {p.parent_id for p in candidates if p.parent_id}
    for provision in candidates:
        # A lead-in ("Members shall:") is searched on its own words: its clauses are found as themselves.
        body = provision.text if provision.pk in parents else provision.full_text or provision.text
        heading_words = {_stem(_clean(w)) for w in provision.heading.split()}
        body_words = [_stem(_clean(w)) for w in body.split()]
        body_set = set(body_words)
        if not stems <= (heading_words | body_set):
            continue
        score = 0.0
        for stem in stems:
            score += 3.0 * (stem in heading_words) + min(body_words.count(stem), 3)
        normalized = " ".join(_clean(w) for w in body.split())
        if len(terms) > 1 and (
            phrase in normalized or " ".join(_stem(t) for t in terms) in normalized
        ):
            score += 5.0
        if provision.text:
            score += 0.5  # a provision that says something beats a bare heading
        # Shorter provisions that match are more to the point.
        score += 1.0 / (1 + len(body_words) / 50)
        hits.append(Hit(provision, score, _snippet(body or provision.heading, stems)))
    hits.sort(key=lambda h: (-h.score, h.provision.version_id, h.provision.position))
    return hits[:limit]


def all_versions(organization: Organization) -> QuerySet[CodeVersion]:
    """Every version of the body's codes, newest first, with its number of provisions."""
    from django.db.models import Count

    return (
        CodeVersion.objects.filter(code__organization=organization)
        .select_related("code")
        .annotate(provision_count=Count("provisions"))
        .order_by("code__slug", "-published_at", "-created_at")
    )


def bodies_with_current_codes() -> list[tuple[Organization, CodeVersion | None]]:
    """Every body with the version of its code in force, in two queries."""
    bodies = list(Organization.objects.order_by("name"))
    published: dict[int, list[CodeVersion]] = {}
    for version in (
        CodeVersion.objects.filter(status=CodeVersion.Status.PUBLISHED)
        .select_related("code")
        .only("pk", "label", "title", "effective_date", "published_at", "code__organization_id")
        .order_by("-published_at")
    ):
        published.setdefault(version.code.organization_id, []).append(version)
    return [(body, _in_force(published.get(body.pk, []))) for body in bodies]
