"""Lines to blocks: headings, list items and clauses (with their continuation lines), paragraphs.

Blocks keep the raw (still marked-up) text of their lines; inline markup is removed later.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .patterns import (
    KEYWORDS,
    Keywords,
    Marker,
    is_all_caps,
    is_sentence,
    is_title_like,
    keyword_heading,
    parse_marker,
    roman_heading,
    wrapped_keyword_clause,
)
from .source import RST_ADORNMENT

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ENDS_PARAGRAPH = re.compile(r"[.!?:;]['\"”’)\]*_]*$")
# The characters that RST_ADORNMENT lines and _HR rules are made of.
_ADORNMENT_CHARS = frozenset("=-~+^*#\"'`:._")
_ENDS_SENTENCE = re.compile(r"[.!?]['\"”’)\]*_]*$")
_FIRST_TOKEN = re.compile(r" *\S+ +")
_CONTINUES = re.compile(r"(?:[,(\-–—/]|\b(?:and|or|nor|of|the|a|an|to|in|for|with|by|that))$", re.I)


@dataclass
class Block:
    kind: str  # "heading", "item" or "para"
    line: int
    indent: int = 0
    # headings
    level: int = 0  # 1-6 from markup; 0 for a heading the text alone announces
    markup: str = ""  # "atx", "underline", "keyword", "roman", "caps", "bare"
    # items
    marker: Marker | None = None
    content_indent: int = 0
    paragraphs: list[list[str]] = field(default_factory=list)

    @property
    def first_line(self) -> str:
        return self.paragraphs[0][0] if self.paragraphs and self.paragraphs[0] else ""


class _BlockParser:
    def __init__(self, lines: list[tuple[int, str]], fmt: str, kw: Keywords = KEYWORDS) -> None:
        self.lines = lines
        self.fmt = fmt
        self.kw = kw
        # "Rule 1.01: Competence" on a line of its own: the paragraphs after it are its text.
        self.titled: Block | None = None
        self.blocks: list[Block] = []
        self.current: Block | None = None  # the block a lazy continuation line joins
        self.open_items: list[Block] = []  # items an indented paragraph may continue
        self.blank = True
        self.rst_styles: list[tuple[str, bool]] = []
        self.wrap_width = _wrap_width(lines) if fmt == "text" else None
        self._markers: dict[str, Marker | None] = {}  # parse_marker's answer for each line

    # helpers ------------------------------------------------------------------------------
    def _marker(self, stripped: str) -> Marker | None:
        """parse_marker, once per line: a line is asked about again as the next line, and by
        the heading tests before the loop reads it as an item."""
        try:
            return self._markers[stripped]
        except KeyError:
            marker = self._markers[stripped] = parse_marker(stripped, self.kw)
            return marker

    def _line(self, i: int) -> str:
        return self.lines[i][1] if 0 <= i < len(self.lines) else ""

    def _next_nonblank(self, i: int) -> str:
        for j in range(i, min(len(self.lines), i + 40)):
            if self.lines[j][1].strip():
                return self.lines[j][1]
        return ""

    def _emit(self, block: Block) -> Block:
        self.blocks.append(block)
        self.blank = False
        return block

    def _heading(self, no: int, text: str, level: int, markup: str) -> None:
        self._emit(Block("heading", no, level=level, markup=markup, paragraphs=[[text]]))
        self.current = None
        self.open_items = []
        self.titled = None

    def _rst_level(self, char: str, over: bool) -> int:
        key = (char, over)
        if key not in self.rst_styles:
            self.rst_styles.append(key)
        return min(self.rst_styles.index(key) + 1, 6)

    # the loop -----------------------------------------------------------------------------
    def run(self) -> list[Block]:
        i = 0
        while i < len(self.lines):
            i = self._step(i)
        return self.blocks

    def _step(self, i: int) -> int:
        no, line = self.lines[i]
        stripped = line.strip()
        if not stripped:
            self.blank = True
            self.current = None
            return i + 1
        consumed = self._underlined_heading(i, stripped)
        if consumed:
            return i + consumed
        first = stripped[0]  # each pattern below needs its own first character
        atx = _ATX.match(line) if first == "#" and self.fmt != "rst" else None
        if atx:
            self._heading(no, atx.group(2) or "", len(atx.group(1)), "atx")
            return i + 1
        if first in _ADORNMENT_CHARS and (
            _HR.match(line) or (RST_ADORNMENT.match(stripped) and len(stripped) >= 4)
        ):
            self.blank = True
            self.current = None
            self.open_items = []
            return i + 1
        indent = len(line) - len(line.lstrip(" "))
        if self._text_heading(i, no, stripped):
            return i + 1
        marker = self._marker(stripped)
        if marker is not None and not self._is_lazy_continuation(marker, indent):
            self._item(no, indent, line, marker)
            return i + 1
        self._text(no, indent, stripped)
        return i + 1

    def _underlined_heading(self, i: int, stripped: str) -> int:
        """A title under (or between) a line of = - ~ ...: rst sections, setext and plain text."""
        no = self.lines[i][0]
        over = RST_ADORNMENT.match(stripped) if stripped[0] in _ADORNMENT_CHARS else None
        if over and i + 2 < len(self.lines):
            title = self._line(i + 1).strip()
            under = self._line(i + 2).strip()
            if title and under == stripped and len(stripped) >= len(title) - 1:
                self._heading(no + 1, title, self._rst_level(stripped[0], True), "underline")
                return 3
        below = self._line(i + 1).strip()
        under = RST_ADORNMENT.match(below) if below[:1] in _ADORNMENT_CHARS else None
        if not under or over or (self.current is not None and self.current.kind == "item"):
            return 0
        if self._marker(stripped) is not None:
            return 0  # "- item" above a rule is a list item
        if self.fmt == "markdown" and below[0] not in "=-":
            return 0
        if self.fmt != "rst" and len(below) < min(len(stripped), 3):
            return 0
        if self.fmt == "rst" and len(below) < len(stripped) - 1:
            return 0
        if self.fmt == "markdown":
            level = 1 if below[0] == "=" else 2
        else:
            level = self._rst_level(below[0], False)
        self._heading(no, stripped, level, "underline")
        return 2

    def _text_heading(self, i: int, no: int, stripped: str) -> bool:
        """Headings that only their wording announces: keywords, roman numerals, capitals, titles."""
        starts_paragraph = self.blank or self.current is None or self._previous_ends_paragraph()
        keyword = keyword_heading(stripped, self.kw)
        if keyword and is_sentence(keyword.title):
            keyword = None  # "Standard 1.1 Members shall act honestly.": a provision, not a heading
        elif keyword and keyword.label is not None:
            nxt = self._line(i + 1).strip()
            clause = wrapped_keyword_clause(stripped, nxt, self.kw) if nxt else None
            if clause is not None and parse_marker(nxt, self.kw) is None:
                line = self.lines[i][1]
                self._item(no, len(line) - len(line.lstrip(" ")), line, clause)
                return True
        if keyword and (
            starts_paragraph
            or not keyword.title
            or is_all_caps(keyword.title)
            or is_title_like(keyword.title)
        ):
            self._heading(no, stripped, 0, "keyword")
            return True
        if not starts_paragraph:
            return self._sandwiched_title(i, no, stripped)
        if roman_heading(stripped) and not self._same_series_follows(i, stripped):
            self._heading(no, stripped, 0, "roman")
            return True
        if self._marker(stripped) is not None:
            return False
        if self.fmt == "markdown":
            return self._sandwiched_title(i, no, stripped)
        if self.fmt == "rst":
            return False  # reStructuredText underlines its headings
        nxt = self._line(i + 1).strip()
        if is_all_caps(stripped) and len(stripped.split()) <= 15 and not stripped.endswith(","):
            self._heading(no, stripped, 0, "caps")
            return True
        if (
            stripped[0].isalpha()
            and is_title_like(stripped, max_words=10)
            and not stripped.endswith(":")
            and (nxt or self._next_nonblank(i + 1))
            and (not self.blocks or self._previous_ends_paragraph() or self.blank)
        ):
            self._heading(no, stripped, 0, "bare")
            return True
        return False

    def _sandwiched_title(self, i: int, no: int, stripped: str) -> bool:
        """Mozilla's bare 'Be Inclusive': a short title between two paragraphs, no blank lines."""
        if self.current is None or self.current.kind != "para" or self.fmt == "rst":
            return False
        nxt = self._line(i + 1).strip()
        if (
            stripped[0].isalpha()
            and len(stripped.split()) <= 6
            and is_title_like(stripped, max_words=6)
            and not stripped.endswith(":")
            and self._previous_ends_paragraph(strict=True)
            and nxt
            and self._marker(nxt) is None
            and nxt[0].isupper()
        ):
            self._heading(no, stripped, 0, "bare")
            return True
        return False

    def _previous_ends_paragraph(self, strict: bool = False) -> bool:
        if self.current is None or not self.current.paragraphs:
            return True
        last = self.current.paragraphs[-1][-1]
        if strict:
            return bool(_ENDS_SENTENCE.search(last))
        return bool(_ENDS_PARAGRAPH.search(last))

    def _same_series_follows(self, i: int, stripped: str) -> bool:
        """'A. Be kind' followed by 'B. Be fair' is a list, not two headings."""
        this = self._marker(stripped)
        nxt = self._marker(self._next_nonblank(i + 1).strip())
        return this is not None and nxt is not None and nxt.style == this.style

    def _is_lazy_continuation(self, marker: Marker, indent: int) -> bool:
        """'2.1 of the covenant' wrapped onto a new line is not clause 2.1."""
        current = self.current
        if self.blank or current is None or marker.kind == "bullet":
            return False
        if not marker.text[:1].islower():
            return False
        # "b. pausing ..." after "a. denying ..." continues the list, lower case or not.
        continues_list = current.marker is not None and (
            marker.style == current.marker.style or indent <= current.indent
        )
        if current.kind == "item" and continues_list:
            return False
        return not self._previous_ends_paragraph()

    def _item(self, no: int, indent: int, line: str, marker: Marker) -> None:
        # Where the item's words start, after its marker: an indented paragraph continues it.
        first_token = _FIRST_TOKEN.match(line)
        content_indent = first_token.end() if first_token else indent + 2
        block = self._emit(
            Block(
                "item",
                no,
                indent,
                marker=marker,
                content_indent=content_indent,
                paragraphs=[[marker.text]],
            )
        )
        self.open_items = [b for b in self.open_items if b.indent < indent] + [block]
        self.current = block
        self.titled = block if marker.kind == "clause" else None  # titled if marker.title

    def _text(self, no: int, indent: int, stripped: str) -> None:
        if self.blank:
            owner = self._continued_item(indent)
            if owner is None and self.titled and self.titled.marker and self.titled.marker.title:
                owner = self.titled
            if owner is not None:
                owner.paragraphs.append([stripped])
                self.current = owner
                self.blank = False
                return
            self.open_items = []
        elif self.current is not None and self._joins(stripped):
            self.current.paragraphs[-1].append(stripped)
            return
        elif self.current is not None and self.current.kind == "item":
            self.current.paragraphs.append([stripped])
            return
        block = self._emit(Block("para", no, indent, paragraphs=[[stripped]]))
        self.current = block

    def _continued_item(self, indent: int) -> Block | None:
        """The open list item that an indented paragraph after a blank line belongs to."""
        for block in reversed(self.open_items):
            if indent >= block.content_indent or (indent > block.indent and self.fmt == "rst"):
                return block
        return None

    def _joins(self, line: str) -> bool:
        """Does a line with no blank line before it continue the current paragraph?"""
        assert self.current is not None
        current = self.current
        if (
            current is self.titled
            and line[:1].isupper()
            and len(current.paragraphs) == 1
            and len(current.paragraphs[0]) == 1
            and current.marker is not None
            and current.marker.title
        ):
            return False  # the title of "Rule 1.01: Competence" stands alone
        if self.fmt != "text":
            return True
        previous = self.current.paragraphs[-1][-1]
        if not _ENDS_PARAGRAPH.search(previous):
            if line[:1].islower() or _CONTINUES.search(previous):
                return True
            return self.wrap_width is not None and len(previous) >= self.wrap_width
        # A text file that wraps its lines may end one at a full stop mid-paragraph.
        return self.wrap_width is not None and self.current.kind == "item"


