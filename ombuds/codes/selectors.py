"""Queries about codes, shared by the pages, the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.codes import search
from ombuds.codes.diff import CodeDiff, diff_provisions
from ombuds.codes.models import CodeVersion, Provision
from ombuds.codes.search import Hit

__all__ = ["Hit"]

# Newest published first; two published at the same instant (a restore, an import of history)
# in the order they were made, so that every page, form and filing chooses the same one.
NEWEST_FIRST = ("-published_at", "-pk")


def published_versions(organization: Organization) -> QuerySet[CodeVersion]:
    return (
        CodeVersion.objects.filter(
            code__organization=organization, status=CodeVersion.Status.PUBLISHED
        )
        .select_related("code")
        .order_by(*NEWEST_FIRST)
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


def current_version_chosen(organization: Organization) -> CodeVersion | None:
    """The version in force today, as `current_version` chooses it, with only what chooses it read
    (each published version's id, code, effective date and publication time, not its preamble,
    parser warnings and the rest): for a caller that needs no more than which version it is (the
    complaint form, the provisions it offers and the version a case is filed under). Any other
    field of it is read when asked for, one query."""
    versions = (
        CodeVersion.objects.filter(
            code__organization=organization, status=CodeVersion.Status.PUBLISHED
        )
        .order_by(*NEWEST_FIRST)
        .only("pk", "code_id", "effective_date", "published_at")
    )
    return _in_force(list(versions))


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
    return versions.select_related("code").order_by(*NEWEST_FIRST).first()


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


def provision_search(organization: Organization, query: str, *, limit: int = 50) -> list[Hit]:
    """Provisions of the body's code in force that match every word of the query, best first, by
    the database engine's full-text search in the body's language (`ombuds.codes.search`): a word
    finds its other forms ("account" finds "accounts"), a heading that matches and the whole
    phrase as written weigh more, and on PostgreSQL a word typed with a slip still finds its
    provision when nothing has every word as typed."""
    current = current_version(organization)
    version_ids = [current.pk] if current is not None else []
    return search.search(version_ids, query, language=organization.language_codes[0], limit=limit)


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
        .order_by(*NEWEST_FIRST)
    ):
        published.setdefault(version.code.organization_id, []).append(version)
    return [(body, _in_force(published.get(body.pk, []))) for body in bodies]
