"""How a line announces structure: list and clause markers, headings, and the labels they carry.

A *style* names the numbering scheme of a marker ("num", "dotted2", "(lower)", "bullet-", ...);
items of one style at one indentation are siblings, a new style opens a deeper level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .styles import Style, grammar_of, keyword_pattern, label_pattern, select, style_of


def vocabulary(text: str) -> frozenset[str]:
    """A set of words written as a block of text."""
    return frozenset(text.split())


_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
_ROMAN_RE = re.compile(r"^m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$", re.I)


@lru_cache(maxsize=4096)  # asked about the same few labels again and again
def roman_value(text: str) -> int | None:
    """The value of a well-formed roman numeral, or None."""
    if not text or not _ROMAN_RE.match(text):
        return None
    total = 0
    values = [_ROMAN_VALUES[ch] for ch in text.lower()]
    for i, value in enumerate(values):
        total += -value if i + 1 < len(values) and values[i + 1] > value else value
    return total


@dataclass(frozen=True)
class Marker:
    label: str | None  # without decoration; None for a bullet
    style: str
    written: str  # the marker as the document writes it, for messages
    text: str  # the rest of the line
    kind: str  # "bullet", "ordered" or "clause"
    keyword: str | None = None  # the style's name when a keyword carried the label ("rule")

    @cached_property
    def title(self) -> str | None:
        """'Competence' of 'Rule 1.01: Competence': a title, when the clause's words follow."""
        return clause_title(self.text) if self.kind == "clause" and self.label else None


@dataclass(frozen=True)
class Keywords:
    """The keyword lines of the styles a document is expected to use, as regular expressions
    generated from the style table (styles.py)."""

    styles: tuple[Style, ...]
    clause: re.Pattern[str]  # "Rule 1.01: ...": a keyword whose line is a provision
    heading: re.Pattern[str]  # "ARTICLE 1 - ...", "Principle A:", "§ 2": a keyword that groups
    starts: frozenset[str]  # the first characters of every keyword, for a cheap first test
    names: frozenset[str]  # the names of the styles

    def allows(self, style: Style | None, label: str) -> bool:
        return style is not None and style.name in self.names and grammar_of(label) in style.labels


@lru_cache(maxsize=16)
def keywords(names: tuple[str, ...] | None = None) -> Keywords:
    """The patterns for the styles named (by a profile), or for the whole table."""
    styles = select(names)
    clause_words = keyword_pattern(styles, "clause")
    clause_labels = label_pattern(styles, "clause")
    group_words = keyword_pattern(styles, "group")
    group_labels = label_pattern(styles, "group")
    clause = re.compile(
        rf"^(?P<kw>(?i:{clause_words}))\s*(?<=[\s.§])"
        rf"(?P<label>{clause_labels})(?![\w-])\.?\s*(?:[-–—:]\s*|\s|$)(?P<text>.*)$"
    )
    heading = re.compile(
        rf"^(?P<kw>(?i:{group_words}))\.?\s*(?<=[\s.§])"
        rf"(?P<label>{group_labels})(?![\w-])\.?"
        r"(?:\s*[-–—:.]+\s*|\s+|$)(?P<title>.*)$"
    )
    starts = frozenset(
        ch for style in styles for word in style.words for ch in (word[0].lower(), word[0].upper())
    )
    return Keywords(styles, clause, heading, starts, frozenset(s.name for s in styles))


KEYWORDS = keywords()
_DOTTED = re.compile(
    r"^(?P<label>\d{1,4}(?:\.\d{1,4})+)\.?\)?(?:\s*[-–—:]\s+|\s+|$|(?=[A-Z(\[“\"']))(?P<text>.*)$"
)
_DASHED = re.compile(
    r"^(?P<label>\d{1,4}-\d{1,4}(?:\.\d{1,4})*)\.?(?:\s*[-–—:]\s+|\s+|$)(?=[A-Z(\[“\"']|$)(?P<text>.*)$"
)
_ALNUM = re.compile(r"^(?P<label>[A-Z]\d{1,3}(?:\.\d{1,3})*)[.)](?:\s+|$)(?P<text>.*)$")
_PAREN = re.compile(r"^\((?P<label>[a-z]{1,5}|[A-Z]{1,5}|\d{1,3})\)(?:\s+|$)(?P<text>.*)$")
_NUMBER = re.compile(r"^(?P<label>\d{1,3})(?P<sep>[.)])(?:\s+|$)(?P<text>.*)$")
_LETTER = re.compile(
    r"^(?P<label>[a-z]|[ivxlcdm]{2,6}|[A-Z]|[IVXLCDM]{2,7})(?P<sep>[.)])\s+(?P<text>.*)$"
)
_AUTO_NUMBER = re.compile(r"^#[.)](?:\s+|$)(?P<text>.*)$")  # reST "#." numbers itself
_BULLET = re.compile(r"^(?P<m>[-*+•·▪◦‣●○■□➢►▸»–])(?:\s+|$)(?P<text>.*)$")


