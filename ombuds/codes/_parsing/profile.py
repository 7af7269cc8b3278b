"""A body's parsing profile: what the parser should expect of that body's code, written in TOML.

    styles = ["principle", "standard"]   # the numbering styles the code uses (styles.STYLES)
    citation_prefix = "CESP"             # how members cite it: "CESP 3.8"
    debris = ["Members' area", "Log in"] # lines (words) that mark page chrome to drop
    effective_line = "^Effective:"       # a regular expression; the first date on a line it matches

Every key is optional. ``load_profile`` reports every problem at once, so that staff can correct the
profile in one go.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from .styles import STYLES

# The styles a profile may name: those of the style table (styles.STYLES), never a list of its own.
STYLE_KEYWORDS = tuple(style.name for style in STYLES)
_MAX_PREFIX = 30
_MAX_DEBRIS = 200


class ProfileError(ValueError):
    """The profile cannot be used; ``messages`` says every reason, one a line."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass(frozen=True)
class Profile:
    styles: tuple[str, ...] = ()
    citation_prefix: str | None = None
    debris: tuple[str, ...] = ()
    effective_line: str | None = None
    _effective_pattern: re.Pattern[str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.effective_line:
            object.__setattr__(
                self, "_effective_pattern", re.compile(self.effective_line, re.IGNORECASE)
            )

    @property
    def effective_pattern(self) -> re.Pattern[str] | None:
        return self._effective_pattern

    @property
    def is_empty(self) -> bool:
        return self == Profile()

    def to_toml(self) -> str:
        """The profile written back as TOML (what ``load_profile`` reads to an equal profile)."""
        lines = []
        if self.styles:
            lines.append(f"styles = [{', '.join(_toml_string(s) for s in self.styles)}]")
        if self.citation_prefix is not None:
            lines.append(f"citation_prefix = {_toml_string(self.citation_prefix)}")
        if self.debris:
            lines.append(f"debris = [{', '.join(_toml_string(s) for s in self.debris)}]")
        if self.effective_line is not None:
            lines.append(f"effective_line = {_toml_string(self.effective_line)}")
        return "\n".join(lines) + ("\n" if lines else "")


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


_KEYS = ("styles", "citation_prefix", "debris", "effective_line")


def _strings(data: dict[str, Any], key: str, problems: list[str]) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f'{key}: must be a list of strings, like {key} = ["..."]')
        return []
    return value


def _string(data: dict[str, Any], key: str, problems: list[str]) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        problems.append(f'{key}: must be a string, like {key} = "..."')
        return None
    return value


def load_profile(text: str) -> Profile:
    """Read a profile from TOML; raises ProfileError with every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError([f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    for key in data:
        if key not in _KEYS:
            problems.append(f"{key}: unknown key (the keys are {', '.join(_KEYS)})")

    styles = [s.strip().lower() for s in _strings(data, "styles", problems)]
    for style in styles:
        if style not in STYLE_KEYWORDS:
            problems.append(
                f"styles: unknown style {style!r} (the styles are {', '.join(STYLE_KEYWORDS)})"
            )
    seen = set()
    for style in styles:
        if style in seen:
            problems.append(f"styles: {style!r} is given twice")
        seen.add(style)

    prefix = _string(data, "citation_prefix", problems)
    if prefix is not None:
        prefix = " ".join(prefix.split())
        if not prefix:
            problems.append("citation_prefix: must not be empty (leave the key out instead)")
        elif len(prefix) > _MAX_PREFIX:
            problems.append(f"citation_prefix: at most {_MAX_PREFIX} characters")

    debris = [" ".join(d.split()) for d in _strings(data, "debris", problems)]
    if any(not d for d in debris):
        problems.append("debris: an entry is empty")
    if any(len(d) > _MAX_DEBRIS for d in debris):
        problems.append(f"debris: an entry is longer than {_MAX_DEBRIS} characters")

    effective_line = _string(data, "effective_line", problems)
    if effective_line is not None:
        try:
            re.compile(effective_line)
        except re.error as exc:
            problems.append(f"effective_line: not a valid regular expression: {exc}")
        if not effective_line.strip():
            problems.append("effective_line: must not be empty (leave the key out instead)")

    if problems:
        raise ProfileError(problems)
    return Profile(
        styles=tuple(styles),
        citation_prefix=prefix,
        debris=tuple(d for d in debris if d),
        effective_line=effective_line,
    )
