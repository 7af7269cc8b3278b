"""The built tree made citable: preamble, labels, citations, warnings, full texts and modalities."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator

from .patterns import STATUTE_SECTION, roman_value
from .semantics import (
    join_lead,
    modality_and_order,
    split_inline,
    stated_subject,
    subject_of,
)
from .styles import BY_NAME
from .tree import Node, Tree

_PREAMBLE_HEADING = re.compile(r"^(?:preamble|foreword)$", re.IGNORECASE)
MAX_WARNINGS = 100  # a text that contradicts itself everywhere gets the first hundred, and a count


def provisions(node: Node) -> list[Node]:
    return [c for c in node.children if c.kind in ("heading", "item")]


def walk_provisions(node: Node) -> Iterator[Node]:
    """Every node under ``node``, depth first, in document order (without a generator per node)."""
    stack = node.children[::-1]
    while stack:
        child = stack.pop()
        yield child
        stack.extend(reversed(child.children))


def finish(tree: Tree, fmt: str) -> None:
    _take_preamble(tree)
    if fmt != "text":
        _number_as_rendered(tree.root)
    _split_inline(tree.root)
    if not any(True for _ in walk_provisions(tree.root)):
        _one_provision_per_paragraph(tree)
    _number_by_position(tree.root)
    _mark_run_on_groups(tree.root)
    _cite(tree.root, None)
    warnings = _contradictions(tree.root, None, fmt) + _make_unique(tree.root)
    warnings += _without_text(tree.root)
    warnings += _unparsed_clauses(tree.root) + _made_provisions(tree.root)
    if len(warnings) > MAX_WARNINGS:
        more = len(warnings) - MAX_WARNINGS
        warnings = [*warnings[:MAX_WARNINGS], f"... and {more} more warnings like these"]
    tree.warnings.extend(warnings)
    _annotate(tree.root, stated_subject(tree.preamble))


# Preamble -------------------------------------------------------------------------------------------


def _texts_of(node: Node) -> list[str]:
    texts = [node.heading] if node.heading else []
    texts += node.texts
    for child in node.children:
        texts += _texts_of(child)
    return texts


def _take_preamble(tree: Tree) -> None:
    """What stands before the first provision: prose, lists, and prose-only unlabelled headings.

    An unlabelled heading goes to the preamble only where its siblings are labelled (CSEC's
    PREAMBLE before ARTICLE 1); among unlabelled siblings it is a section like the others.
    """
    root = tree.root
    children = root.children
    has_heading = any(c.kind == "heading" for c in children)
    has_labelled_heading = any(c.kind == "heading" and c.label is not None for c in children)
    preamble = tree.preamble
    i = 0
    while i < len(children):
        child = children[i]
        if child.kind == "prose":
            preamble.extend(child.texts)
        elif child.kind == "item" and child.label is None and has_heading:
            preamble.extend(_texts_of(child))
        elif (
            child.kind == "heading"
            and child.label is None
            and has_labelled_heading
            and not child.children
        ):
            if child.heading and not _PREAMBLE_HEADING.match(child.heading):
                preamble.append(child.heading)
            preamble.extend(child.texts)
        else:
            break
        i += 1
    root.children = children[i:]
    # Prose after the first provision at the top, in a text without headings, is a provision too.
    for child in root.children:
        if child.kind == "prose":
            child.kind, child.style = "item", "prose"


# Labels ---------------------------------------------------------------------------------------------


def _lists(node: Node) -> dict[int, list[Node]]:
    lists: dict[int, list[Node]] = {}
    for child in node.children:
        if child.kind == "item" and child.list_id:
            lists.setdefault(child.list_id, []).append(child)
    return lists


def _number_as_rendered(node: Node) -> None:
    """A Markdown list written '1.' throughout is numbered as it is rendered: 1, 2, 3, ..."""
    for items in _lists(node).values():
        labels = {item.label for item in items}
        if len(items) > 1 and len(labels) == 1 and items[0].label and items[0].label.isdigit():
            start = int(items[0].label)
            for offset, item in enumerate(items):
                item.label = str(start + offset)
    for child in node.children:
        _number_as_rendered(child)


def _split_inline(node: Node) -> None:
    """'Members shall: (a) ...; (b) ...' becomes a provision with sub-clauses (a) and (b)."""
    for child in list(node.children):
        _split_inline(child)
        if child.kind != "item" or not child.texts:
            continue
        split = split_inline(child.texts[0])
        if split is None:
            continue
        child.inline_source = child.texts[0]
        child.texts[0] = split.lead
        subclauses = [
            Node(
                "item",
                child.line,
                label=label,
                texts=[text] if text else [],
                style="(inline)",
                lead_in=split.lead or None,
            )
            for label, text in split.parts
        ]
        child.children[:0] = subclauses


def _one_provision_per_paragraph(tree: Tree) -> None:
    paragraphs = tree.preamble
    if not paragraphs:
        return
    tree.root.children = [
        Node("item", 0, texts=[text], style="prose", list_id=-1) for text in paragraphs
    ]
    tree.preamble = []
    count = len(paragraphs)
    numbers = "1" if count == 1 else f"1 to {count}"
    tree.warnings.append(
        "no recognisable structure (no headings, numbered clauses or lists): "
        f"each paragraph became a provision, numbered {numbers}"
    )


def _number_by_position(node: Node) -> None:
    """An unlabelled item takes its 1-based position among all the provisions beside it."""
    for position, child in enumerate(provisions(node), start=1):
        if child.kind == "item" and child.label is None:
            child.label = str(position)
        _number_by_position(child)


def _int_label(node: Node) -> int | None:
    label = node.label or ""
    return int(label) if label.isdigit() else None


def _mark_run_on_groups(node: Node) -> None:
    """Chapters I-IV whose canons run on 1-22 across them add nothing to the canons' citations."""
    groups = [c for c in node.children if c.kind == "heading" and c.label is not None]
    spans = []
    for group in groups:
        numbers = [n for n in (_int_label(c) for c in provisions(group)) if n is not None]
        if numbers:
            spans.append((numbers[0], numbers[-1]))
    if len(spans) >= 2 and spans[0][0] == 1:
        runs_on = all(later[0] == earlier[1] + 1 for earlier, later in itertools.pairwise(spans))
        if runs_on:
            for group in groups:
                group.transparent = True
    for child in node.children:
        _mark_run_on_groups(child)


