"""Compare two versions of a code provision by provision, keyed by citation. Pure Python."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


class ProvisionLike(Protocol):
    citation: str
    heading: str
    text: str


@dataclass(frozen=True)
class Segment:
    """A run of words and punctuation: kind is "equal", "insert" or "delete".

    ``spaced`` says whether a space comes before the run: a comma added after a word is a run of its
    own, shown against the word ("respect{+, courtesy+}"), not with a space before it.
    """

    kind: str
    text: str
    spaced: bool = True


@dataclass
class Change:
    citation: str
    old_heading: str
    new_heading: str
    old_text: str
    new_text: str
    segments: list[Segment]

    def marked(self) -> str:
        """The new text with changed words marked as [-removed-]{+added+} (like `git diff --word-diff`)."""
        parts = []
        for seg in self.segments:
            if parts and seg.spaced:
                parts.append(" ")
            if seg.kind == "equal":
                parts.append(seg.text)
            elif seg.kind == "delete":
                parts.append(f"[-{seg.text}-]")
            else:
                parts.append(f"{{+{seg.text}+}}")
        return "".join(parts)


@dataclass
class Entry:
    citation: str
    heading: str
    text: str


@dataclass
class Renumbered:
    old_citation: str
    new_citation: str
    text: str


@dataclass
class CodeDiff:
    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    renumbered: list[Renumbered] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.renumbered)


# A word (with its inner apostrophes and hyphens: "member's", "non-profit") or one punctuation mark,
# with the space before it: words and punctuation are compared apart, so a comma added after a word
# is a change of its own rather than a change of the word.
_TOKEN = re.compile(r"(\s*)(\w+(?:['’-]\w+)*|[^\w\s])")


def _tokens(text: str) -> list[tuple[str, bool]]:
    return [(m.group(2), bool(m.group(1))) for m in _TOKEN.finditer(text)]


def _run(kind: str, tokens: list[tuple[str, bool]]) -> Segment:
    text = "".join((" " if spaced and i else "") + word for i, (word, spaced) in enumerate(tokens))
    return Segment(kind, text, spaced=tokens[0][1])


def word_diff(old: str, new: str) -> list[Segment]:
    """The changes from ``old`` to ``new`` as runs of words and punctuation, in the new text's order."""
    old_tokens, new_tokens = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(
        a=[w for w, _ in old_tokens], b=[w for w, _ in new_tokens], autojunk=False
    )
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(_run("equal", new_tokens[j1:j2]))
            continue
        if op in ("delete", "replace"):
            segments.append(_run("delete", old_tokens[i1:i2]))
        if op in ("insert", "replace"):
            added = _run("insert", new_tokens[j1:j2])
            if op == "replace" and added.text[:1].isalnum():  # words replacing words, set apart
                added = Segment("insert", added.text, spaced=True)
            segments.append(added)
    if segments:  # the first run has nothing before it
        first = segments[0]
        segments[0] = Segment(first.kind, first.text, spaced=False)
    return segments


def _normalise(text: str) -> str:
    return " ".join(text.split())


def diff_provisions(old: Iterable[ProvisionLike], new: Iterable[ProvisionLike]) -> CodeDiff:
    """Provisions added, removed and changed between two versions, by citation, in document order.

    Headings without a citation are compared only through the provisions under them. A provision that
    disappears under one citation and appears with the same words under another is reported as
    renumbered rather than as removed and added.
    """
    old_by = {p.citation: p for p in old if p.citation}
    new_by = {p.citation: p for p in new if p.citation}
    result = CodeDiff()
    for citation, new_p in new_by.items():
        old_p = old_by.get(citation)
        if old_p is None:
            result.added.append(Entry(citation, new_p.heading, new_p.text))
            continue
        same_text = _normalise(old_p.text) == _normalise(new_p.text)
        if same_text and _normalise(old_p.heading) == _normalise(new_p.heading):
            result.unchanged += 1
            continue
        old_words = " ".join(filter(None, [old_p.heading, old_p.text]))
        new_words = " ".join(filter(None, [new_p.heading, new_p.text]))
        result.changed.append(
            Change(
                citation=citation,
                old_heading=old_p.heading,
                new_heading=new_p.heading,
                old_text=old_p.text,
                new_text=new_p.text,
                segments=word_diff(old_words, new_words),
            )
        )
    for citation, old_p in old_by.items():
        if citation not in new_by:
            result.removed.append(Entry(citation, old_p.heading, old_p.text))

    # Pair a removed provision with an added one carrying the same words: a renumbering.
    added_by_text: dict[str, list[Entry]] = {}
    for entry in result.added:
        if entry.text.strip():
            added_by_text.setdefault(_normalise(entry.text), []).append(entry)
    still_removed = []
    for entry in result.removed:
        candidates = added_by_text.get(_normalise(entry.text)) if entry.text.strip() else None
        if candidates:
            match = candidates.pop(0)
            result.added.remove(match)
            result.renumbered.append(Renumbered(entry.citation, match.citation, match.text))
        else:
            still_removed.append(entry)
    result.removed = still_removed
    return result
