"""Blocks to a tree of provisions.

Provisions are headings and items (list items, numbered clauses). Prose belongs to the heading
it stands under: it is that heading's text, or the preamble before the first heading. A paragraph
that ends with a colon is also the lead-in of the list right after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .blocks import Block
from .patterns import KEYWORDS, Keywords, heading_label, roman_value
from .semantics import lead_in_of
from .styles import BY_NAME

MAX_DEPTH = 24  # provisions nest no deeper than this, whatever the indentation says


@dataclass
class Node:
    kind: str  # "root", "heading", "item", or "prose" (a paragraph at the top, before headings)
    line: int
    label: str | None = None
    heading: str | None = None
    texts: list[str] = field(default_factory=list)
    text_lines: list[int] = field(default_factory=list)  # the line each text starts on
    children: list[Node] = field(default_factory=list)
    level: int = 0
    indent: int = 0
    style: str | None = None
    keyword: str | None = None  # "article", "canon", ... for a heading that named its kind
    list_id: int = 0  # items of one list share it
    lead_in: str | None = None  # the words of the parent that introduce this provision
    current_lead: str | None = None  # lead-in for the next items added under this node
    open_list: tuple[int, str] | None = None  # the list that the next item may continue
    inline_source: str | None = None  # the text as written, before inline sub-clauses split off
    lead_context: str | None = None  # the lead-in read on its own, with its parent's lead-in
    transparent: bool = False  # groups provisions without adding to their citations
    citation: str | None = None
    full_text: str = ""
    modality: str | None = None
    subject: str | None = None

    @property
    def text(self) -> str:
        texts = self.texts
        if len(texts) == 1:  # most provisions: their one paragraph, as the join would give it
            return texts[0]
        return "\n\n".join(filter(None, texts))

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Tree:
    root: Node
    title: str | None
    preamble: list[str]
    warnings: list[str] = field(default_factory=list)


class TreeBuilder:
    def __init__(
        self, blocks: list[Block], clean: Callable[[str], str], kw: Keywords = KEYWORDS
    ) -> None:
        self.blocks = blocks
        self.clean = clean
        self.kw = kw
        self.root = Node("root", 0)
        self.stack: list[Node] = [self.root]
        self.kinds: list[str] = []  # kinds of labelled text headings, outermost first
        self.base_level = max((b.level for b in blocks if b.kind == "heading"), default=0)
        self.last_level = 0
        self.lists = 0
        self.warnings: list[str] = []
        # A paragraph just after a numbered item: (its line, the item, where it was put).
        self.after_item: tuple[int, Node, Node] | None = None
        self.depths = self._keyword_depths()

    def build(self) -> Tree:
        title, start = self._title()
        for block in self.blocks[start:]:
            if block.kind == "heading":
                self._heading(block)
            elif block.kind == "item":
                self._item(block)
            else:
                self._para(block)
        return Tree(self.root, title, [], self.warnings)

    # the title ---------------------------------------------------------------------------------
    def _title(self) -> tuple[str | None, int]:
        """The first block, when it is an unlabelled heading at the top level of the document."""
        if not self.blocks or self.blocks[0].kind != "heading":
            return None, 0
        first = self.blocks[0]
        text = self.clean(first.first_line)
        if not text or heading_label(text, self.kw).label is not None:
            return None, 0
        levels = [b.level for b in self.blocks if b.kind == "heading" and b.level]
        if first.level and first.level > min(levels):
            return None, 0
        if not first.level and first.markup not in ("bare", "caps"):
            return None, 0
        return text, 1

    # headings ----------------------------------------------------------------------------------
    def _keyword_depths(self) -> dict[str, int]:
        """How deep each keyword style met in the text stands, from the text itself: a style
        encloses another when the other's headings come under two or more of its own (Chapter I,
        Article 1, Chapter II, Article 5), or, met only one after the other, when the style table
        ranks it further out (one Part, then its Sections). Otherwise they are siblings: lettered
        Principles, then numbered Standards."""
        order: list[str] = []  # keyword styles by first appearance
        seen_after: dict[str, set[str]] = {}  # style -> the styles met after its first heading
        interleaved: set[tuple[str, str]] = set()  # (outer, inner): outer came again after inner
        for block in self.blocks:
            if block.kind != "heading" or block.level:
                continue
            keyword = heading_label(self.clean(block.first_line), self.kw).keyword
            if keyword is None:
                continue
            for earlier in order:
                if earlier != keyword and earlier in seen_after.get(keyword, ()):
                    interleaved.add((keyword, earlier))
            for earlier in order:
                if earlier != keyword:
                    seen_after.setdefault(earlier, set()).add(keyword)
            if keyword not in order:
                order.append(keyword)
        depths: dict[str, int] = {}
        for i, inner in enumerate(order):
            depth = 1
            for outer in order[:i]:
                encloses = (outer, inner) in interleaved or (
                    (inner, outer) not in interleaved and BY_NAME[outer].rank < BY_NAME[inner].rank
                )
                if encloses:
                    depth = max(depth, depths[outer] + 1)
            depths[inner] = depth
        return depths

    def _level(self, block: Block, label: str | None, keyword: str | None) -> int:
        if block.level:
            return block.level
        if label is not None:
            kind = keyword or block.markup
            if kind not in self.kinds:
                self.kinds.append(kind)
            if keyword in self.depths:
                return self.base_level + self.depths[keyword]
            return self.base_level + self.kinds.index(kind) + 1
        # An unmarked title without a label sits beside the heading before it.
        return self.last_level or self.base_level + 1

    def _heading(self, block: Block) -> None:
        self.after_item = None
        text = self.clean(block.first_line)
        parsed = heading_label(text, self.kw)
        level = self._level(block, parsed.label, parsed.keyword)
        self.last_level = level
        while len(self.stack) > 1 and (
            self.stack[-1].kind != "heading" or self.stack[-1].level >= level
        ):
            self.stack.pop()
        node = Node(
            "heading",
            block.line,
            label=parsed.label,
            heading=parsed.title or None,
            level=level,
            keyword=parsed.keyword,
        )
        # "When taking an incident report:" introduces the list right under it.
        if node.heading and node.heading.rstrip().endswith(":"):
            node.current_lead = node.heading
        self.stack[-1].children.append(node)
        self.stack[-1].open_list = None
        self.stack.append(node)

    # prose -------------------------------------------------------------------------------------
    def _para(self, block: Block) -> None:
        last_item = self.stack[-1] if self.stack[-1].kind == "item" else None
        while self.stack[-1].kind == "item":
            self.stack.pop()
        container = self.stack[-1]
        texts = [t for t in (self.clean(" ".join(lines)) for lines in block.paragraphs) if t]
        if not texts:
            return
        if last_item is not None and self.after_item is None:
            self.after_item = (block.line, last_item, container)
        if container.kind == "root":
            # Prose at the top: preamble, or provisions when the text has no structure at all.
            container.children.append(Node("prose", block.line, texts=texts))
        else:
            container.texts.extend(texts)
            container.text_lines.extend([block.line] * len(texts))
        container.current_lead = lead_in_of(texts[-1])
        container.open_list = None

    # items -------------------------------------------------------------------------------------
    def _item(self, block: Block) -> None:
        marker = block.marker
        assert marker is not None
        paragraphs = block.paragraphs
        title = None
        if len(paragraphs) > 1 and paragraphs[0] == [marker.text] and marker.title:
            # "Rule 1.01: Competence", then its paragraphs: a titled clause.
            title, paragraphs = self.clean(marker.title), paragraphs[1:]
        node = Node(
            "item",
            block.line,
            label=marker.label,
            heading=title or None,
            texts=[t for t in (self.clean(" ".join(p)) for p in paragraphs) if t],
            indent=block.indent,
            style=marker.style,
            keyword=marker.keyword,
        )
        parent = self._parent_of(node)
        self._check_interrupted(node, parent)
        if parent.open_list is not None and parent.open_list[1] == node.style:
            node.list_id = parent.open_list[0]
        else:
            self.lists += 1
            node.list_id = self.lists
            parent.open_list = (node.list_id, node.style or "")
        if parent.kind == "item":
            node.lead_in = lead_in_of(parent.texts[-1]) if parent.texts else None
        else:
            node.lead_in = parent.current_lead
        parent.children.append(node)
        self.stack.append(node)

    def _check_interrupted(self, node: Node, parent: Node) -> None:
        """A paragraph between two numbered items of one list ("1.1 ...", a paragraph, "1.2 ...")
        belongs to neither for sure: it is put in the text of the enclosing provision, and said."""
        after, self.after_item = self.after_item, None
        if after is None:
            return
        line, before, container = after
        if (
            container.kind != "root"  # at the top the paragraph becomes a provision, and is said
            and parent is container
            and before.style == node.style
            and _numbered(before)
            and _numbered(node)
            and _goes_on(before.label or "", node.label or "")
        ):
            where = _name(container)
            self.warnings.append(
                f"line {line}: a paragraph between {before.label} (line {before.line}) and "
                f"{node.label} (line {node.line}) was put in the text of {where}; "
                f"check whether it belongs to {before.label}"
            )

    def _parent_of(self, node: Node) -> Node:
        while True:
            top = self.stack[-1]
            if top.kind != "item":
                return top
            if len(self.stack) > MAX_DEPTH:
                # Deeper than any code goes: a sibling of the deepest item, not a new level.
                self.stack.pop()
                return self.stack[-1]
            if top.indent > node.indent + 1:
                self.stack.pop()
                continue
            if top.indent < node.indent - 1:
                return top
            _settle_roman(node, top)
            if top.style == node.style:
                self.stack.pop()
                return self.stack[-1]
            if any(
                n.kind == "item" and n.style == node.style and abs(n.indent - node.indent) <= 1
                for n in self.stack
            ):
                self.stack.pop()
                continue
            return top


def _numbered(node: Node) -> bool:
    """An item that the document numbers (not a bullet)."""
    return node.label is not None and not (node.style or "").startswith(("bullet", "line", "prose"))


def _value(label: str) -> int | None:
    """1.2 -> 2, (c) -> 3, iv -> 4: the last number or letter of a label, as a number."""
    last = label.strip("().").rsplit(".", 1)[-1]
    if last.isdigit():
        return int(last)
    if len(last) == 1 and last.isalpha():
        return ord(last.lower()) - ord("a") + 1
    return roman_value(last)


def _goes_on(before: str, label: str) -> bool:
    """Does ``label`` carry on the numbering of ``before`` (rather than start a new list)?"""
    then, now = _value(before), _value(label)
    return then is not None and now is not None and now > then


def _name(node: Node) -> str:
    """How a warning names a provision before citations exist: its label, or its heading."""
    if node.kind == "root":
        return "the preamble"
    if node.label:
        return node.label
    return f'"{node.heading}"' if node.heading else f"the provision at line {node.line}"


def _as_roman(style: str) -> str:
    return style.replace("lower", "roman").replace("upper", "ROMAN")


def _settle_roman(node: Node, previous: Node) -> None:
    """'i' after 'h' is a letter; 'i' under '(a)', or 'v' after 'iv', is a roman numeral."""
    style, label = node.style or "", (node.label or "").strip("()")
    prev = (previous.label or "").strip("()")
    if "roman" in style.lower() and prev.lower() == "i" and roman_value(label) == 2:
        # "(ii)" shows that the "(i)" before it was a roman numeral, not the letter i.
        if previous.style and _as_roman(previous.style) == style:
            previous.style = style
        return
    if len(label) != 1 or not roman_value(label) or not ("lower" in style or "upper" in style):
        return
    roman = _as_roman(style)
    if previous.style == style and len(prev) == 1 and ord(label.lower()) == ord(prev.lower()) + 1:
        return
    if (
        previous.style == roman
        and roman_value(prev)
        and roman_value(label) == (roman_value(prev) or 0) + 1
    ):
        node.style = roman
        return
    if label.lower() == "i" and (previous.style != style or prev.lower() != "h"):
        node.style = roman


def build_tree(blocks: list[Block], clean: Callable[[str], str], kw: Keywords = KEYWORDS) -> Tree:
    return TreeBuilder(blocks, clean, kw).build()