# Citations ------------------------------------------------------------------------------------------


def _extends(label: str, parent: str) -> bool:
    """'1.2' extends '1', 'A1' extends 'A', '10.1' does not extend '1'."""
    if len(label) <= len(parent) or not label.startswith(parent):
        return False
    following = label[len(parent)]
    if following in ".-(":
        return True
    return parent[-1].isalpha() != following.isalpha()


def join_citation(anchor: Node | None, label: str) -> str:
    if anchor is None or not anchor.citation:
        return label
    if label.startswith("("):
        return anchor.citation + label
    if label.isalnum() and (
        (anchor.kind == "heading" and STATUTE_SECTION.match(anchor.label or ""))
        or (anchor.citation.endswith(")") and STATUTE_SECTION.match(anchor.citation.split("(")[0]))
    ):
        return f"{anchor.citation}({label})"  # 42.23.030(6)(c)(i), as the statute cites itself
    if anchor.label and _extends(label, anchor.label) and anchor.citation.endswith(anchor.label):
        return anchor.citation[: len(anchor.citation) - len(anchor.label)] + label
    return f"{anchor.citation}.{label}"


# "1.1", "1.01", "A1", "A1.2", "3-2", "1a": a label that says where it stands in the whole document.
_SELF_STANDING = re.compile(r"^(?:[A-Za-z]+\d+|\d+[.\-]\d+|\d+[a-z]$)")


def _numbers_itself(heading: Node) -> bool:
    """A heading whose clauses carry their own full numbers (1.1, 1.2 under "Clients")."""
    labels = [c.label for c in provisions(heading)]
    return bool(labels) and all(label and _SELF_STANDING.match(label) for label in labels)


def _holds_items(node: Node) -> bool:
    return any(d.kind == "item" for d in walk_provisions(node))


def _cite(node: Node, anchor: Node | None, by_position: bool = True) -> None:
    children = provisions(node)
    headings = [c for c in children if c.kind == "heading"]
    # A level of headings none of which has a label is cited by position (Contributor Covenant's
    # "Our Standards" is 2, its bullets 2.1, 2.2, ...), unless the clauses under them number
    # themselves: then the headings only group, and add nothing, as the document cites itself.
    unlabelled_level = (
        by_position
        and bool(headings)
        and all(h.label is None for h in headings)
        and not any(_numbers_itself(h) for h in headings)
    )
    # Among clauses the document labels, a heading with no clauses under it (a judges' code's
    # "Commentary" after its A to D) adds nothing, and neither do the unlabelled headings under it.
    labelled_items = unlabelled_level and any(c.kind == "item" and _counts(c) for c in children)
    for position, child in enumerate(children, start=1):
        if child.label is not None:
            style = BY_NAME.get(child.keyword) if child.keyword else None
            cited_as = style.cite(child.label) if style is not None else child.label
            child.citation = join_citation(anchor, cited_as)
        elif unlabelled_level and not (labelled_items and not _holds_items(child)):
            # A level of unlabelled headings: each is cited by its position among its siblings.
            child.citation = join_citation(anchor, str(position))
        else:
            child.citation = None
        cited = child.citation is not None and not child.transparent
        adds_nothing = child.kind == "heading" and child.citation is None
        _cite(child, child if cited else anchor, by_position and not adds_nothing)


