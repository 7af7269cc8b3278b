"""Blocks to a tree of provisions: nesting, labels, lead-ins and the preamble.

The tree is built in one pass over the blocks (headings close deeper headings; list items and
clauses nest by indentation and numbering style) and then tidied per section: prose before the
first provision becomes the section's text (the preamble, at the top), a paragraph that introduces
a list becomes the lead-in of its items, and unlabelled items get their position as label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .blocks import Block
from .patterns import heading_label, roman_value
from .semantics import lead_in_of

_PREAMBLE_HEADINGS = re.compile(r"^(?:preamble|foreword)$", re.IGNORECASE)


@dataclass
class Node:
    kind: str  # "root", "heading", "item" or "para"
    line: int
    label: str | None = None
    heading: str | None = None
    texts: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    level: int = 0
    indent: int = 0
    content_indent: int = 0
    style: str | None = None
    written: str | None = None
    markup: str = ""
    positional: bool = False
    transparent: bool = False  # groups provisions without adding to their citations
    lead_in: str | None = None  # the sentence of the parent that introduces this provision
    inline_source: str | None = None  # text as written before its inline sub-clauses were split off
    citation: str | None = None
    full_text: str = ""
    modality: str | None = None
    subject: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(t for t in self.texts if t)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Tree:
    root: Node
    title: str | None
    title_line: int | None
    subtitles: list[str]
    preamble: list[str]
    trailing: list[str]  # prose after the last provision that belongs to no section
    warnings: list[str]


def is_provision(node: Node) -> bool:
    return node.kind in ("heading", "item")


class TreeBuilder:
    def __init__(self, blocks: list[Block], fmt: str, clean: Callable[[str], str]) -> None:
        self.blocks = blocks
        self.fmt = fmt
        self.clean = clean
        self.root = Node("root", 0, level=0)
        self.stack: list[Node] = [self.root]
        self.keyword_levels: list[str] = []
        self.base_level = max((b.level for b in blocks if b.kind == "heading"), default=0)
        self.last_heading_level = 0
        self.warnings: list[str] = []

    # building ---------------------------------------------------------------------------
    def build(self) -> Tree:
        blocks = self.blocks
        title, title_line, subtitles, start = self._title(blocks)
        for block in blocks[start:]:
            if block.kind == "heading":
                self._add_heading(block)
            elif block.kind == "item":
                self._add_item(block)
            else:
                self._add_para(block)
        return Tree(self.root, title, title_line, subtitles, [], [], self.warnings)

    def _title(self, blocks: list[Block]) -> tuple[str | None, int | None, list[str], int]:
        """The document's own title: its first block, when that is an unlabelled top heading."""
        if not blocks or blocks[0].kind != "heading":
            return None, None, [], 0
        first = blocks[0]
        text = self.clean(first.first_line)
        if heading_label(text).label is not None:
            return None, None, [], 0
        marked = [b.level for b in blocks if b.kind == "heading" and b.level]
        if first.level and first.level > min(marked):
            return None, None, [], 0
        if not first.level and first.markup not in ("bare", "caps"):
            return None, None, [], 0
        subtitles: list[str] = []
        start = 1
        # A short unmarked line right under the title ("For members of the ...") is a subtitle.
        if len(blocks) > 1 and blocks[1].markup == "bare" and not first.level:
            subtitles.append(self.clean(blocks[1].first_line))
            start = 2
        elif len(blocks) > 1 and blocks[1].kind == "para" and len(blocks[1].paragraphs[0]) == 1:
            line = self.clean(blocks[1].first_line)
            if len(line.split()) <= 14 and not line.endswith("."):
                subtitles.append(line)
        return text, first.line, subtitles, start

    def _heading_level(self, block: Block, label: str | None, keyword: str | None) -> int:
        if block.level:
            return block.level
        if label is not None:
            kind = keyword or block.markup
            if kind not in self.keyword_levels:
                self.keyword_levels.append(kind)
            return self.base_level + self.keyword_levels.index(kind) + 1
        return self.last_heading_level or self.base_level + 1

    def _add_heading(self, block: Block) -> None:
        text = self.clean(block.first_line)
        parsed = heading_label(text)
        level = self._heading_level(block, parsed.label, parsed.keyword)
        self.last_heading_level = level
        while len(self.stack) > 1 and (self.stack[-1].kind != "heading" or self.stack[-1].level >= level):
            self.stack.pop()
        node = Node(
            "heading",
            block.line,
            label=parsed.label,
            heading=parsed.title or None,
            level=level,
            markup=block.markup,
            style=parsed.keyword,
        )
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def _add_para(self, block: Block) -> None:
        while self.stack[-1].kind in ("item", "para"):
            self.stack.pop()
        texts = [self.clean(" ".join(lines)) for lines in block.paragraphs]
        node = Node("para", block.line, texts=[t for t in texts if t], indent=block.indent)
        if not node.texts:
            return
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def _add_item(self, block: Block) -> None:
        marker = block.marker
        assert marker is not None
        node = Node(
            "item",
            block.line,
            label=marker.label,
            texts=[t for t in (self.clean(" ".join(p)) for p in block.paragraphs) if t],
            indent=block.indent,
            content_indent=block.content_indent,
            style=marker.style,
            written=marker.written,
        )
        parent = self._item_parent(node)
        parent.children.append(node)
        self.stack.append(node)

    def _item_parent(self, node: Node) -> Node:
        while True:
            top = self.stack[-1]
            if top.kind in ("heading", "root"):
                return top
            if top.kind == "para":
                if node.indent >= top.indent:
                    return top
                self.stack.pop()
                continue
            if top.indent > node.indent + 1:
                self.stack.pop()
                continue
            if top.indent < node.indent - 1:
                return top
            self._settle_roman(node, top)
            if top.style == node.style:
                self.stack.pop()
                return self.stack[-1]
            if any(n.kind == "item" and n.style == node.style for n in self.stack):
                self.stack.pop()
                continue
            return top

    @staticmethod
    def _settle_roman(node: Node, previous: Node) -> None:
        """'i' after 'h' is a letter; 'i' under '(a)', or 'v' after 'iv', is a roman numeral."""
        style, label = node.style or "", (node.label or "").strip("()")
        prev = (previous.label or "").strip("()")
        if "roman" in style.lower() and prev.lower() == "i" and roman_value(label) == 2:
            # "(ii)" shows that the "(i)" before it was a roman numeral, not the letter i.
            if previous.style and _as_roman(previous.style) == style:
                previous.style = style
            return
        if len(label) != 1 or not roman_value(label) or "lower" not in style.lower():
            return
        roman = _as_roman(style)
        prev = (previous.label or "").strip("()")
        if previous.style == roman and roman_value(label) is None:
            return
        if previous.style == style and prev and ord(label.lower()) == ord(prev.lower()) + 1:
            return
        if previous.style == roman and roman_value(prev) and roman_value(label) == roman_value(prev) + 1:
            node.style = roman
            return
        if label.lower() == "i" and previous.style != style:
            node.style = roman
        elif label.lower() == "i" and prev.lower() != "h":
            node.style = roman


def _as_roman(style: str) -> str:
    return style.replace("lower", "roman").replace("upper", "ROMAN")


def iter_provisions(node: Node) -> Iterator[Node]:
    for child in node.children:
        if is_provision(child):
            yield child
        yield from iter_provisions(child)