def _wrap_width(lines: list[tuple[int, str]]) -> int | None:
    """For a plain text file hard-wrapped at a fixed width, the length above which a line was wrapped."""
    lengths = sorted(len(line) for _, line in lines if line.strip())
    if len(lengths) < 4:
        return None
    high = lengths[int(len(lengths) * 0.9)]
    if high > 100:
        return None  # one paragraph per line: nothing was wrapped
    return int(high * 0.7)


def parse_blocks(lines: list[tuple[int, str]], fmt: str, kw: Keywords = KEYWORDS) -> list[Block]:
    return _BlockParser(lines, fmt, kw).run()


# Plain text: lines whose numbering was lost --------------------------------------------------------

_FOOTNOTE = re.compile(r"^(?:Footnote|Note)\s+(?P<n>\d{1,2})\b")
_NOTE = re.compile(r"^(?:NOTE|Note|N\.B\.|Footnote)\b\s*[:\d]")
_LINE_MARKER = Marker(None, "line", "", "", "line")


def attach_footnotes(blocks: list[Block]) -> list[Block]:
    """'Footnote 1 ...' joins the paragraph whose word carries the mark ('development1')."""
    out: list[Block] = []
    for block in blocks:
        match = _FOOTNOTE.match(block.first_line) if block.kind == "para" else None
        if match and _attach(out, match.group("n"), block):
            continue
        out.append(block)
    return out