# Warnings -------------------------------------------------------------------------------------------


_TRAILING_NUMBER = re.compile(r"(.*?)(\d+)")
_DOTTED_NUMBER = re.compile(r"[\d.]+")


@functools.lru_cache(maxsize=4096)  # labels repeat: (a), (b), 1.1 ...
def _sequence_values(label: str) -> tuple[tuple[str, int], ...]:
    """What a label counts as: '1.3' -> ('1.', 3); '(c)' -> ('', 3); 'I' -> letter 9 or roman 1."""
    bare = label.strip("()")
    values = []
    if len(bare) == 1 and bare.isalpha():
        values.append(("", ord(bare.lower()) - ord("a") + 1))
    roman = roman_value(bare)
    if roman:
        values.append(("", roman))
    match = _TRAILING_NUMBER.fullmatch(bare)
    if match:
        values.append((match.group(1), int(match.group(2))))
    return tuple(values)


def _counts(node: Node) -> bool:
    """Does the document number this provision (rather than the parser, by position)?"""
    if node.label is None:
        return False
    if node.kind == "heading":
        return True
    style = node.style or ""
    return not style.startswith(("bullet", "line", "prose", "auto", "(inline)"))


def _contradictions(node: Node, anchor: Node | None, fmt: str) -> list[str]:
    warnings: list[str] = []
    previous: dict[tuple[object, ...], Node] = {}
    for child in provisions(node):
        if _counts(child):
            if child.kind == "heading":
                key: tuple[object, ...] = ("heading", child.keyword)
            elif fmt == "text":
                key = ("item", child.style)
            else:
                key = ("item", child.style, child.list_id)  # Markdown lists may each restart
            warnings += _check_sequence(child, previous.get(key), anchor)
            previous[key] = child
        next_anchor = child if child.citation is not None and not child.transparent else anchor
        warnings += _contradictions(child, next_anchor, fmt)
    return warnings


def _check_sequence(node: Node, before: Node | None, anchor: Node | None) -> list[str]:
    label = node.label or ""
    if (
        anchor is not None
        and anchor.label
        and "." in label
        and _DOTTED_NUMBER.fullmatch(anchor.label)
    ):
        prefix = label.rsplit(".", 1)[0]
        if not (label.startswith(anchor.label + ".") or prefix == anchor.label):
            return [
                f"line {node.line}: {label} stands under {anchor.label}, "
                f"whose provisions should be numbered {anchor.label}.x"
            ]
    if before is None:
        return []
    if STATUTE_SECTION.match(label) and STATUTE_SECTION.match(before.label or ""):
        return []  # a statute numbers its sections with gaps: 42.23.010, .020, ..., .900
    pairs = [
        (now, then)
        for now in _sequence_values(label)
        for then in _sequence_values(before.label or "")
        if now[0] == then[0]
    ]
    if not pairs or any(now[1] == then[1] + 1 for now, then in pairs):
        return []
    now, then = min(pairs, key=lambda pair: abs(pair[0][1] - pair[1][1] - 1))  # likeliest reading
    where = f"line {node.line}: {label} follows {before.label} (line {before.line})"
    if now[1] > then[1] + 1:
        missing = now[1] - then[1] - 1
        what = "one provision is" if missing == 1 else f"{missing} provisions are"
        return [f"{where}, so {what} missing"]
    return [f"{where}: out of order"]


def _without_text(root: Node) -> list[str]:
    """A provision with no words of its own and none under it: a number or a title left empty.
    A heading written as a sentence ("CANON 4 - A LAWYER SHALL ... JUSTICE.") says its rule."""
    warnings = []
    for node in walk_provisions(root):
        if node.kind not in ("heading", "item") or node.text.strip() or provisions(node):
            continue
        if node.heading and node.heading.rstrip().endswith((".", "!", "?", ";")):
            continue
        name = (
            node.citation or node.label or (f'"{node.heading}"' if node.heading else "a provision")
        )
        what = (
            f'{name} ("{node.heading}")' if node.heading and name != f'"{node.heading}"' else name
        )
        warnings.append(f"line {node.line}: {what} has no text and no provisions under it")
    return warnings


