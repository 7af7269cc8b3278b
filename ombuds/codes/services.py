"""Commands that change codes. Views, the API and the CLI call these; none repeats their steps."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.codes import hooks, parser
from ombuds.codes.code_settings import check_prefix, keep_file_prefix, store_import_profile
from ombuds.codes.exceptions import CodeError, VersionFrozen
from ombuds.codes.models import (
    DEFAULT_CODE_SLUG,
    Code,
    CodeVersion,
    Provision,
    citation_anchor,
)


def read_code_file(
    data: bytes, *, filename: str | None = None, profile: parser.Profile | None = None
) -> parser.ParsedCode:
    """Parse the bytes of a code file: our JSON interchange format, or text, Markdown or reST,
    with the body's parsing ``profile`` if it has one.

    Raises CodeError with a one-line reason when nothing useful can be read.
    """
    try:
        text = parser.decode(data, max_bytes=settings.OMBUDS_MAX_CODE_BYTES)
    except parser.ParseError as exc:
        raise CodeError(str(exc)) from exc
    if (filename or "").lower().endswith(".json") or text.lstrip().startswith("{"):
        return _read_interchange(text)
    parsed = parser.parse(text, filename=filename, profile=profile)
    if not parsed.provisions:
        raise CodeError("no provisions found in the text")
    return parsed


def _read_interchange(text: str) -> parser.ParsedCode:
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CodeError(
            f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("provisions"), list):
        raise CodeError('JSON must be an object with a "provisions" list (the interchange format)')
    try:
        parsed = parser.ParsedCode.from_dict(data)
    except (AttributeError, TypeError) as exc:
        raise CodeError(f"JSON does not follow the interchange format: {exc}") from exc
    _check_interchange(parsed)
    prefix = parsed.citation_prefix
    if prefix is not None and not isinstance(prefix, str):
        raise CodeError('"citation_prefix" must be a string, like "CESP"')
    parsed.citation_prefix = check_prefix(prefix) or None if prefix is not None else None
    return parsed


def _check_interchange(parsed: parser.ParsedCode) -> None:
    """What the database will insist on, said first and plainly: known modalities, unique citations."""
    seen: set[str] = set()
    for provision in parsed.walk():
        if provision.modality not in (None, *Provision.Modality.values):
            raise CodeError(
                f"provision {provision.citation!r}: unknown modality {provision.modality!r}"
            )
        if provision.citation:
            if provision.citation in seen:
                raise CodeError(f"citation {provision.citation!r} appears twice")
            seen.add(provision.citation)
        if not (provision.citation or provision.heading or provision.text):
            raise CodeError("a provision has neither citation, heading nor text")
    if not parsed.provisions:
        raise CodeError("no provisions in the JSON")


_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")


def check_version_label(label: str) -> None:
    """Labels appear in URLs (/csec/code/v/2024/1.2(c)): letters, digits, dot, hyphen, underscore."""
    if not _LABEL.match(label):
        raise CodeError(
            f"version label {label!r} must be 1 to 50 letters, digits, dots, hyphens or underscores, "
            "starting with a letter or digit"
        )


def _next_label(code: Code) -> str:
    taken = set(code.versions.values_list("label", flat=True))
    n = len(taken) + 1
    while f"v{n}" in taken:
        n += 1
    return f"v{n}"


def _parse_effective(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@transaction.atomic
def code_version_import(
    *,
    organization: Organization,
    parsed: parser.ParsedCode,
    source: bytes | str = b"",
    source_name: str = "",
    label: str | None = None,
    effective_date: dt.date | None = None,
    publish: bool = False,
    acting_user: Any = None,
    profile_text: str | None = None,
) -> tuple[CodeVersion, bool]:
    """Store a parsed code as a new draft version (published at once when ``publish``).

    With ``profile_text``, the parsing profile the code was read with is kept for the next import
    (and its citation prefix, if it gives one, becomes the code's). A file's own prefix (an
    interchange export's ``citation_prefix``) becomes the code's unless the body chose one already;
    a different choice is kept and said in the version's warnings.

    All or nothing: either the whole version with every provision is stored, or nothing is. Importing
    the same source under the same label again changes nothing and returns ``(version, False)``; the
    same label with a different text is refused.
    """
    source_bytes = source.encode("utf-8") if isinstance(source, str) else source
    digest = hashlib.sha256(source_bytes).hexdigest() if source_bytes else ""
    title = (parsed.title or "").strip() or "Code of Conduct"
    _check_interchange(parsed)
    # One code per body for now; the Code row exists so a body can later hold several (bylaws, …).
    code, _ = Code.objects.select_for_update().get_or_create(
        organization=organization, slug=DEFAULT_CODE_SLUG, defaults={"title": title[:300]}
    )
    if code.title != title[:300] and not code.versions.exists():
        # Created by its settings before its first version: named after that version.
        code.title = title[:300]
        code.save(update_fields=["title"])
    if profile_text is not None:
        code = store_import_profile(
            organization=organization, profile_text=profile_text, acting_user=acting_user
        )
    warnings = list(parsed.warnings)
    if parsed.citation_prefix:
        code, note = keep_file_prefix(
            code=code, prefix=parsed.citation_prefix, acting_user=acting_user
        )
        warnings += [note] if note else []
    label = (label or "").strip() or _next_label(code)
    check_version_label(label)
    existing = code.versions.filter(label=label).first()
    if existing is not None:
        if digest and existing.source_sha256 == digest:
            if publish and not existing.is_published:
                existing = code_version_publish(version=existing, acting_user=acting_user)
            return existing, False
        raise CodeError(
            f"{organization.slug} already has a version {label!r} of this code with a different text; "
            "choose another --version"
        )
    version = CodeVersion.objects.create(
        code=code,
        label=label,
        title=title[:300],
        issuer=(parsed.issuer or "")[:300],
        stated_effective=(parsed.effective or "")[:10],
        effective_date=effective_date or _parse_effective(parsed.effective),
        preamble=list(parsed.preamble),
        warnings=warnings,
        source_name=source_name[:255],
        source_sha256=digest,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    _store_tree(version, parsed.provisions)
    if publish:
        version = code_version_publish(version=version, acting_user=acting_user)
    return version, True


def _preorder(
    provisions: list[parser.Provision], depth: int = 0, parent_index: int | None = None
) -> Iterator[tuple[parser.Provision, int, int | None]]:
    """(provision, depth, index of its parent in the walk) in document order."""
    counter = _preorder_counter()
    yield from counter(provisions, depth, parent_index)


def _preorder_counter():
    index = -1

    def walk(nodes, depth, parent_index):
        nonlocal index
        for node in nodes:
            index += 1
            mine = index
            yield node, depth, parent_index
            yield from walk(node.children, depth + 1, mine)

    return walk


def _store_tree(version: CodeVersion, provisions: list[parser.Provision]) -> None:
    rows = list(_preorder(provisions))
    anchors: set[str] = set()
    objects: list[Provision] = []
    for position, (node, depth, _parent) in enumerate(rows):
        citation = (node.citation or "").strip()
        if len(citation) > 100 or len(node.label or "") > 50:
            raise CodeError(
                f"citation {citation[:40]!r}… is too long to store (100 characters at most)"
            )
        anchor = _unique_anchor(citation, node.heading or node.text, anchors)
        objects.append(
            Provision(
                version=version,
                position=position,
                depth=depth,
                label=(node.label or "")[:50],
                citation=citation,
                anchor=anchor,
                heading=(node.heading or "")[:500],
                text=node.text or "",
                full_text=node.full_text or node.text or "",
                modality=node.modality or "",
                duties=parser.duties_of(node.text or "", node.full_text or node.text or ""),
                subject=(node.subject or "")[:200],
            )
        )
    # Create level by level so that each level's parents already have primary keys.
    by_depth: dict[int, list[int]] = {}
    for index, (_node, depth, _parent) in enumerate(rows):
        by_depth.setdefault(depth, []).append(index)
    for depth in sorted(by_depth):
        level = by_depth[depth]
        for index in level:
            parent_index = rows[index][2]
            if parent_index is not None:
                objects[index].parent = objects[parent_index]
        Provision.objects.bulk_create([objects[i] for i in level], batch_size=500)


def _unique_anchor(citation: str, fallback: str, taken: set[str]) -> str:
    base = (citation_anchor(citation) if citation else "") or "h-" + (
        slugify(fallback)[:60] or "section"
    )
    anchor, n = base, 2
    while anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    taken.add(anchor)
    return anchor


def _lock_draft(version: CodeVersion) -> CodeVersion:
    locked = CodeVersion.objects.select_for_update().get(pk=version.pk)
    if locked.is_published:
        raise VersionFrozen(f"version {locked.label} is published and cannot be changed")
    return locked


@transaction.atomic
def code_version_publish(*, version: CodeVersion, acting_user: Any = None) -> CodeVersion:
    """Publish a draft. From now on the version and its provisions never change."""
    version = _lock_draft(version)
    if not version.provisions.exists():
        raise CodeError(f"version {version.label} has no provisions")
    version.status = CodeVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = acting_user if getattr(acting_user, "pk", None) else None
    version.save(update_fields=["status", "published_at", "published_by"])
    audit.record(
        action="code.version_published",
        subject_type="code_version",
        subject_id=version.pk,
        data={"code_id": version.code_id, "label": version.label, "title": version.title},
        organization=version.code.organization,
        actor=acting_user,
    )
    hooks.version_published(version=version, acting_user=acting_user)
    return version


@transaction.atomic
def code_version_delete_draft(*, version: CodeVersion, acting_user: Any = None) -> None:
    version = _lock_draft(version)
    # Deepest first: a provision protects its children.
    depths = version.provisions.values_list("depth", flat=True).distinct()
    for depth in sorted(depths, reverse=True):
        version.provisions.filter(depth=depth).delete()
    version.delete()


# --- correcting a draft -------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+")


def _lock_provision(provision: Provision) -> tuple[CodeVersion, Provision]:
    version = _lock_draft(provision.version)
    return version, Provision.objects.select_for_update().get(pk=provision.pk)


def _refresh_full_text(provision: Provision) -> None:
    """Re-derive what the parser derives: the full text read on its own (the parent's lead-in, such
    as "Members shall:", joined to the text), its modality and its duties."""
    parent_text = provision.parent.text if provision.parent_id else ""
    provision.full_text = parser.full_text_of(parent_text, provision.text)
    provision.modality = (parser.modality_of(provision.full_text) or "") if provision.text else ""
    provision.duties = parser.duties_of(provision.text, provision.full_text)


def _refresh_children(provision: Provision) -> None:
    children = list(provision.children.all())
    for child in children:
        child.parent = provision
        _refresh_full_text(child)
    Provision.objects.bulk_update(children, ["full_text", "modality", "duties"])


def _check_citation(version: CodeVersion, citation: str, *, exclude: int | None = None) -> None:
    if citation and version.provisions.filter(citation=citation).exclude(pk=exclude).exists():
        raise CodeError(f"citation {citation!r} is already used in version {version.label}")


@transaction.atomic
def provision_update(
    *,
    provision: Provision,
    label: str,
    citation: str,
    heading: str,
    text: str,
    acting_user: Any = None,
) -> Provision:
    """Correct one provision of a draft; its children's full text follows its new lead-in."""
    version, provision = _lock_provision(provision)
    citation = citation.strip()
    _check_citation(version, citation, exclude=provision.pk)
    provision.label, provision.citation = label.strip(), citation
    provision.heading, provision.text = heading.strip(), " ".join(text.split())
    provision.anchor = _unique_anchor(
        citation,
        provision.heading or provision.text,
        set(version.provisions.exclude(pk=provision.pk).values_list("anchor", flat=True)),
    )
    _refresh_full_text(provision)
    provision.save(
        update_fields=[
            "label",
            "citation",
            "heading",
            "text",
            "anchor",
            "full_text",
            "modality",
            "duties",
        ]
    )
    _refresh_children(provision)
    return provision


def _renumber(version: CodeVersion) -> None:
    """Re-derive document positions from the tree after a structural edit."""
    nodes = list(version.provisions.order_by("position"))
    children: dict[int | None, list[Provision]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    ordered: list[tuple[Provision, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for node in children.get(parent_id, []):
            ordered.append((node, depth))
            walk(node.pk, depth + 1)

    walk(None, 0)
    # Two passes so that the unique (version, position) constraint never sees a collision.
    offset = len(nodes) + 1
    for index, (node, depth) in enumerate(ordered):
        node.position, node.depth = offset + index, depth
    Provision.objects.bulk_update([n for n, _ in ordered], ["position", "depth"])
    for index, (node, _depth) in enumerate(ordered):
        node.position = index
    Provision.objects.bulk_update([n for n, _ in ordered], ["position"])


@transaction.atomic
def provision_move(*, provision: Provision, direction: str, acting_user: Any = None) -> Provision:
    """Swap a provision with its previous ("up") or next ("down") sibling, children and all."""
    version, provision = _lock_provision(provision)
    siblings = list(version.provisions.filter(parent_id=provision.parent_id).order_by("position"))
    index = next(i for i, s in enumerate(siblings) if s.pk == provision.pk)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(siblings):
        raise CodeError(f"{provision} cannot move {direction}")
    # Swap the two siblings' sort keys (through a free value: positions are unique), then re-derive
    # the pre-order positions so that each subtree follows its root.
    a, b = siblings[index], siblings[other]
    free = version.provisions.count() + 10_000
    Provision.objects.filter(pk=a.pk).update(position=free)
    Provision.objects.filter(pk=b.pk).update(position=a.position)
    Provision.objects.filter(pk=a.pk).update(position=b.position)
    _renumber(version)
    provision.refresh_from_db()
    return provision


@transaction.atomic
def provision_split(
    *, provision: Provision, at: int, citation: str, label: str = "", acting_user: Any = None
) -> Provision:
    """Split a provision's text at character ``at``; the second part becomes the next sibling."""
    version, provision = _lock_provision(provision)
    first, second = provision.text[:at].strip(), provision.text[at:].strip()
    if not first or not second:
        raise CodeError("choose a place inside the text: both parts need words")
    citation = citation.strip()
    if not citation:
        raise CodeError("the new provision needs a citation")
    _check_citation(version, citation)
    provision.text = first
    _refresh_full_text(provision)
    provision.save(update_fields=["text", "full_text", "modality", "duties"])
    _refresh_children(provision)
    taken = set(version.provisions.values_list("anchor", flat=True))
    new = Provision(
        version=version,
        parent=provision.parent,
        position=version.provisions.count() + 10_000,
        depth=provision.depth,
        label=label.strip() or _label_from_citation(citation, provision.parent),
        citation=citation,
        anchor=_unique_anchor(citation, second, taken),
        text=second,
        subject=provision.subject,
    )
    _refresh_full_text(new)
    new.save()
    # Place it right after the provision it came from (and that provision's subtree).
    _place_after(version, new, provision)
    return new


def _label_from_citation(citation: str, parent: Provision | None) -> str:
    """ "1.2(d)" under "1.2" -> "(d)"; "1.3" under "1" -> "1.3"; "3.9" under "3" -> "3.9"."""
    parent_citation = parent.citation if parent is not None else ""
    if parent_citation and citation.startswith(parent_citation + "("):
        return citation[len(parent_citation) :]
    if (
        parent_citation
        and citation.startswith(parent_citation + ".")
        and not parent_citation[-1:].isdigit()
    ):
        return citation[len(parent_citation) + 1 :]
    return citation


def _place_after(version: CodeVersion, node: Provision, anchor_node: Provision) -> None:
    nodes = list(version.provisions.exclude(pk=node.pk).order_by("position"))
    subtree_end = anchor_node.position
    ids_in_subtree = {anchor_node.pk}
    for other in nodes:
        if other.position > anchor_node.position and other.parent_id in ids_in_subtree:
            ids_in_subtree.add(other.pk)
            subtree_end = other.position
    ordered = [n for n in nodes if n.position <= subtree_end] + [node]
    ordered += [n for n in nodes if n.position > subtree_end]
    offset = len(ordered) + 20_000
    for index, n in enumerate(ordered):
        n.position = offset + index
    Provision.objects.bulk_update(ordered, ["position"])
    for index, n in enumerate(ordered):
        n.position = index
    Provision.objects.bulk_update(ordered, ["position"])


@transaction.atomic
def provision_merge_next(*, provision: Provision, acting_user: Any = None) -> Provision:
    """Merge the next sibling into this provision: texts joined, its children adopted.

    The next sibling's heading is dropped (a provision has one heading); its text follows this one's.
    """
    version, provision = _lock_provision(provision)
    nxt = (
        version.provisions.filter(parent_id=provision.parent_id, position__gt=provision.position)
        .order_by("position")
        .first()
    )
    if nxt is None:
        raise CodeError(f"{provision} has no next provision to merge with")
    provision.text = " ".join(filter(None, [provision.text, nxt.text]))
    _refresh_full_text(provision)
    provision.save(update_fields=["text", "full_text", "modality", "duties"])
    nxt.children.update(parent=provision)
    nxt.delete()
    _renumber(version)
    _refresh_children(provision)
    provision.refresh_from_db()
    return provision
