"""The numbering styles a code may use, as data: one row per keyword.

Each style says how its lines start (its keyword's spellings), which labels follow the keyword
(its label grammars), whether it heads a group of provisions or is a provision in itself, how its
citation is formed, and how far out it usually stands (its rank: a part encloses a chapter, a
chapter an article). The patterns that recognise keyword lines are generated from this table
(patterns.py); the tree builder settles which style encloses which from the document itself, the
rank only breaking ties (tree.py). docs/guide-codes.md shows the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Role = Literal["group", "clause"]
Citation = Literal["relative", "self"]

# Label grammars: how a label is written. A style lists those it accepts.
GRAMMARS: dict[str, str] = {
    "dashed": r"\d{1,4}-\d{1,4}(?:\.\d{1,4})*",  # 4-1.1
    "dotted": r"\d{1,4}(?:\.\d{1,4})+",  # 1.01, 2.3.1
    "arabic": r"\d{1,4}",
    "roman": r"[IVXLCDM]{1,7}|[ivxlcdm]{1,7}",
    "letter": r"[A-Z]",
}


@dataclass(frozen=True)
class Style:
    name: str  # the keyword, lower case, as a profile names it: "article", "§", "none"
    words: tuple[str, ...]  # how the document spells the keyword (case does not matter)
    labels: tuple[str, ...]  # label grammars, from GRAMMARS
    role: Role  # "group": heads provisions; "clause": a provision in itself
    citation: Citation  # "relative": 1.2(c) under its parent; "self": 1.01 on its own
    rank: int  # how far out it usually stands: 1 (part) to 5 (clause)
    cite_as: str = "{label}"  # "§ {label}" for a style cited with its sign

    def cite(self, label: str) -> str:
        return self.cite_as.format(label=label)


_GROUP_LABELS = ("dashed", "dotted", "arabic", "roman", "letter")
_CLAUSE_LABELS = ("dashed", "dotted", "arabic")

STYLES: tuple[Style, ...] = (
    Style("part", ("part",), _GROUP_LABELS, "group", "relative", 1),
    Style("division", ("division",), _GROUP_LABELS, "group", "relative", 1),
    Style("appendix", ("appendix",), _GROUP_LABELS, "group", "relative", 1),
    Style("schedule", ("schedule",), _GROUP_LABELS, "group", "relative", 1),
    Style("annex", ("annex",), _GROUP_LABELS, "group", "relative", 1),
    Style("chapter", ("chapter",), _GROUP_LABELS, "group", "relative", 2),
    Style("article", ("article",), _GROUP_LABELS, "group", "relative", 3),
    Style("canon", ("canon",), _GROUP_LABELS, "group", "relative", 3),
    Style("principle", ("principle",), _GROUP_LABELS, "group", "relative", 3),
    Style("standard", ("standard",), _GROUP_LABELS, "group", "relative", 3),
    Style("tenet", ("tenet",), _GROUP_LABELS, "group", "relative", 3),
    Style("section", ("section",), _GROUP_LABELS, "group", "relative", 4),
    Style("§", ("§",), ("dotted", "arabic"), "group", "relative", 4, "§ {label}"),
    Style("rule", ("rule",), _CLAUSE_LABELS, "clause", "self", 5),
    Style("clause", ("clause",), _CLAUSE_LABELS, "clause", "self", 5),
    Style("paragraph", ("paragraph",), _CLAUSE_LABELS, "clause", "self", 5),
    Style("regulation", ("regulation",), _CLAUSE_LABELS, "clause", "self", 5),
    Style("art.", ("art.",), _CLAUSE_LABELS, "clause", "self", 5),
    # No keyword: "1.", "1.01", "4-1.1", "(a)", "iv)". Recognised by parse_marker's own patterns
    # (patterns.py), which use the same grammars; listed so that a profile can name it.
    Style(
        "none",
        (),
        ("dashed", "dotted", "arabic", "roman", "letter"),
        "clause",
        "self",
        5,
    ),
)

BY_NAME: dict[str, Style] = {style.name: style for style in STYLES}
_BY_WORD: dict[str, Style] = {word: style for style in STYLES for word in style.words}


def select(names: tuple[str, ...] | None) -> tuple[Style, ...]:
    """The styles a profile expects, in its order; all of them when it names none.

    Raises ValueError for a name that is not in the table, with the names that are.
    """
    if names is None:
        return STYLES
    unknown = [name for name in names if name.lower() not in BY_NAME]
    if unknown:
        known = ", ".join(BY_NAME)
        raise ValueError(f"unknown numbering style {', '.join(unknown)}; known: {known}")
    return tuple(BY_NAME[name.lower()] for name in names)


def style_of(word: str) -> Style | None:
    """The style a keyword as written names: 'ARTICLES' -> article, 'Art.' -> art."""
    key = word.lower()
    style = _BY_WORD.get(key)
    if style is None and key.endswith("s"):
        style = _BY_WORD.get(key[:-1])
    return style


_COMPILED = [(name, re.compile(pattern)) for name, pattern in GRAMMARS.items()]


def grammar_of(label: str) -> str | None:
    """Which grammar a label is written in: '4-1.1' dashed, '1.01' dotted, 'IV' roman, ..."""
    for name, pattern in _COMPILED:
        if pattern.fullmatch(label):
            return name
    return None


def keyword_pattern(styles: tuple[Style, ...], role: Role) -> str:
    """A regular expression alternation of the keywords of the styles with ``role``: longest first,
    each optionally plural ('Rules 1.1'), the '.' of an abbreviation kept."""
    words = sorted({w for s in styles if s.role == role for w in s.words}, key=len, reverse=True)
    parts = []
    for word in words:
        escaped = re.escape(word)
        parts.append(escaped if not word[-1].isalpha() else f"{escaped}s?")
    return "|".join(parts) or r"(?!x)x"


def label_pattern(styles: tuple[Style, ...], role: Role) -> str:
    """The alternation of the label grammars the styles with ``role`` accept, longest first."""
    used = {g for s in styles if s.role == role for g in s.labels}
    return "|".join(GRAMMARS[g] for g in GRAMMARS if g in used) or r"(?!x)x"