# "1 Members shall ...", "(a) ...", "a - ...": words that open as a numbered clause does.
_LABEL_LIKE = re.compile(
    r"^(?:\(?\d{1,3}(?:[.\-]\d{1,3})*\)?|\([a-z]{1,4}\)|[a-z][.)])[.:)]?\s+[A-Z(]"
)


def _unparsed_clauses(root: Node) -> list[str]:
    """A heading whose text reads as clauses the parser did not take as clauses: paragraphs that
    open with a number, or a run of inline (a), (b) in a heading's text (only items split)."""
    warnings = []
    for node in _headings(root):
        if not node.texts:
            continue
        lines = node.text_lines or [node.line] * len(node.texts)
        numbered = [
            (line, text)
            for line, text in zip(lines, node.texts, strict=False)
            if _LABEL_LIKE.match(text)
        ]
        inline = [
            (line, text)
            for line, text in zip(lines, node.texts, strict=False)
            if split_inline(text) is not None
        ]
        found = numbered if len(numbered) >= 2 else inline
        if (len(numbered) < 2 and not inline) or not found:
            continue
        what = "numbered paragraphs" if found is numbered else "inline clauses (a), (b)"
        warnings.append(
            f"line {found[0][0]}: the text under {_named(node)} reads as clauses ({what}) "
            "but was kept as its text; check its numbering"
        )
    return warnings


def _headings(root: Node) -> Iterator[Node]:
    """Every heading, in document order (headings stand only under the root and headings)."""
    stack = [c for c in reversed(root.children) if c.kind == "heading"]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in reversed(node.children) if c.kind == "heading")


def _made_provisions(root: Node) -> list[str]:
    """A paragraph with no number among the top provisions becomes one: said, not silent."""
    return [
        f"line {node.line}: a paragraph with no number among the provisions became provision "
        f"{node.citation}"
        for node in root.children
        if node.kind == "item" and node.style == "prose" and node.list_id != -1
    ]


def _named(node: Node) -> str:
    name = node.citation or node.label
    if name and node.heading:
        return f'{name} ("{node.heading}")'
    return name or (f'"{node.heading}"' if node.heading else f"the provision at line {node.line}")


def _make_unique(root: Node) -> list[str]:
    """A citation used twice gets a suffix (-2, -3, ...) on its second use, and a warning."""
    warnings: list[str] = []
    seen: dict[str, Node] = {}
    next_suffix: dict[str, int] = {}
    for node in walk_provisions(root):
        citation = node.citation
        if citation is None:
            continue
        if citation not in seen:
            seen[citation] = node
            continue
        n = next_suffix.get(citation, 2)
        while f"{citation}-{n}" in seen:
            n += 1
        next_suffix[citation] = n + 1
        renamed = f"{citation}-{n}"
        for descendant in node.walk():
            if descendant.citation and descendant.citation.startswith(citation):
                descendant.citation = renamed + descendant.citation[len(citation) :]
        seen[renamed] = node
        first = seen[citation]
        warnings.append(
            f"line {node.line}: citation {citation} is used twice (first at line {first.line}); "
            f"the second is cited {renamed}"
        )
    return warnings


# Full text, modality, subject -------------------------------------------------------------------


def _annotate(node: Node, document_subject: str | None) -> None:
    node_text = node.text if node.kind == "item" and node.lead_context else None
    for child in node.children:
        if child.kind == "heading":
            child.full_text = child.text or child.heading or ""
            # A heading's own words ("Section 2: Other" / "Members shall be kind.") state duties
            # as a clause's do; its title alone states none.
            own = child.text
            heading_modality, order = modality_and_order(own, own) if own else (None, False)
            child.modality = heading_modality
            if heading_modality is None:
                child.subject = None
            else:
                child.subject = document_subject if order else subject_of(own)
            _annotate(child, document_subject)
            continue
        lead = child.lead_in
        if lead and node_text == lead:  # (node_text: None unless an item with a lead-in)
            # The parent is only a lead-in ("shall ensure that:"): it carries its own lead-in along.
            lead = join_lead(node.lead_context, lead)
        child.lead_context = lead
        own = child.inline_source or child.text
        child.full_text = join_lead(lead, own) if lead and own else own
        modality, order = modality_and_order(own, child.full_text) if own else (None, False)
        child.modality = modality
        if modality is None:
            child.subject = None
        elif order:
            # An order has no subject of its own: it binds whom its lead-in or the code names.
            child.subject = (subject_of(lead) if lead else None) or document_subject
        else:
            child.subject = subject_of(child.full_text)
        _annotate(child, document_subject)
