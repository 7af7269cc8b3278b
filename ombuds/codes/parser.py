"""Turn the text of a code of conduct into a tree of citable provisions.

Pure Python: no Django imports, so the parser runs in the CLI without a database, in benchmarks, and in
property tests. The output is Ombuds' interchange format (docs/interchange-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Modality = Literal["obligation", "prohibition", "permission"]
Format = Literal["text", "markdown", "rst"]


class ParseError(ValueError):
    """The input cannot be read as a code of conduct at all (empty, binary, not UTF-8, too large)."""


@dataclass
class Provision:
    label: str | None
    citation: str | None
    heading: str | None = None
    text: str = ""
    full_text: str = ""
    modality: Modality | None = None
    subject: str | None = None
    children: list[Provision] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "citation": self.citation,
            "heading": self.heading,
            "text": self.text,
            "full_text": self.full_text,
            "modality": self.modality,
            "subject": self.subject,
            "children": [child.to_dict() for child in self.children],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provision:
        return cls(
            label=data.get("label"),
            citation=data.get("citation"),
            heading=data.get("heading"),
            text=data.get("text") or "",
            full_text=data.get("full_text") or "",
            modality=data.get("modality"),
            subject=data.get("subject"),
            children=[cls.from_dict(child) for child in data.get("children") or []],
        )

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class ParsedCode:
    title: str | None
    issuer: str | None
    effective: str | None  # ISO 8601: "2001", "2019-07" or "1988-06-21"
    preamble: list[str] = field(default_factory=list)
    provisions: list[Provision] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "issuer": self.issuer,
            "effective": self.effective,
            "preamble": list(self.preamble),
            "provisions": [p.to_dict() for p in self.provisions],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedCode:
        return cls(
            title=data.get("title"),
            issuer=data.get("issuer"),
            effective=data.get("effective"),
            preamble=list(data.get("preamble") or []),
            provisions=[Provision.from_dict(p) for p in data.get("provisions") or []],
            warnings=list(data.get("warnings") or []),
        )

    def walk(self):
        """Every provision, depth first, in document order."""
        for provision in self.provisions:
            yield from provision.walk()

    def leaves(self) -> list[Provision]:
        return [p for p in self.walk() if not p.children]


def decode(data: bytes, *, max_bytes: int | None = None) -> str:
    """Decode the bytes of a code file, refusing what is not a text (raises ParseError)."""
    raise NotImplementedError


def parse(text: str, *, format: Format | None = None, filename: str | None = None) -> ParsedCode:
    """Parse a code of conduct. ``format`` is guessed from ``filename`` and the text when not given."""
    raise NotImplementedError
