"""A credential programme's requirements as data: what a candidate declares and proves to apply, the
routes to eligibility, the statements they confirm, and the examination's retake rules.

One TOML file per programme (`programmes/`, docs/guide-certification.md). `load` reads it and lists
every problem at once, with where it is; `citations_problems` checks the provisions the statements
cite against the body's code. Pure Python: nothing here touches the database.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ombuds.core.table_reader import TableReader

EVIDENCE_KINDS = ("education", "experience", "training")
DOCUMENTS = ("required", "optional")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CITATION = re.compile(r"^[0-9A-Za-z.()\-]{1,40}$")
PREFIX = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")


class RequirementsInvalid(Exception):
    """The file cannot be used; ``problems`` lists every reason, each saying where."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Level:
    key: str
    label: str


@dataclass(frozen=True)
class Evidence:
    """One kind of evidence the candidate gives: an education level, or an amount (hours)."""

    key: str
    kind: str
    label: str
    help: str = ""
    unit: str = ""  # experience and training: what the amount counts ("hours")
    levels: tuple[Level, ...] = ()  # education: from the lowest to the highest
    document: str = "required"

    @property
    def is_level(self) -> bool:
        return self.kind == "education"

    def level_rank(self, key: str) -> int:
        """The level's place from the lowest (0); -1 for a level not declared."""
        return next((i for i, level in enumerate(self.levels) if level.key == key), -1)

    def level_label(self, key: str) -> str:
        return next((level.label for level in self.levels if level.key == key), key)


@dataclass(frozen=True)
class Route:
    """One way to be eligible: the least of each kind of evidence it needs (a level's key, or an
    amount)."""

    key: str
    label: str
    needs: Mapping[str, str | Decimal]


@dataclass(frozen=True)
class Statement:
    key: str
    text: str
    cites: str


