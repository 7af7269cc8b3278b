"""From a string to numbered lines: normalised, format guessed, front matter and markup scaffolding out.

What leaves this module is a list of (line number, line) pairs that still carry list markers,
heading markers and indentation, plus what the front matter said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .inline import collapse, strip_html
from .patterns import vocabulary

FORMATS = ("text", "markdown", "rst")

_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACES = str.maketrans({"\xa0": " ", "\u2007": " ", "\u202f": " ", "\u3000": " "})
# Control and invisible characters that carry no text: dropped.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f\u200b\u200c\u200d\u2060\ufeff]")

_SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".mkd": "markdown",
    ".rst": "rst",
    ".rest": "rst",
    ".txt": "text",
    ".text": "text",
}

RST_ADORNMENT = re.compile(r"^([=\-~+^*#\"'`:._])\1{2,}$")
# Signs of Markdown that plain text rarely has ("1." and "-" lists are common in both).
_MD_SIGNS = re.compile(r"^#{1,6}\s|^\s*[*+]\s+\S|\*\*\S|__\S|\]\(|^\[[^\]]+\]:\s|^```")
_RST_SIGNS = re.compile(r"^\.\.\s+(?:_[^:]+:|[\w-]+::)|:\w+:`")

_FRONT_KEY = re.compile(r"^([A-Za-z][\w-]*)\s*[:=]\s*(.*)$")
_PELICAN_KEYS = vocabulary(
    """
    title date modified author authors category tags slug summary lang status license template
    save_as url translation keywords description layout
    """
)
_BLOCKQUOTE = re.compile(r"^ {0,3}(?:> ?)+")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[([^\[\]]+)\]:\s*\S")
_HTML_COMMENT_START = "<!--"
_HTML_BLOCK_START = re.compile(
    r"^\s{0,3}<(table|div|p|ul|ol|dl|blockquote|pre|center|h[1-6])[\s>]", re.I
)
_HTML_HEADING = re.compile(r"^\s{0,3}<h([1-6])(?:\s[^<>]*)?>(.*?)</h\1>\s*$", re.I)
_HTML_ROW_START = re.compile(r"<tr(?:\s[^<>]*)?>", re.I)
_HTML_ROW_END = re.compile(r"</tr\s*>", re.I)
_HTML_CELL_START = re.compile(r"<t[hd](?:\s[^<>]*)?>", re.I)
_RST_EXPLICIT = re.compile(r"^\.\.(?:\s|$)")
_RST_DIRECTIVE_WITH_BODY = re.compile(r"^\.\.\s+[\w-]+::")


@dataclass
class Source:
    format: str
    lines: list[tuple[int, str]]
    meta: dict[str, str] = field(default_factory=dict)
    references: frozenset[str] = frozenset()


def normalise(text: str) -> str:
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text.translate(_SPACES))
    return "\n".join(line.expandtabs(4).rstrip() for line in text.split("\n"))


def guess_format(text: str, filename: str | None) -> str:
    if filename:
        lowered = filename.lower()
        for suffix, fmt in _SUFFIXES.items():
            if lowered.endswith(suffix):
                return fmt
    lines = text.split("\n", 2000)[:2000]
    rst = markdown = 0
    for i, line in enumerate(lines):
        if _RST_SIGNS.search(line):
            rst += 2
        elif (
            i
            and RST_ADORNMENT.match(line)
            and lines[i - 1].strip()
            and len(line) >= len(lines[i - 1].rstrip())
            and not RST_ADORNMENT.match(lines[i - 1])
        ):
            rst += 1
        if _MD_SIGNS.search(line):
            markdown += 1
    if rst > markdown and rst >= 2:
        return "rst"
    if markdown >= 2:
        return "markdown"
    return "text"


def _front_matter(lines: list[str], meta: dict[str, str], fmt: str) -> int:
    """Read YAML (---), TOML (+++) or, in Markdown, Pelican (Key: value) front matter at the very
    top of the file; return the number of lines it takes."""
    if not lines or not lines[0].strip():
        return 0
    fence = lines[0].strip()
    if fence in ("---", "+++"):
        closers = ("---", "...") if fence == "---" else ("+++",)
        for end in range(1, min(len(lines), 200)):
            if lines[end].strip() in closers:
                body = lines[1:end]
                if body and all(not b.strip() or _looks_like_front_matter(b) for b in body):
                    _read_keys(body, meta)
                    return end + 1
                return 0
        return 0
    if fmt != "markdown":
        return 0
    end = 0
    while end < len(lines) and lines[end].strip():
        end += 1
    block = lines[:end]
    key = _FRONT_KEY.match(block[0])
    if (
        key
        and key.group(1).lower() in _PELICAN_KEYS
        and len(block) < 30
        and all(_FRONT_KEY.match(line) for line in block)
    ):
        _read_keys(block, meta)
        return end
    return 0


def _looks_like_front_matter(line: str) -> bool:
    stripped = line.strip()
    return bool(_FRONT_KEY.match(stripped)) or stripped.startswith(("-", "#", "[", "  "))


def _read_keys(block: list[str], meta: dict[str, str]) -> None:
    for line in block:
        match = _FRONT_KEY.match(line.strip())
        if match:
            value = match.group(2).strip().strip("\"'")
            meta.setdefault(match.group(1).lower(), value)


def _strip_html_comments(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    in_comment = False
    for no, line in lines:
        kept = ""
        rest = line
        while rest:
            if in_comment:
                end = rest.find("-->")
                if end == -1:
                    rest = ""
                else:
                    rest = rest[end + 3 :]
                    in_comment = False
            else:
                start = rest.find(_HTML_COMMENT_START)
                if start == -1:
                    kept += rest
                    rest = ""
                else:
                    kept += rest[:start]
                    rest = rest[start + 4 :]
                    in_comment = True
        # A line that held only a comment becomes blank, so it still separates paragraphs.
        out.append((no, kept.rstrip() if kept.strip() else ""))
    return out


def _html_blocks(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """HTML headings become Markdown headings; a table becomes one line per row, cells joined by |."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        no, line = lines[i]
        heading = _HTML_HEADING.match(line)
        if heading:
            out.append((no, "#" * int(heading.group(1)) + " " + strip_html(heading.group(2))))
            i += 1
            continue
        opening = _HTML_BLOCK_START.match(line)
        if not opening:
            out.append((no, line))
            i += 1
            continue
        tag = opening.group(1).lower()
        closing = f"</{tag}>"
        end = i
        while end < len(lines) and closing not in lines[end][1].lower():
            if end > i and not lines[end][1].strip() and tag != "table":
                break
            end += 1
        end = min(end, len(lines) - 1)
        block = "\n".join(text for _, text in lines[i : end + 1])
        rows = _table_rows(block) if tag == "table" else []
        if rows:
            out.extend((no + offset, row) for offset, row in enumerate(rows))
            out.append((lines[end][0], ""))
        else:
            for line_no, text in lines[i : end + 1]:
                out.append((line_no, strip_html(text)))
        i = end + 1
    return out