def _letters_style(label: str, *, paren: bool) -> str | None:
    """'lower', 'upper', 'roman', 'ROMAN' (or their parenthesised forms); None if not a label."""
    if label.isdigit():
        style = "num"
    elif len(label) == 1:
        # i, v, x ... may be roman or alphabetic; the tree builder settles it from the neighbours.
        style = "lower" if label.islower() else "upper"
    elif roman_value(label):
        style = "roman" if label.islower() else "ROMAN"
    elif len(set(label)) == 1:  # "aa", "bb": lettering after z
        style = "lower" if label.islower() else "upper"
    else:
        return None
    return f"({style})" if paren else style


def parse_marker(line: str, kw: Keywords = KEYWORDS) -> Marker | None:
    """The list or clause marker that starts ``line`` (already stripped of indentation)."""
    first = line[:1]
    if not first:
        return None
    if first.isdigit():
        match = _DASHED.match(line) if "-" in line[:6] else None
        if match:
            label = match.group("label")
            written = line[: match.start("text")].strip()
            return Marker(
                label, f"dashed{label.count('.') + 2}", written, match.group("text"), "clause"
            )
        match = _DOTTED.match(line)
        if match:
            label = match.group("label")
            written = line[: match.start("text")].strip()
            text = match.group("text")
            style = f"dotted{label.count('.') + 1}"
            return Marker(label, style, written, text, "clause")
        match = _NUMBER.match(line)
        if match:
            sep = match.group("sep")
            written = match.group("label") + sep
            return Marker(
                match.group("label"), "num" + sep, written, match.group("text"), "ordered"
            )
        return None
    if first == "(":
        match = _PAREN.match(line)
        if match:
            style = _letters_style(match.group("label"), paren=True)
            if style:
                label = f"({match.group('label')})"
                return Marker(label, style, label, match.group("text"), "ordered")
        return None
    if first in kw.starts:
        marker = keyword_clause(line, kw)
        if marker is not None:
            return marker
    if first.isalpha():
        match = _ALNUM.match(line)
        if match:
            label = match.group("label")
            return Marker(label, "alnum", label + line[len(label)], match.group("text"), "clause")
        match = _LETTER.match(line)
        if match:
            style = _letters_style(match.group("label"), paren=False)
            if style:
                sep = match.group("sep")
                written = match.group("label") + sep
                return Marker(
                    match.group("label"), style + sep, written, match.group("text"), "ordered"
                )
        return None
    if first == "#":
        match = _AUTO_NUMBER.match(line)
        return Marker(None, "auto", "#.", match.group("text"), "ordered") if match else None
    match = _BULLET.match(line)
    if match:
        marker = match.group("m")
        text = match.group("text")
        # "- (a) Where there is ..." : a bullet that carries its own label takes it.
        inner = parse_marker(text, kw) if text[:1] == "(" else None
        if inner is not None and inner.label is not None:
            return Marker(
                inner.label, inner.style, f"{marker} {inner.written}", inner.text, "ordered"
            )
        return Marker(None, "bullet" + marker, marker, text, "bullet")
    return None


# Headings ----------------------------------------------------------------------------------------

_ROMAN_HEADING = re.compile(r"^(?P<label>[IVXLCDM]{1,7})[.)]\s+(?P<title>\S.*)$")
_LETTER_HEADING = re.compile(r"^(?P<label>[A-Z])[.)]\s+(?P<title>\S.*)$")
_NUMBERED_LETTER_HEADING = re.compile(r"^(?P<label>\d{1,2}[a-z])[.)]\s+(?P<title>[A-Z]\S*.*)$")
# "42.23.010": a statute's title, chapter and section; its subsections are cited "(6)(c)(i)".
STATUTE_SECTION = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{3}$")
_NUMBER_HEADING = re.compile(
    r"^(?P<label>\d{1,3}(?:\.\d{1,3})*)(?:[.):]\s*|\s+[-–—]\s+|\s+(?=\S))(?P<title>\S.*)$"
)
_SENTENCE_ENDS = frozenset(".;,!'\"”’)]")
_TERMINAL = re.compile(r"[.;,!]['\"”’)\]]*$")
_SMALL_WORDS = vocabulary(
    """
    a an and as at but by for from in into nor of on or over per the to under upon via vs with
    within without de la le du des
    """
)


@dataclass(frozen=True)
class HeadingLabel:
    label: str | None
    title: str
    keyword: str | None  # "article", "canon", ... when a keyword carried the label


def keyword_heading(text: str, kw: Keywords = KEYWORDS) -> HeadingLabel | None:
    """'ARTICLE 1 - RELATIONSHIP WITH CLIENTS', 'Section 2: ...', 'Canon III', 'Principle A:'."""
    if text[:1] not in kw.starts:
        return None
    match = kw.heading.match(text)
    if not match:
        return None
    label, title = match.group("label"), match.group("title").strip()
    style = style_of(match.group("kw"))
    if not kw.allows(style, label) or (label.islower() and not roman_value(label)):
        return None
    if title and title[:1].islower() and not is_title_like(title):
        return None  # "Section 2 applies to ..." is a sentence, not a heading
    assert style is not None
    return HeadingLabel(label, title, style.name)