@dataclass(frozen=True)
class Requirements:
    key: str
    version: str
    credential: str  # the credential programme's code in the body's register ("cesp")
    name: str
    number_prefix: str
    review_days: int
    information_days: int
    eligibility_days: int
    evidence: tuple[Evidence, ...]
    routes: tuple[Route, ...]
    declarations: tuple[Statement, ...]
    agreement: Statement
    pass_score: Decimal
    max_attempts: int
    retake_wait_days: int

    def evidence_for(self, key: str) -> Evidence | None:
        return next((e for e in self.evidence if e.key == key), None)

    @property
    def citations(self) -> list[str]:
        return [s.cites for s in (*self.declarations, self.agreement)]

    def routes_met(self, claims: Mapping[str, Mapping[str, Any]]) -> list[Route]:
        """The routes the evidence as claimed meets (staff still check it against the documents)."""
        return [route for route in self.routes if self.route_met(route, claims)]

    def route_met(self, route: Route, claims: Mapping[str, Mapping[str, Any]]) -> bool:
        for key, least in route.needs.items():
            evidence = self.evidence_for(key)
            claim = claims.get(key) or {}
            if evidence is None:
                return False
            if evidence.is_level:
                rank = evidence.level_rank(str(claim.get("level", "")))
                if rank < 0 or rank < evidence.level_rank(str(least)):
                    return False
            elif _amount(claim.get("amount")) < Decimal(least):
                return False
        return True

    def route_shortfall(self, route: Route, claims: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """What the claims lack for this route, in words (empty when it is met)."""
        missing = []
        for key, least in route.needs.items():
            evidence = self.evidence_for(key)
            if evidence is None:
                continue
            claim = claims.get(key) or {}
            if evidence.is_level:
                rank = evidence.level_rank(str(claim.get("level", "")))
                if rank < evidence.level_rank(str(least)):
                    missing.append(
                        f"{evidence.label}: {evidence.level_label(str(least))} or higher"
                    )
            elif _amount(claim.get("amount")) < Decimal(least):
                missing.append(f"{evidence.label}: at least {least} {evidence.unit}".strip())
        return missing


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def load_file(path: str | Path) -> Requirements:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RequirementsInvalid([f"{path}: cannot read it ({exc})"]) from exc
    return load(text, source=str(path))


def load(text: str, *, source: str = "<requirements>") -> Requirements:
    """Read a programme's requirements; RequirementsInvalid lists every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RequirementsInvalid([f"{source}: not valid TOML: {exc}"]) from exc
    reader = _Reader(source)
    requirements = reader.requirements(data)
    if reader.problems:
        raise RequirementsInvalid(reader.problems)
    return requirements


def citations_problems(requirements: Requirements, known: set[str] | None) -> list[str]:
    """The statements' citations the body's code lacks (``known``: the citations of its code in
    force; None when it has none)."""
    if known is None:
        return ["the body has no published code for the statements to cite"]
    return [
        f"{c} is not a provision of the body's code in force"
        for c in dict.fromkeys(requirements.citations)
        if c not in known
    ]


class _Reader(TableReader):
    """Turns the TOML tables into the dataclasses, noting every problem instead of stopping."""

    def tables(self, where: str, value: Any) -> list[Mapping[str, Any]]:
        if not isinstance(value, list):
            self.problem(where, "must be a list of tables ([[...]])")
            return []
        return [self.table(f"{where} {n}", item) for n, item in enumerate(value, start=1)]

    def text(self, where: str, table: Mapping[str, Any], key: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            self.problem(where, f"{key!r} must be text")
            return default
        return value.strip()

    def name(self, where: str, table: Mapping[str, Any]) -> str:
        key = self.text(where, table, "key")
        if "key" in table and not NAME.match(key):
            self.problem(where, f"key {key!r} is not a name (a-z, 0-9 and _, from a letter)")
        return key

    def number(self, where: str, table: Mapping[str, Any], key: str, *, least: int = 0) -> int:
        value = table.get(key, least)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            self.problem(where, f"{key} must be a whole number of {least} or more")
            return least
        return value

    def requirements(self, data: Mapping[str, Any]) -> Requirements:
        allowed = {"programme", "application", "evidence", "route", "declaration", "agreement"}
        self.keys("file", data, allowed | {"exam"}, sorted(allowed - {"application"}))
        head = self.table("[programme]", data.get("programme", {}))
        self.keys(
            "[programme]",
            head,
            {"key", "version", "credential", "name", "number_prefix"},
            ["key", "version", "credential", "name", "number_prefix"],
        )
        prefix = self.text("[programme]", head, "number_prefix")
        if "number_prefix" in head and not PREFIX.match(prefix):
            self.problem("[programme]", "number_prefix must be capital letters, digits and '-'")
        application = self.table("[application]", data.get("application", {}))
        self.keys(
            "[application]", application, {"review_days", "information_days", "eligibility_days"}
        )
        evidence = tuple(
            self.evidence(t) for t in self.tables("[[evidence]]", data.get("evidence"))
        )
        self.unique("[[evidence]]", [e.key for e in evidence])
        routes = tuple(self.route(t, evidence) for t in self.tables("[[route]]", data.get("route")))
        self.unique("[[route]]", [r.key for r in routes])
        if not routes:
            self.problem("[[route]]", "declare at least one route to eligibility")
        declarations = tuple(
            self.statement("[[declaration]]", t)
            for t in self.tables("[[declaration]]", data.get("declaration"))
        )
        self.unique("[[declaration]]", [d.key for d in declarations])
        exam = self.table("[exam]", data.get("exam", {}))
        self.keys("[exam]", exam, {"pass_score", "max_attempts", "retake_wait_days"})
        return Requirements(
            key=self.name("[programme]", head),
            version=self.text("[programme]", head, "version"),
            credential=self.text("[programme]", head, "credential"),
            name=self.text("[programme]", head, "name"),
            number_prefix=prefix,
            review_days=self.number(
                "[application]", {"review_days": 30, **application}, "review_days", least=1
            ),
            information_days=self.number(
                "[application]",
                {"information_days": 30, **application},
                "information_days",
                least=1,
            ),
            eligibility_days=self.number(
                "[application]",
                {"eligibility_days": 365, **application},
                "eligibility_days",
                least=1,
            ),
            evidence=evidence,
            routes=routes,
            declarations=declarations,
            agreement=self.statement(
                "[agreement]", self.table("[agreement]", data.get("agreement", {})), keyed=False
            ),
            pass_score=self.pass_score(exam),
            max_attempts=self.number(
                "[exam]", {"max_attempts": 3, **exam}, "max_attempts", least=1
            ),
            retake_wait_days=self.number("[exam]", exam, "retake_wait_days"),
        )

    def unique(self, where: str, keys: list[str]) -> None:
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            self.problem(where, f"the key {key!r} is declared twice")

    def evidence(self, table: Mapping[str, Any]) -> Evidence:
        where = f"[[evidence]] {table.get('key', '?')}"
        self.keys(
            where,
            table,
            {"key", "kind", "label", "help", "unit", "levels", "document"},
            ["key", "kind", "label"],
        )
        kind = self.text(where, table, "kind")
        if "kind" in table and kind not in EVIDENCE_KINDS:
            self.problem(where, f"kind {kind!r} is not one of {', '.join(EVIDENCE_KINDS)}")
        document = self.text(where, table, "document", "required")
        if document not in DOCUMENTS:
            self.problem(where, f"document {document!r} is not one of {', '.join(DOCUMENTS)}")
        levels: list[Level] = []
        for n, level in enumerate(self.tables(f"{where} levels", table.get("levels", [])), 1):
            self.keys(f"{where} level {n}", level, {"key", "label"}, ["key", "label"])
            levels.append(
                Level(self.name(f"{where} level {n}", level), self.text(where, level, "label"))
            )
        if kind == "education" and not levels:
            self.problem(where, "education evidence lists its levels, from the lowest")
        if kind in ("experience", "training") and (levels or not table.get("unit")):
            self.problem(where, f'{kind} evidence has a unit (e.g. "hours") and no levels')
        self.unique(f"{where} levels", [level.key for level in levels])
        return Evidence(
            key=self.name(where, table),
            kind=kind,
            label=self.text(where, table, "label"),
            help=self.text(where, table, "help"),
            unit=self.text(where, table, "unit"),
            levels=tuple(levels),
            document=document,
        )

    def route(self, table: Mapping[str, Any], evidence: tuple[Evidence, ...]) -> Route:
        where = f"[[route]] {table.get('key', '?')}"
        known = {e.key: e for e in evidence}
        self.keys(where, table, {"key", "label", *known}, ["key", "label"])
        needs: dict[str, str | Decimal] = {}
        for key, value in table.items():
            item = known.get(key)
            if item is None:
                continue
            if item.is_level:
                if not isinstance(value, str) or item.level_rank(value) < 0:
                    self.problem(where, f"{key} must be one of the levels of {key}")
                    continue
                needs[key] = value
            elif isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                needs[key] = Decimal(str(value))
            else:
                self.problem(where, f"{key} must be a number of {item.unit} of 0 or more")
        if not needs:
            self.problem(where, "a route needs at least one kind of evidence")
        return Route(self.name(where, table), self.text(where, table, "label"), needs)

    def statement(self, where: str, table: Mapping[str, Any], *, keyed: bool = True) -> Statement:
        fields = {"text", "cites"} | ({"key"} if keyed else set())
        self.keys(where, table, fields, sorted(fields))
        cites = self.text(where, table, "cites")
        if "cites" in table and not CITATION.match(cites):
            self.problem(where, f'cites {cites!r} is not a citation (e.g. "2.3")')
        if "text" in table and not self.text(where, table, "text"):
            self.problem(where, "the text is empty")
        return Statement(
            key=self.name(where, table) if keyed else "agreement",
            text=" ".join(self.text(where, table, "text").split()),
            cites=cites,
        )

    def pass_score(self, exam: Mapping[str, Any]) -> Decimal:
        value = exam.get("pass_score", 70)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
            self.problem("[exam]", "pass_score must be a number above 0, at most 100")
            return Decimal(70)
        return Decimal(str(value))
