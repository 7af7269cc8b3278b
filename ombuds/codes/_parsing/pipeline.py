"""The parser's steps, in order: text -> lines -> blocks -> tree -> citable provisions."""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Callable, Iterator
from functools import partial

from .blocks import attach_footnotes, lines_as_items, parse_blocks
from .debris import drop_debris
from .finish import finish
from .inline import markdown_inline, plain_inline, rst_inline
from .metadata import effective_date, is_placeholder_title, issuer, title_under_issuer
from .patterns import heading_label, keywords
from .profile import Profile
from .source import prepare
from .tree import Node, Tree, build_tree


def _cleaner(fmt: str, references: frozenset[str]) -> Callable[[str], str]:
    if fmt == "markdown":
        return partial(markdown_inline, references=references)
    if fmt == "rst":
        return rst_inline
    return plain_inline


def _words(tree: Tree) -> list[str]:
    """Everything the reader sees, in document order, for finding dates and names."""
    words = [tree.title] if tree.title else []
    words += tree.preamble
    for node in tree.root.walk():
        if node.heading:
            words.append(node.heading)
        words += node.texts
    return words


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: the parser makes many small objects and no cycles, and
    the collector's passes over them made parsing a large code slower than linear (a third of the
    time of a 10 MB code)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run(
    text: str,
    fmt: str | None,
    filename: str | None,
    profile: Profile | None = None,
    styles: tuple[str, ...] | None = None,
) -> tuple[Tree, dict[str, str | None]]:
    """``styles``: the keyword styles to expect (names from styles.STYLES); the profile's when
    None, and all of them when the profile names none."""
    profile = profile or Profile()
    if styles is None and profile.styles:
        styles = profile.styles
    kw = keywords(tuple(name.lower() for name in styles) if styles is not None else None)
    source = prepare(text, format=fmt, filename=filename)
    clean = _cleaner(source.format, source.references)
    lines = drop_debris(source.lines, words=profile.debris)
    blocks = parse_blocks(lines, source.format, kw)
    notes: list[str] = []
    if source.format == "text":
        blocks = attach_footnotes(blocks)
        notes = lines_as_items(
            blocks, clean, lambda title: heading_label(title, kw).label is not None
        )
    tree = build_tree(blocks, clean, kw)
    tree.warnings.extend(notes)
    meta_title = source.meta.get("title")
    if (tree.title is None or is_placeholder_title(tree.title)) and meta_title:
        tree.title = clean(meta_title)
    elif tree.title is not None and is_placeholder_title(tree.title):
        tree.title = None
    finish(tree, source.format)
    # A page that opens with its name as a question ("What is the CESP™ Code of Conduct?") names the
    # code; the question stays, first in the preamble, where the answer follows it.
    question = _QUESTION_TITLE.match(tree.title or "")
    if question:
        tree.preamble.insert(0, tree.title)
        tree.title = question["name"]
    words = _words(tree)
    named = title_under_issuer(tree.title, tree.preamble)
    if named:
        tree.title, found_issuer = named[0], named[1]
        del tree.preamble[0]
    else:
        found_issuer = issuer(tree.title, tree.preamble[:2], words)
    effective = effective_date(
        words,
        line=profile.effective_pattern,
        lines=[clean(line) for _, line in lines if line.strip()]
        if profile.effective_pattern
        else None,
    )
    return tree, {"issuer": found_issuer, "effective": effective}


_QUESTION_TITLE = re.compile(
    r"^(?:what|which)\s+(?:is|are)\s+(?:the\s+|our\s+)?(?P<name>.*\b(?:code|standards?|guidelines|principles|rules|canons)\b.*?)\s*\?$",
    re.IGNORECASE,
)


def provisions_of(node: Node) -> list[Node]:
    return [child for child in node.children if child.kind in ("heading", "item")]
