"""Web page debris: what a copy from a web page brings along that is not part of the code.

Navigation lists ("In this Section" and its "» Our Members" links), tables of contents made of
links to anchors, cookie banners, copyright lines, "Skip to main content" and similar chrome.
"""

from __future__ import annotations

import re

_CHROME = frozenset(
    """skip to main content|skip to content|skip to navigation|skip navigation|jump to navigation|
    jump to content|back to top|return to top|go to top|top of page|print this page|print page|
    share this page|share this|share|menu|main menu|toggle navigation|open menu|close menu|search|
    search this site|log in|login|sign in|sign up|register|subscribe|home|breadcrumb|breadcrumbs|
    you are here|accept|accept all|accept cookies|accept all cookies|decline|reject all|
    manage cookies|cookie settings|got it|close|dismiss|previous|next|read more|email this page|
    follow us|contact us|site map|sitemap|privacy policy|terms of use|terms of service""".replace(
        "\n", ""
    )
    .replace("    ", "")
    .split("|")
)
_NAV_HEADERS = re.compile(
    r"^(?:in this section|in this area|on this page|in this page|related pages|related links|"
    r"quick links|useful links|navigation|site navigation|more in this section|see also in this section|"
    r"table of contents|contents|page contents)\s*:?$",
    re.IGNORECASE,
)
_NAV_ITEM = re.compile(r"^(?:[-*+•]\s+)?[»›>|]\s*\S")
_COOKIE = re.compile(
    r"\bcookies?\b.*\b(?:accept|consent|we use|uses|this (?:site|website)|policy|settings|"
    r"preferences|browsing|experience)\b|\b(?:we use|this (?:site|website) uses)\b.*\bcookies?\b",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"^(?:copyright\s*)?(?:©|\(c\)|copyright)\s*(?:\d{4}|[A-Z])|\ball rights reserved\b",
    re.IGNORECASE,
)
_BREADCRUMB = re.compile(r"\S\s+[>»›/|]\s+\S.*\s[>»›/|]\s+\S")
_ANCHOR_LINK_ITEM = re.compile(r"^[-*+]\s+\[.*\]\(#[^)]*\)\s*$")
_LIST_ITEM = re.compile(r"^(?:[-*+•»›]|\d{1,3}[.)])\s+")
_MARKUP_AROUND = re.compile(r"^[*_#\s]+|[*_\s]+$")


def _bare(line: str) -> str:
    return _MARKUP_AROUND.sub("", line.strip())


def is_debris_line(line: str) -> bool:
    """A single line that is page chrome wherever it appears."""
    text = _bare(line)
    if not text:
        return False
    lowered = text.lower().rstrip(".:!")
    if lowered in _CHROME:
        return True
    words = len(text.split())
    if _NAV_ITEM.match(text) and words <= 8:
        return True
    if words <= 40 and _COOKIE.search(text):
        return True
    if words <= 20 and _COPYRIGHT.search(text):
        return True
    return words <= 12 and bool(_BREADCRUMB.search(text)) and not text.endswith(".")


def _is_nav_entry(line: str) -> bool:
    """A short line or list item, the kind a navigation menu lists ("» Our Members", "FAQ")."""
    text = _bare(line)
    if _ANCHOR_LINK_ITEM.match(line.strip()):
        return True
    if _NAV_ITEM.match(text):
        return True
    body = _LIST_ITEM.sub("", text)
    return bool(body) and len(body.split()) <= 6 and not body.endswith((".", ";", ":", ","))


def drop_debris(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Blank out debris lines (blank, so that the paragraphs around them stay apart)."""
    out = list(lines)
    i = 0
    while i < len(out):
        no, line = out[i]
        if _NAV_HEADERS.match(_bare(line)):
            end = _nav_list_end(out, i + 1)
            if end:
                for j in range(i, end):
                    out[j] = (out[j][0], "")
                i = end
                continue
        if is_debris_line(line):
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
