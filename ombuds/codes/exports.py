"""Codes out of Ombuds: the JSON interchange format, Markdown, and readable diffs."""

from __future__ import annotations

from typing import Any

from ombuds.codes import parser
from ombuds.codes.citing import citation_prefix
from ombuds.codes.diff import CodeDiff
from ombuds.codes.models import CodeVersion
from ombuds.codes.selectors import Node, provision_tree


def _node_to_provision(node: Node) -> parser.Provision:
    p = node.provision
    return parser.Provision(
        label=p.label or None,
        citation=p.citation or None,
        heading=p.heading or None,
        text=p.text,
        full_text=p.full_text,
        modality=p.modality or None,  # type: ignore[arg-type]
        subject=p.subject or None,
        children=[_node_to_provision(child) for child in node.children],
        duties=[dict(duty) for duty in p.duties or []],
    )


def version_to_parsed(version: CodeVersion) -> parser.ParsedCode:
    return parser.ParsedCode(
        title=version.title,
        issuer=version.issuer or None,
        effective=version.effective_date.isoformat()
        if version.effective_date
        else (version.stated_effective or None),
        preamble=list(version.preamble),
        provisions=[_node_to_provision(node) for node in provision_tree(version)],
        warnings=list(version.warnings),
    )


def version_to_dict(version: CodeVersion) -> dict[str, Any]:
    """The interchange format (what `ombuds codes parse --json` prints), so an export imports back,
    with the prefix members put before a citation ("citation_prefix": "CESP")."""
    return {
        **version_to_parsed(version).to_dict(),
        "citation_prefix": citation_prefix(version.code),
    }


def _md_escape(text: str) -> str:
    return text.replace("*", r"\*").replace("_", r"\_")


def version_to_markdown(version: CodeVersion) -> str:
    """The version's canonical text, whose SHA-256 attestations and certification applications
    record. Frozen: changing a byte would change the digest of every published version, so it
    stays as first written. The export that imports back is ``version_to_export_markdown``."""
    code = version_to_parsed(version)
    lines = [f"# {code.title}", ""]
    meta = [
        v
        for v in (
            code.issuer,
            f"Version {version.label}",
            code.effective and f"effective {code.effective}",
        )
        if v
    ]
    lines += [" · ".join(meta), ""]
    for paragraph in code.preamble:
        lines += [_md_escape(paragraph), ""]

    def emit(provision: parser.Provision, depth: int) -> None:
        if provision.heading:
            level = min(2 + depth, 6)
            prefix = f"{provision.citation} " if provision.citation else ""
            lines.extend([f"{'#' * level} {prefix}{provision.heading}".rstrip(), ""])
            if provision.text:
                lines.extend([_md_escape(provision.text), ""])
        elif provision.text:
            lines.extend([f"**{provision.citation}** {_md_escape(provision.text)}".strip(), ""])
        for child in provision.children:
            emit(child, depth + 1)

    for provision in code.provisions:
        emit(provision, 0)
    return "\n".join(lines).rstrip() + "\n"


def version_to_export_markdown(version: CodeVersion) -> str:
    """Readable Markdown that imports back to the same provisions (``parser.to_markdown``)."""
    return parser.to_markdown(version_to_parsed(version), version_label=version.label)


def outline(code: parser.ParsedCode) -> str:
    """A human-readable outline of a parsed code, for `ombuds codes parse` without --json."""
    lines = [f"title:     {code.title or '-'}", f"issuer:    {code.issuer or '-'}"]
    lines.append(f"effective: {code.effective or '-'}")
    lines.append(f"preamble:  {len(code.preamble)} paragraph(s)")
    leaves = code.leaves()
    lines.append(f"provisions: {sum(1 for _ in code.walk())} ({len(leaves)} leaves)")
    lines.append("")

    def emit(provision: parser.Provision, depth: int) -> None:
        words = provision.heading or provision.text
        if len(words) > 80:
            words = words[:77] + "..."
        modality = f"  [{provision.modality}]" if provision.modality else ""
        lines.append(f"{'  ' * depth}{provision.citation or '-'}  {words}{modality}")
        for child in provision.children:
            emit(child, depth + 1)

    for provision in code.provisions:
        emit(provision, 0)
    return "\n".join(lines)


def diff_to_dict(result: CodeDiff) -> dict[str, Any]:
    return {
        "added": [
            {"citation": e.citation, "heading": e.heading, "text": e.text} for e in result.added
        ],
        "removed": [
            {"citation": e.citation, "heading": e.heading, "text": e.text} for e in result.removed
        ],
        "changed": [
            {
                "citation": c.citation,
                "old_text": c.old_text,
                "new_text": c.new_text,
                "old_heading": c.old_heading,
                "new_heading": c.new_heading,
                "marked": c.marked(),
            }
            for c in result.changed
        ],
        "renumbered": [
            {"old_citation": r.old_citation, "new_citation": r.new_citation}
            for r in result.renumbered
        ],
        "unchanged": result.unchanged,
    }


def diff_to_text(result: CodeDiff, old_label: str, new_label: str) -> str:
    if result.is_empty:
        return (
            f"{old_label} → {new_label}: no differences ({result.unchanged} provisions unchanged)"
        )
    lines = [
        f"{old_label} → {new_label}: {len(result.added)} added, {len(result.removed)} removed, "
        f"{len(result.changed)} changed, {len(result.renumbered)} renumbered, "
        f"{result.unchanged} unchanged",
    ]
    for entry in result.added:
        lines.append(f"+ {entry.citation}  {entry.heading or entry.text}")
    for entry in result.removed:
        lines.append(f"- {entry.citation}  {entry.heading or entry.text}")
    for change in result.changed:
        lines.append(f"~ {change.citation}  {change.marked()}")
    for moved in result.renumbered:
        lines.append(f"> {moved.old_citation} → {moved.new_citation}")
    return "\n".join(lines)