def is_sentence(text: str) -> bool:
    """'Members shall act honestly.': words that end as a sentence does, not a title's."""
    return (
        len(text.split()) >= 3
        and bool(_TERMINAL.search(text))
        and not is_all_caps(text)
        and not is_title_like(text)
    )


def clause_title(text: str) -> str | None:
    """'Competence' in '1.01 Competence', when the clause's words follow on the next lines."""
    text = text.strip()
    if not text or len(text) > 80 or text[-1] in ".;:,!?" or not is_title_like(text, max_words=8):
        return None
    return text


def keyword_clause(line: str, kw: Keywords = KEYWORDS) -> Marker | None:
    """A keyword line that is a provision in itself: 'Rule 1.01: Competence' (a clause keyword),
    or 'Standard 1.1 Members shall act honestly.' (a group keyword followed by a sentence)."""
    match = kw.clause.match(line)
    if match:
        style = style_of(match.group("kw"))
        label, text = match.group("label"), match.group("text")
        if kw.allows(style, label):
            assert style is not None
            written = line[: match.start("text")].strip()
            depth = label.count(".") + 1
            return Marker(label, f"{style.name}{depth}", written, text, "clause", style.name)
    if line[-1] not in _SENTENCE_ENDS or not _TERMINAL.search(line):
        return None  # not a sentence
    heading = keyword_heading(line, kw)
    if heading is None or heading.label is None or not is_sentence(heading.title):
        return None
    label = heading.label
    written = line[: len(line) - len(heading.title)].strip()
    style_name = f"{heading.keyword}{label.count('.') + 1}"
    return Marker(label, style_name, written, heading.title, "clause", heading.keyword)


def wrapped_keyword_clause(line: str, next_line: str, kw: Keywords = KEYWORDS) -> Marker | None:
    """'Standard 1.1 Members shall act' wrapped before 'honestly.': the keyword line of a provision
    in itself whose sentence runs on in lower case on the next line (never a heading's title)."""
    if not next_line[:1].islower() or line[-1:] in _SENTENCE_ENDS:
        return None
    heading = keyword_heading(line, kw)
    if heading is None or heading.label is None or len(heading.title.split()) < 2:
        return None
    if is_title_like(heading.title) or is_all_caps(heading.title):
        return None
    written = line[: len(line) - len(heading.title)].strip()
    style_name = f"{heading.keyword}{heading.label.count('.') + 1}"
    return Marker(heading.label, style_name, written, heading.title, "clause", heading.keyword)


def is_title_like(text: str, *, max_words: int = 12) -> bool:
    """Short, no sentence punctuation at the end, and its words capitalised as in a title."""
    words = text.split()
    if not words or len(words) > max_words or len(text) > 100 or _TERMINAL.search(text):
        return False
    if not (text[0].isupper() or text[0].isdigit() or text[0] in "\"“'‘([#"):
        return False
    significant = [w for w in words if w.lower().strip("\"“”'‘’()[]") not in _SMALL_WORDS]
    if not significant:
        return False
    capitalised = sum(1 for w in significant if w[:1].isupper() or not w[:1].isalpha())
    return capitalised / len(significant) >= 0.75 or (len(words) <= 2 and text[0].isupper())


def is_all_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 3 and all(ch.isupper() for ch in letters)


def heading_label(text: str, kw: Keywords = KEYWORDS) -> HeadingLabel:
    """Split the label off a heading's text: '1. Purpose' -> ('1', 'Purpose'), 'CHAPTER I. X' -> ..."""
    keyword = keyword_heading(text, kw)
    if keyword:
        return keyword
    for pattern in (_ROMAN_HEADING, _LETTER_HEADING):
        match = pattern.match(text)
        if match and (pattern is _LETTER_HEADING or roman_value(match.group("label"))):
            return HeadingLabel(match.group("label"), match.group("title").strip(), None)
    match = _NUMBERED_LETTER_HEADING.match(text)
    if match:  # "1a. Lawful knowledge": clause a of group 1
        return HeadingLabel(match.group("label"), match.group("title").strip(), None)
    match = _NUMBER_HEADING.match(text)
    if match and ("." in match.group("label") or text[len(match.group("label"))] in ".):-–— "):
        title = match.group("title").strip()
        # "2024 Transparency Report" is a title that starts with a year, not section 2024.
        # A statute's "42.23.010 - Declaration of purpose." is a section number, dots and all.
        label = match.group("label")
        if (len(label) <= 3 or STATUTE_SECTION.match(label)) and not title[:1].islower():
            return HeadingLabel(match.group("label"), title, None)
    return HeadingLabel(None, text, None)


def roman_heading(text: str) -> HeadingLabel | None:
    """'I. Fundamental Canons': a roman numeral and a title on a line of its own."""
    match = _ROMAN_HEADING.match(text)
    if match and roman_value(match.group("label")) and is_title_like(match.group("title")):
        return HeadingLabel(match.group("label"), match.group("title").strip(), None)
    return None