def _attach(previous: list[Block], number: str, footnote: Block) -> bool:
    mark = re.compile(rf"(?<=[a-z]{{3}}){number}(?=\b|[^\w])")
    for block in reversed(previous):
        for paragraph in block.paragraphs:
            for i, line in enumerate(paragraph):
                if mark.search(line):
                    paragraph[i] = mark.sub("", line, count=1)
                    block.paragraphs.extend(footnote.paragraphs)
                    return True
    return False


def lines_as_items(
    blocks: list[Block], clean: Callable[[str], str], is_labelled: Callable[[str], bool]
) -> list[str]:
    """A plain text copied from a web page loses its list numbers: one provision per line.

    Under a labelled heading ("II. Rules of Practice") every paragraph is then a provision, but
    for an opening lead-in that ends with a colon; elsewhere only the paragraphs that follow such a
    lead-in are. A note ("NOTE: ...") ends the run and stays prose. Returns a warning per run.
    """
    warnings = []
    heading: Block | None = None
    run: list[Block] = []
    for block in [*blocks, None]:
        if block is not None and block.kind == "para":
            run.append(block)
            continue
        title = clean(heading.first_line) if heading is not None else ""
        converted = _convert_run(run, bool(title) and is_labelled(title)) if run else []
        if converted and _bare_numbers(converted):
            under = f' under "{title}"' if title else ""
            warnings.append(
                f"line {converted[0].line}: {len(converted)} lines{under} are numbered 1 to "
                f"{len(converted)} with no full stop after the number; each became the provision "
                "its number says"
            )
        elif converted:
            under = f' under "{title}"' if title else ""
            warnings.append(
                f"line {converted[0].line}: {len(converted)} lines{under} carry no numbers; "
                "each became a provision, numbered by its position"
            )
        run = []
        if block is not None and block.kind == "heading":
            heading = block
        elif block is not None:
            heading = None  # prose after items stays prose
    return warnings