def _table_rows(table: str) -> list[str]:
    """The rows of an HTML table as text, cells joined by ' | ' (split, not matched: a table
    with unclosed tags costs no more than a closed one)."""
    rows = []
    for chunk in _HTML_ROW_START.split(table)[1:]:
        row = _HTML_ROW_END.split(chunk, maxsplit=1)[0]
        cells = [collapse(strip_html(cell)) for cell in _HTML_CELL_START.split(row)[1:]]
        text = " | ".join(cell for cell in cells if cell)
        if text:
            rows.append(text)
    return rows


def _markdown_scaffolding(lines: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], set[str]]:
    references: set[str] = set()
    lines = _strip_html_comments(lines)
    if any("<" in line for _, line in lines):
        lines = _html_blocks(lines)
    out: list[tuple[int, str]] = []
    for no, line in lines:
        line = _BLOCKQUOTE.sub("", line)  # a quoted code is read as the code
        definition = _LINK_DEFINITION.match(line)
        if definition:
            references.add(collapse(definition.group(1)).lower())
            out.append((no, ""))
        else:
            out.append((no, line))
    return out, references


def _rst_scaffolding(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Drop labels, comments and substitution definitions; keep the bodies of directives."""
    out: list[tuple[int, str]] = []
    skipping = False
    for no, line in lines:
        if skipping:
            if not line.strip() or line.startswith((" ", "\t")):
                out.append((no, ""))
                continue
            skipping = False
        if _RST_EXPLICIT.match(line):
            # A comment swallows its indented continuation; a directive keeps its body.
            skipping = not _RST_DIRECTIVE_WITH_BODY.match(line)
            out.append((no, ""))
            continue
        out.append((no, line))
    return out


def prepare(text: str, *, format: str | None, filename: str | None) -> Source:
    text = normalise(text)
    fmt = format if format in FORMATS else guess_format(text, filename)
    raw = text.split("\n")
    meta: dict[str, str] = {}
    start = _front_matter(raw, meta, fmt)
    lines = [(no + 1, line) for no, line in enumerate(raw)][start:]
    references: set[str] = set()
    if fmt == "markdown":
        lines, references = _markdown_scaffolding(lines)
    elif fmt == "rst":
        lines = _rst_scaffolding(lines)
    return Source(fmt, lines, meta, frozenset(references))
