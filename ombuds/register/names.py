"""Agency names a client could confuse (CSEC 4.2), found without comparing every pair.

Names are compared with legal-form words ("LLC", "Services") and punctuation removed. Only names
that share a distinctive word, or are equal once normalised, are compared closely (difflib's
ratio), so checking a file of ten thousand agencies against a register of ten thousand stays fast.
A word that appears in more than ``common_share`` of the names (e.g. "child", "support" in CSEC's
register) is not distinctive enough to pair names by itself.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

THRESHOLD = 0.85

_NOISE = frozenset(
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


def normalise_name(name: str) -> str:
    words = re.sub(r"[^a-z0-9 ]+", " ", name.lower()).split()
    return " ".join(w for w in words if w not in _NOISE)


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
