"""Web page debris: what a copy from a web page brings along that is not part of the code.

Navigation lists ("In this Section" and its "» Our Members" links), tables of contents made of
links to anchors, cookie banners, copyright lines, "Skip to main content" and similar chrome.
"""

from __future__ import annotations

import re


def _phrases(text: str) -> frozenset[str]:
    return frozenset(phrase.strip() for phrase in text.split("|") if phrase.strip())


# Whole lines that only page chrome consists of. Single words ("Home", "Register", "Search") are
# left alone: a code may well have a section of that name.
_CHROME = _phrases(
    """
    skip to main content | skip to content | skip to navigation | skip navigation |
    jump to navigation | jump to content | back to top | return to top | go to top | top of page |
    print this page | share this page | email this page | toggle navigation | main menu |
    open menu | close menu | search this site | you are here | accept cookies |
    accept all cookies | reject all cookies | manage cookies | cookie settings | follow us on
    """
)
_NAV_HEADERS = re.compile(
    r"^(?:in this section|in this area|on this page|in this page|related pages|related links|"
    r"quick links|useful links|navigation|site navigation|more in this section|see also in this section|"
    r"table of contents|contents|page contents)\s*:?$",
    re.IGNORECASE,
)
_NAV_ITEM = re.compile(r"^(?:[-*+•]\s+)?[»›]\s*\S")
_COOKIE = re.compile(
    r"\bcookies?\b.*\b(?:accept|consent|we use|uses|this (?:site|website)|policy|settings|"
    r"preferences|browsing|experience)\b|\b(?:we use|this (?:site|website) uses)\b.*\bcookies?\b",
    re.IGNORECASE,
)
# "(c) 2024 ..." is a copyright line, "(c) respond to complaints" a clause.
_COPYRIGHT = re.compile(
    r"^(?:copyright\b|©)|^\(c\)\s*(?:19|20)\d\d\b|\ball rights reserved\b", re.IGNORECASE
)
_COPYRIGHT_STARTS = ("copyr", "©", "(c)")  # how _COPYRIGHT's anchored forms start, lower case
_BREADCRUMB = re.compile(r"\S\s+[>»›]\s+\S.*\s[>»›]\s+\S")
_ANCHOR_LINK_ITEM = re.compile(r"^[-*+]\s+\[.*\]\(#[^)]*\)\s*$")
# "Home | About us | Members | Contact": a menu of links separated by bars (or middle dots), not a
# table row, which starts or ends with a bar.
_MENU_SEPARATOR = re.compile(r"\s+[|·]\s+")
_MENU_ENTRY_WORDS = 3
_MENU_MIN_ENTRIES = 3
_LIST_ITEM = re.compile(r"^(?:[-*+•»›]|\d{1,3}[.)])\s+")
_LONGEST_DEBRIS = 400  # characters: page chrome is short, a provision may be long


def _bare(line: str) -> str:
    """The line without the emphasis around it ("**Table of Contents**")."""
    return line.strip().strip("*_ \t")


def is_debris_line(line: str) -> bool:
    """A single line that is page chrome wherever it appears."""
    if len(line) > _LONGEST_DEBRIS:
        return False
    text = _bare(line)
    if not text:
        return False
    lowered = text.lower().rstrip(".:!")
    if lowered in _CHROME:
        return True
    # Each pattern below is tried only where the characters it needs are there, and the words
    # counted only then: a code's lines are rarely debris, and searching each of them with every
    # pattern was most of the time spent here.
    arrows = "»" in text or "›" in text
    if arrows and _NAV_ITEM.match(text) and _words(text) <= 8:
        return True
    if "cook" in lowered and _words(text) <= 40 and _COOKIE.search(text):
        return True
    copyright_words = lowered.startswith(_COPYRIGHT_STARTS) or "all r" in lowered
    if copyright_words and _words(text) <= 20 and _COPYRIGHT.search(text):
        return True
    return (
        (arrows or ">" in text)
        and not text.endswith(".")
        and _words(text) <= 12
        and bool(_BREADCRUMB.search(text))
    )


def _words(text: str) -> int:
    return len(text.split())


def is_menu_line(line: str) -> bool:
    """A website menu: three or more short link texts ("Home", "About us") between bars."""
    if "|" not in line and "·" not in line:
        return False
    text = _bare(line)
    if text.startswith("|") or text.endswith("|"):
        return False
    entries = _MENU_SEPARATOR.split(text)
    return len(entries) >= _MENU_MIN_ENTRIES and all(
        entry[:1].isupper()
        and len(entry.split()) <= _MENU_ENTRY_WORDS
        and not entry.endswith((".", ";", ",", ":"))
        for entry in entries
    )


def _in_a_table(lines: list[tuple[int, str]], i: int) -> bool:
    """A line with bars next to another such line: rows of a table, which a menu line is not."""
    neighbours = (lines[j][1] for j in (i - 1, i + 1) if 0 <= j < len(lines))
    return any("|" in line or "·" in line for line in neighbours)


def _is_nav_entry(line: str) -> bool:
    """An entry of a navigation menu: a short list item ("- » Our Members") or an in-page link."""
    stripped = line.strip()
    if _ANCHOR_LINK_ITEM.match(stripped) or _NAV_ITEM.match(stripped):
        return True
    if not _LIST_ITEM.match(stripped):
        return False
    body = _bare(_LIST_ITEM.sub("", stripped))
    return bool(body) and len(body.split()) <= 6 and not body.endswith((".", ";", ":", ","))


_MAX_WORDS_AROUND_BODY_DEBRIS = 12


def body_debris(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """A pattern for the lines that a body's profile names as debris ("Members' area", "Log in"):
    a short line (up to a dozen words) that contains one of them as whole words, any case."""
    if not words:
        return None
    alternatives = "|".join(re.escape(" ".join(w.split())).replace(r"\ ", r"\s+") for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _is_body_debris(line: str, pattern: re.Pattern[str] | None) -> bool:
    if pattern is None or len(line) > _LONGEST_DEBRIS:
        return False
    text = _bare(line)
    return (
        bool(text)
        and len(text.split()) <= _MAX_WORDS_AROUND_BODY_DEBRIS
        and bool(pattern.search(text))
    )


def drop_debris(
    lines: list[tuple[int, str]], *, words: tuple[str, ...] = ()
) -> list[tuple[int, str]]:
    """Blank out debris lines (blank, so that the paragraphs around them stay apart).

    ``words`` are the phrases a body's parsing profile names as debris: a short line that contains
    one of them is debris too."""
    own = body_debris(words)
    out = list(lines)
    i = 0
    while i < len(out):
        no, line = out[i]
        if not line:  # blank: neither a header nor debris
            i += 1
            continue
        if _NAV_HEADERS.match(_bare(line).lstrip("#").strip()):  # "## Table of contents" too
            end = _nav_list_end(out, i + 1)
            if end:
                for j in range(i, end):
                    out[j] = (out[j][0], "")
                i = end
                continue
        if (
            is_debris_line(line)
            or (is_menu_line(line) and not _in_a_table(out, i))
            or _is_body_debris(line, own)
        ):
            out[i] = (no, "")
        i += 1
    return out


def _nav_list_end(lines: list[tuple[int, str]], start: int) -> int:
    """The index after the navigation entries that follow a header, or 0 if none follow."""
    end = 0
    for i in range(start, len(lines)):
        line = lines[i][1]
        if not line.strip():
            continue
        if not _is_nav_entry(line):
            break
        end = i + 1
    return end
