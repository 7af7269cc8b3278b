"""Turn the text of a code of conduct into a tree of citable provisions.

Pure Python: no Django imports, so the parser runs in the CLI without a database, in benchmarks, and in
property tests. The output is Ombuds' interchange format (docs/interchange-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ombuds.codes._parsing import decoding, exported, pipeline, semantics
from ombuds.codes._parsing.profile import Profile, ProfileError, load_profile

Modality = Literal["obligation", "prohibition", "permission"]
DutyKind = Literal["obligation", "prohibition", "permission", "recommendation"]
DUTY_KINDS: tuple[str, ...] = semantics.DUTY_KINDS
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
    # What the text says must, must not, may or should be done: [{"kind": ..., "sentence": ...}].
    # Derived from the text (``duties_of``), never edited; ``modality`` is the strongest of them.
    duties: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "citation": self.citation,
            "heading": self.heading,
            "text": self.text,
            "full_text": self.full_text,
            "modality": self.modality,
            "duties": [dict(duty) for duty in self.duties],
            "subject": self.subject,
            "children": [child.to_dict() for child in self.children],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provision:
        """A provision of the interchange format. Its ``duties`` are worked out from its text,
        whatever the data says: they are derived, never edited."""
        text = data.get("text") or ""
        full_text = data.get("full_text") or ""
        return cls(
            label=data.get("label"),
            citation=data.get("citation"),
            heading=data.get("heading"),
            text=text,
            full_text=full_text,
            modality=data.get("modality"),
            subject=data.get("subject"),
            children=[cls.from_dict(child) for child in data.get("children") or []],
            duties=duties_of(text, full_text),
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
    # What members write before a citation ("CESP" in "CESP 3.8"), when the file says so: an
    # interchange export carries it; a text never does (the body chooses it in its settings).
    citation_prefix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "title": self.title,
            "issuer": self.issuer,
            "effective": self.effective,
            "preamble": list(self.preamble),
            "provisions": [p.to_dict() for p in self.provisions],
            "warnings": list(self.warnings),
        }
        if self.citation_prefix is not None:
            data["citation_prefix"] = self.citation_prefix
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedCode:
        return cls(
            title=data.get("title"),
            issuer=data.get("issuer"),
            effective=data.get("effective"),
            preamble=list(data.get("preamble") or []),
            provisions=[Provision.from_dict(p) for p in data.get("provisions") or []],
            warnings=list(data.get("warnings") or []),
            citation_prefix=data.get("citation_prefix"),
        )

    def walk(self):
        """Every provision, depth first, in document order."""
        for provision in self.provisions:
            yield from provision.walk()

    def leaves(self) -> list[Provision]:
        return [p for p in self.walk() if not p.children]


def decode(data: bytes, *, max_bytes: int | None = None) -> str:
    """Decode the bytes of a code file, refusing what is not a text (raises ParseError).

    Refused, each with a one-line message that says what and where: empty or blank input, input
    over ``max_bytes``, binary input (a NUL byte, or mostly control characters), and text that is
    not UTF-8 (with the offset of the first bad byte). A UTF-8 byte order mark is dropped and line
    ends become ``\\n``.
    """
    return decoding.decode(data, max_bytes=max_bytes, error=ParseError)


__all__ = [
    "Format",
    "Modality",
    "ParseError",
    "ParsedCode",
    "Profile",
    "ProfileError",
    "Provision",
    "decode",
    "full_text_of",
    "load_profile",
    "modality_of",
    "parse",
    "to_markdown",
]


def parse(
    text: str,
    *,
    format: Format | None = None,
    filename: str | None = None,
    profile: Profile | None = None,
    styles: tuple[str, ...] | None = None,
) -> ParsedCode:
    """Parse a code of conduct. ``format`` is guessed from ``filename`` and the text when not given.

    Never raises on a string: what cannot be read as structure becomes one provision per
    paragraph, and whatever looks wrong (a gap in the numbering, a citation used twice) is
    reported in ``warnings`` with its line number.
    An Ombuds Markdown export (see ``to_markdown``) is read back exactly, to the tree it was
    written from.

    ``profile`` is what a body tells the parser about its code (``load_profile``): lines that are
    debris on its pages, the line that states the effective date, the numbering styles to expect.
    ``styles`` names the numbering keywords to expect ("article", "rule", "§", ...: the names in
    ``ombuds.codes._parsing.styles.STYLES``); a keyword not named is read as plain words. All the
    styles of the table are expected when it is None. An unknown name raises ValueError.
    """
    if exported.is_export(text):
        return ParsedCode.from_dict(exported.read(text, _derive))
    with pipeline.no_cyclic_gc(), semantics.duties_remembered():
        tree, metadata = pipeline.run(text, format, filename, profile, styles)
        parsed = ParsedCode(
            title=tree.title,
            issuer=metadata["issuer"],
            effective=metadata["effective"],
            preamble=list(tree.preamble),
            provisions=[_provision(node) for node in pipeline.provisions_of(tree.root)],
            warnings=list(tree.warnings),
        )
    return parsed


def to_markdown(code: ParsedCode, *, version_label: str | None = None) -> str:
    """Readable Markdown that ``parse`` reads back to the same tree: labels, citations, headings,
    texts (and full texts, modalities and subjects, unless the text was edited meanwhile)."""
    return exported.write(code.to_dict(), version_label=version_label)


def _derive(parent_text: str, text: str) -> tuple[str, str | None, str | None]:
    """Full text, modality and subject of a provision whose words were edited after an export."""
    full_text = full_text_of(parent_text, text)
    return full_text, modality_of(full_text), semantics.subject_of(full_text)


def full_text_of(parent_text: str, text: str) -> str:
    """A provision read on its own: the lead-in that ends its parent's text, if any, then its text.

    ``full_text_of("Members shall:", "keep records; and")`` is ``"Members shall keep records"``; a
    parent whose text does not end in a lead-in (a colon, "except") adds nothing.
    """
    lead = semantics.lead_in_of(parent_text) if parent_text else None
    return semantics.join_lead(lead, text) if lead and text else text


def modality_of(full_text: str) -> Modality | None:
    """The modality of a provision from its full text: an imperative after the lead-in, or else the
    first of "shall not" (and the other prohibitions), "shall"/"must", "may"."""
    own = full_text.partition(": ")[2] or full_text
    return semantics.modality(own, full_text)  # type: ignore[return-value]


def duties_of(text: str, full_text: str) -> list[dict[str, str]]:
    """The duties a provision states, in order: ``[{"kind": "obligation", "sentence": "..."}]``.

    Kinds are "obligation" (shall, must, an order), "prohibition" (shall not, never, do not),
    "permission" ("may", but not "may result in") and "recommendation" ("should"). A provision
    whose text is only a lead-in ("Members shall:") states the lead-in's duty; its clauses state
    theirs, each read with it.
    """
    return [duty.to_dict() for duty in semantics.provision_duties(text, full_text)]


def _provision(node: pipeline.Node) -> Provision:
    text = node.text  # joined from the node's paragraphs at each reading: read once
    return Provision(
        label=node.label,
        citation=node.citation,
        heading=node.heading,
        text=text,
        full_text=node.full_text,
        modality=node.modality,  # type: ignore[arg-type]
        subject=node.subject,
        children=[_provision(child) for child in pipeline.provisions_of(node)],
        duties=[
            {"kind": duty.kind, "sentence": duty.sentence}  # Duty.to_dict, without a call
            for duty in semantics.provision_duties(text, node.full_text)
        ],
    )