_BARE_NUMBER = re.compile(r"^(\d{1,3})\s+(?=[A-Z(“\"])")


def _bare_numbers(converted: list[Block]) -> bool:
    """'1 Members shall ...', '2 Members shall not ...': lines that kept their numbers but lost
    the full stop after them take those numbers, when they count up from 1 one by one."""
    matches = [_BARE_NUMBER.match(block.first_line) for block in converted]
    if len(converted) < 2 or not all(matches):
        return False
    numbers = [int(m.group(1)) for m in matches if m]
    if numbers != list(range(1, len(numbers) + 1)):
        return False
    for block, match in zip(converted, matches, strict=True):
        assert match is not None
        number = match.group(1)
        block.paragraphs[0][0] = block.first_line[match.end() :]
        block.marker = Marker(number, "num", number, block.paragraphs[0][0], "ordered")
    return True


def _convert_run(run: list[Block], labelled: bool) -> list[Block]:
    start = None
    if labelled and len(run) >= 2:
        start = 1 if _ends_with_colon(run[0]) else 0
    else:
        for i, block in enumerate(run[:-1]):
            if _ends_with_colon(block):
                start = i + 1
                break
    converted: list[Block] = []
    for block in run[start:] if start is not None else ():
        if _NOTE.match(block.first_line):
            break
        block.kind = "item"
        block.marker = _LINE_MARKER
        block.content_indent = block.indent + 1
        converted.append(block)
    return converted


def _ends_with_colon(block: Block) -> bool:
    last = block.paragraphs[-1][-1].rstrip() if block.paragraphs and block.paragraphs[-1] else ""
    return last.endswith(":")
