"""What the compliance pages show of findings beyond their own columns: the rule's label and the
provision as the code cites it (from the programme the return was checked under), the provision's
anchor in the code's text, and the evidence as facts and tables. Reads only, a fixed number of
queries for any number of findings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ombuds.codes.models import CodeVersion, Provision
from ombuds.compliance.models import Finding, Programme
from ombuds.compliance.programme import Programme as ProgrammeSpec
from ombuds.compliance.programme import ProgrammeInvalid, load

OVERDUE_LABEL = "The return was not filed by its due date"


@lru_cache(maxsize=32)
def _spec(digest: str, text: str) -> ProgrammeSpec | None:
    try:
        return load(text)
    except ProgrammeInvalid:  # pragma: no cover - only checked programmes are installed
        return None


def programme_spec(programme: Programme | None) -> ProgrammeSpec | None:
    """The installed programme read (once per process and text)."""
    if programme is None:
        return None
    return _spec(
        programme.sha256 or hashlib.sha256(programme.text.encode()).hexdigest(), programme.text
    )


@dataclass
class EvidenceTable:
    label: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Evidence:
    facts: list[tuple[str, Any]] = field(default_factory=list)
    tables: list[EvidenceTable] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.facts or self.tables)


def _words(key: str) -> str:
    return key.replace("_", " ").capitalize()


def evidence_view(evidence: Mapping[str, Any]) -> Evidence:
    """The evidence a rule kept: single values as facts, lists of rows as tables (their columns
    the union of the rows' keys, in the order first seen)."""
    shown = Evidence()
    for key, value in sorted(evidence.items()):
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for row in value for k in row))
            rows = [[row.get(c, "") for c in columns] for row in value]
            shown.tables.append(EvidenceTable(_words(key), [_words(c) for c in columns], rows))
        elif isinstance(value, list):
            shown.facts.append((_words(key), ", ".join(str(v) for v in value)))
        elif isinstance(value, dict):
            shown.facts += [(f"{_words(key)}: {k}", v) for k, v in value.items()]
        elif value is not None:
            shown.facts.append((_words(key), value))
    return shown


def anchors(version: CodeVersion | None, citations: Iterable[str]) -> dict[str, str]:
    """The anchor of each citation in the code version (those it has)."""
    if version is None:
        return {}
    rows = Provision.objects.filter(version=version, citation__in=set(citations))
    return dict(rows.values_list("citation", "anchor"))


def decorate(
    findings: Iterable[Finding],
    *,
    programme: Programme | None,
    version: CodeVersion | None = None,
    evidence: bool = False,
) -> list[Finding]:
    """The findings, each with ``rule_label``, ``cited`` ("CSEC 1.2(c)"), ``anchor`` and
    ``code_label`` (the provision in ``version``, "" without one), and ``shown_evidence`` when
    asked."""
    found = list(findings)
    spec = programme_spec(programme)
    code = spec.code if spec else ""
    where = anchors(version, (f.provision for f in found))
    for f in found:
        rule = spec.rules.get(f.rule_key) if spec else None
        f.rule_label = OVERDUE_LABEL if f.overdue else (rule.label if rule else f.rule_key)
        f.cited = f"{code} {f.provision}".strip()
        f.anchor = where.get(f.provision, "")
        f.code_label = version.label if version is not None else ""
        if evidence:
            f.shown_evidence = evidence_view(f.evidence or {})
    return found
