"""A return's documents and attested statements: what the filer gives is checked first, every
problem listed (nothing is kept when there is one), then the presence, expiry and attestation rules
turn what is missing, expired or not attested into findings citing their provisions.

A document missing is not a problem of the return but a finding (the agency files what it has);
a document the return does not declare, one given twice, one whose expiry date is missing or not a
date, or a statement the return does not declare, are problems. Uploads are checked as every upload
to Ombuds is (``ombuds.cases.documents``: size, content sniffed, a name matching the content).

Nothing here touches the database: the services keep what was checked."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from ombuds.cases import documents as uploads
from ombuds.compliance.engine import Finding
from ombuds.compliance.programme import Programme, ReturnSpec

DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class DocumentGiven:
    """A document as the filer gives it: the return's key for it, the file's name and content."""

    key: str
    name: str
    data: bytes

    @classmethod
    def from_path(cls, key: str, path: Path) -> DocumentGiven:
        """Read at most one byte more than an upload may hold (so a larger one is refused as
        such without reading it whole). OSError when it cannot be read."""
        with open(path, "rb") as f:
            return cls(key, path.name, f.read(uploads.MAX_BYTES + 1))


@dataclass(frozen=True)
class Document:
    """A document whose content, name and expiry date were checked: ready to be kept."""

    key: str
    name: str
    data: bytes
    content_type: str
    extension: str
    expires_on: dt.date | None


def _declared(what: str, key: str, declared: Collection[str]) -> str:
    has = ", ".join(declared) or "none"
    return f"the return has no {what} called {key!r} (it has {has})"


def _expiry(value: dt.date | str | None) -> dt.date | None:
    """The date ``value`` names; ValueError when it names none; None when it is empty."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = (value or "").strip()
    if not text:
        return None
    if not DATE.fullmatch(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def given_check(
    spec: ReturnSpec,
    documents: Sequence[DocumentGiven],
    expires: Mapping[str, dt.date | str | None],
    statements: Collection[str],
) -> tuple[list[Document], list[str]]:
    """The documents checked and every problem of what was given (the documents are kept only when
    there is none): keys the return does not declare, a document twice, an upload not taken, an
    expiry date missing for a document that expires, given for one that does not or was not
    given, or not a date; a statement the return does not declare."""
    problems: list[str] = []
    taken: dict[str, tuple[DocumentGiven, uploads.Kind]] = {}
    for given in documents:
        if given.key not in spec.documents:
            problems.append(_declared("document", given.key, spec.documents))
        elif given.key in taken:
            problems.append(f"{given.key}: the document is given twice")
        else:
            try:
                taken[given.key] = (given, uploads.check_upload(given.name, given.data))
            except uploads.UploadRefused as exc:
                problems.append(f"{given.key}: {exc}")
    given_keys = {given.key for given in documents}
    dates: dict[str, dt.date] = {}
    for key, value in expires.items():
        declared = spec.documents.get(key)
        try:
            day = _expiry(value)
        except ValueError:
            problems.append(f"{key}: the expiry date {str(value)!r} is not a date (YYYY-MM-DD)")
            continue
        if day is None:
            continue
        if declared is None:
            if key not in given_keys:  # else already said of the document
                problems.append(_declared("document", key, spec.documents))
        elif not declared.expires:
            problems.append(f"{key}: the document has no expiry date to give")
        elif key not in given_keys:
            problems.append(f"{key}: an expiry date is given but not the document")
        else:
            dates[key] = day
    for key in taken:
        if spec.documents[key].expires and key not in dates and _blank(expires.get(key)):
            problems.append(f"{key}: give the date the document expires (YYYY-MM-DD)")
    for key in dict.fromkeys(statements):
        if key not in spec.statements:
            problems.append(_declared("statement", key, spec.statements))
    checked = [
        Document(
            key,
            PurePath(given.name).name[:255],
            given.data,
            kind.content_type,
            PurePath(given.name).suffix.lower(),
            dates.get(key),
        )
        for key, (given, kind) in taken.items()
    ]
    return checked, problems


def _blank(value: dt.date | str | None) -> bool:
    return value is None or str(value).strip() == ""


def rules_check(
    programme: Programme,
    return_key: str,
    *,
    documents: Mapping[str, dt.date | None],
    statements: Collection[str],
    period_end: dt.date,
) -> list[Finding]:
    """The findings of a return's presence, expiry and attestation rules: ``documents`` maps each
    document filed to its expiry date (None when it has none), ``statements`` the ones attested.
    A document is in force when it does not expire before the period's last day; the finding of
    one that does says its expiry date and is dated by it, the others by the period's last day."""
    findings = []
    spec = programme.returns[return_key]
    for rule in programme.rules_for(return_key):
        detail, day, evidence = "", period_end, {}
        if rule.kind in ("present", "in_force"):
            label = spec.documents[rule.target].label
            evidence = {"document": rule.target}
            expires = documents.get(rule.target)
            if rule.target not in documents:
                detail = f"{label}: not filed"
            elif rule.kind == "in_force" and expires is None:
                detail = f"{label}: no expiry date given"
            elif rule.kind == "in_force" and expires is not None and expires < period_end:
                detail = (
                    f"{label}: expires on {expires.isoformat()}, before the period ends on "
                    f"{period_end.isoformat()}"
                )
                day, evidence = expires, {**evidence, "expires_on": expires.isoformat()}
        elif rule.kind == "attested" and rule.target not in statements:
            detail = f"{spec.statements[rule.target].label}: not attested"
            evidence = {"statement": rule.target}
        if detail:
            findings.append(
                Finding(rule.key, rule.provision, rule.severity, None, day, None, detail, evidence)
            )
    return findings
