"""Inline markup: what a reader sees of a line of Markdown or reStructuredText.

Every pattern here is anchored on a delimiter and scans with a negated character class up to the
next delimiter, so a line costs time linear in its length whatever it contains.
"""

from __future__ import annotations

import html
import re

_HTML_TAG_NAMES = (
    "a|abbr|b|big|blockquote|br|center|cite|code|dd|del|div|dl|dt|em|font|h[1-6]|hr|i|img|ins|kbd|"
    "li|mark|ol|p|pre|q|s|small|span|strike|strong|sub|sup|table|tbody|td|tfoot|th|thead|tr|tt|u|ul"
)
_HTML_BREAK = re.compile(r"</?br\s*/?>", re.IGNORECASE)
_HTML_TAG = re.compile(rf"</?(?:{_HTML_TAG_NAMES})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^\s<>]+|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>")

# [text] with at most one level of nested brackets inside: "[[PROJECT] Diversity Statement]".
_BRACKETED = r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
_IMAGE = re.compile(r"!" + _BRACKETED + r"\((?:[^()\n]|\([^()\n]*\))*\)")
# The destination may hold spaces ("mailto:EMAIL ADDRESS") and one level of parentheses.
_INLINE_LINK = re.compile(_BRACKETED + r"\((?:[^()\n]|\([^()\n]*\))*\)")
_REF_LINK = re.compile(_BRACKETED + r"\[([^\[\]\n]*)\]")
_SHORTCUT_LINK = re.compile(_BRACKETED + r"(?![\[(:])")

_STRONG_EMPHASIS = re.compile(r"\*\*\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*\*\*")
_STRONG_STAR = re.compile(r"\*\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*\*")
_STRONG_UNDERSCORE = re.compile(r"(?<![\w_])__(?=[^\s_])([^_\n]+?)(?<=[^\s_])__(?![\w_])")
_EMPHASIS_STAR = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*\\])\*(?![\w*])")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_\\])_(?=[^\s_])([^_\n]+?)(?<=[^\s_\\])_(?![\w_])")
_CODE_SPAN = re.compile(r"(`+)([^`\n]+?)\1(?!`)")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")

_RST_ROLE = re.compile(r":[\w.+-]+:`([^`<\n]*)(?:<([^`>\n]*)>)?`")
_RST_LINK = re.compile(r"`([^`<\n]+)<[^`>\n]*>`_{1,2}")
_RST_LITERAL = re.compile(r"``([^`\n]+)``")


def collapse(text: str) -> str:
    """Whitespace runs to one space, no space at either end."""
    return " ".join(text.split())  # str.split() and the regex \s agree on what white space is


def strip_html(text: str) -> str:
    text = _HTML_BREAK.sub(" ", text)
    text = _AUTOLINK.sub(r"\1", text)
    return _HTML_TAG.sub("", text)


def markdown_inline(text: str, references: frozenset[str] = frozenset()) -> str:
    """Markdown inline markup to plain text: links keep their text, emphasis loses its markers."""
    if not any(ch in text for ch in "<[*_`\\&"):
        return collapse(text)
    text = strip_html(text)
    text = _IMAGE.sub("", text)
    text = _INLINE_LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    if references:
        text = _SHORTCUT_LINK.sub(
            lambda m: m.group(1) if collapse(m.group(1)).lower() in references else m.group(0), text
        )
    text = _CODE_SPAN.sub(lambda m: m.group(2).strip(), text)
    for pattern in (
        _STRONG_EMPHASIS,
        _STRONG_STAR,
        _STRONG_UNDERSCORE,
        _EMPHASIS_STAR,
        _EMPHASIS_UNDERSCORE,
    ):
        text = pattern.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", text)
    if "&" in text:
        text = html.unescape(text)
    return collapse(text)


def rst_inline(text: str) -> str:
    """reStructuredText inline markup to plain text (roles, hyperlinks, literals, emphasis)."""
    if not any(ch in text for ch in "`*<"):
        return collapse(text)
    text = _RST_ROLE.sub(lambda m: m.group(1).strip() or m.group(2) or "", text)
    text = _RST_LINK.sub(lambda m: m.group(1).strip(), text)
    text = _RST_LITERAL.sub(r"\1", text)
    text = _STRONG_STAR.sub(r"\1", text)
    text = _EMPHASIS_STAR.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    return collapse(text)


def plain_inline(text: str) -> str:
    """Plain text keeps its characters; only stray line-break tags from web copies are removed."""
    if "<" in text:
        text = _HTML_BREAK.sub(" ", text)
    return collapse(text)
