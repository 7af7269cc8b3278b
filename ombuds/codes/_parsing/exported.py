"""Ombuds' own Markdown export, written and read back exactly.

The export is ordinary Markdown that reads well anywhere: the title, a line with the issuer, version
and date, the preamble, then one heading per provision (``##`` for the top level, one ``#`` more
per level, at most six) with its citation and heading, and its text below. What a reader cannot
see rides along in HTML comments, invisible once rendered: a first line
``<!-- ombuds-export {...} -->`` with the metadata and the number of provisions, and after each
heading ``<!-- ombuds {...} -->`` with its label, citation and depth. So a re-import gives back the
same tree (labels, citations, headings, texts), which no guess from the visible words could promise.

A provision's full text, modality and subject travel with a digest of its text: where the text was
edited after the export, they are worked out again from the new words. A heading added by hand
(with no note) is read as a provision whose citation is its first word when that word has a digit.
Where the number of provisions read differs from the number exported, a warning says so.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

MARKER = "<!-- ombuds-export "
FORMAT_VERSION = 1
_MAX_LEVEL = 6
_TOP_LEVEL = 2

# Every "<" of the visible words is written "\<": a note is a comment whose "<" has no backslash.
_NOTE = re.compile(r"\s*(?<!\\)<!-- ombuds (?P<json>\{.*\}) -->\s*$")
_HEADING = re.compile(r"^(?P<hashes>#{1,6}) (?P<rest>.*)$")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_TO_ESCAPE = re.compile(r"[\\*_<`\[\]]")
_CITATION_WORD = re.compile(r"^\S*\d\S*$")


def is_export(text: str) -> bool:
    return text.startswith(MARKER)


def _escape(text: str) -> str:
    """Markdown-safe words whose backslashes all come from here, so reading them back is exact."""
    escaped = _TO_ESCAPE.sub(lambda m: "\\" + m.group(0), text)
    return "\n".join("\\" + line if line.startswith("#") else line for line in escaped.split("\n"))


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: m.group(1), text)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _comment_json(data: dict[str, Any]) -> str:
    # "-->" must never end the comment early: ">" is written as its JSON escape.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace(">", "\\u003e")


def write(code: dict[str, Any], *, version_label: str | None = None) -> str:
    """The Markdown export of a code in the interchange format (``ParsedCode.to_dict()``)."""
    provisions = code.get("provisions") or []
    count = sum(1 for _ in _walk(provisions))
    header = {
        "format": FORMAT_VERSION,
        "issuer": code.get("issuer"),
        "effective": code.get("effective"),
        "version": version_label,
        "provisions": count,
    }
    lines = [f"{MARKER}{_comment_json(header)} -->"]
    if code.get("title"):
        lines += [f"# {_escape(code['title'])}", ""]
    meta = [
        _escape(code["issuer"]) if code.get("issuer") else None,
        f"Version {_escape(version_label)}" if version_label else None,
        f"effective {code['effective']}" if code.get("effective") else None,
    ]
    lines += ["*" + " · ".join(v for v in meta if v) + "*", ""]
    for paragraph in code.get("preamble") or []:
        lines += [_escape(paragraph), ""]

    def emit(provision: dict[str, Any], depth: int) -> None:
        level = min(_TOP_LEVEL + depth, _MAX_LEVEL)
        visible = " ".join(
            _escape(part) for part in (provision.get("citation"), provision.get("heading")) if part
        )
        text = provision.get("text") or ""
        note: dict[str, Any] = {
            "label": provision.get("label"),
            "citation": provision.get("citation"),
            "depth": depth,
            "heading": bool(provision.get("heading")),
            "sha": _digest(text),
        }
        if (provision.get("full_text") or "") != text:
            note["full_text"] = provision.get("full_text") or ""
        if provision.get("modality"):
            note["modality"] = provision["modality"]
        if provision.get("subject"):
            note["subject"] = provision["subject"]
        lines.append(f"{'#' * level} {visible} <!-- ombuds {_comment_json(note)} -->")
        lines.append("")
        if text:
            lines.extend([_escape(text), ""])
        for child in provision.get("children") or []:
            emit(child, depth + 1)

    for provision in provisions:
        emit(provision, 0)
    return "\n".join(lines).rstrip() + "\n"


def _walk(provisions: list[dict[str, Any]]):
    for provision in provisions:
        yield provision
        yield from _walk(provision.get("children") or [])


Derive = Callable[[str, str], tuple[str, str | None, str | None]]


def read(text: str, derive: Derive) -> dict[str, Any]:
    """The interchange dict of a Markdown export. ``derive(parent_text, text)`` gives
    (full_text, modality, subject) for a provision whose text changed since the export."""
    lines = text.split("\n")
    header_line, _, _ = lines[0].partition(" -->")
    try:
        header = json.loads(header_line[len(MARKER) :])
    except ValueError:
        header = {}
    warnings: list[str] = []
    title: str | None = None
    preamble: list[str] = []
    roots: list[dict[str, Any]] = []
    stack: list[tuple[int, dict[str, Any]]] = []  # (depth, provision) of the open ancestors
    current: dict[str, Any] | None = None
    body: list[str] = []
    saw_meta = False

    def close() -> None:
        words = _unescape("\n".join(body).strip("\n"))
        body.clear()
        if current is None:
            if words:
                preamble.extend(p.strip() for p in re.split(r"\n\s*\n", words) if p.strip())
            return
        current["text"] = words

    for no, line in enumerate(lines[1:], start=2):
        heading = _HEADING.match(line)
        if heading and len(heading["hashes"]) == 1 and current is None and title is None:
            title = _unescape(heading["rest"].strip()) or None
            continue
        if current is None and not saw_meta and line.startswith("*") and line.endswith("*"):
            saw_meta = True
            continue
        if not heading or len(heading["hashes"]) < _TOP_LEVEL:
            body.append(line)
            continue
        close()
        current, depth = _provision(heading["rest"], len(heading["hashes"]), no, warnings)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            stack[-1][1]["children"].append(current)
        else:
            roots.append(current)
        stack.append((depth, current))
    close()
    _finish(roots, "", derive)
    read_count = sum(1 for _ in _walk(roots))
    expected = header.get("provisions")
    if isinstance(expected, int) and expected != read_count:
        warnings.append(
            f"the export held {expected} provisions but {read_count} were read: "
            "provisions were added or lost since the export"
        )
    return {
        "title": title,
        "issuer": header.get("issuer"),
        "effective": header.get("effective"),
        "preamble": preamble,
        "provisions": roots,
        "warnings": warnings,
    }


def _provision(rest: str, level: int, no: int, warnings: list[str]) -> tuple[dict[str, Any], int]:
    note_match = _NOTE.search(rest)
    visible = _unescape(rest[: note_match.start()] if note_match else rest).strip()
    note: dict[str, Any] = {}
    if note_match:
        try:
            note = json.loads(note_match["json"])
        except ValueError:
            note = {}
    if not note:
        first, _, after = visible.partition(" ")
        citation = first if _CITATION_WORD.match(first) else None
        warnings.append(
            f"line {no}: a heading with no Ombuds note, read as provision "
            f"{citation or '(no citation)'}"
        )
        provision = _new(citation, citation, after.strip() if citation else visible)
        return provision, level - _TOP_LEVEL
    citation = note.get("citation")
    words = visible
    if citation and words.startswith(citation):
        words = words[len(citation) :].strip()
    provision = _new(note.get("label"), citation, words if note.get("heading", True) else None)
    provision["_note"] = note
    depth = note.get("depth")
    return provision, depth if isinstance(depth, int) else level - _TOP_LEVEL


def _new(label: str | None, citation: str | None, heading: str | None) -> dict[str, Any]:
    return {
        "label": label,
        "citation": citation,
        "heading": heading or None,
        "text": "",
        "full_text": "",
        "modality": None,
        "subject": None,
        "children": [],
    }


def _finish(provisions: list[dict[str, Any]], parent_text: str, derive: Derive) -> None:
    for provision in provisions:
        note = provision.pop("_note", {})
        text = provision["text"]
        if note and note.get("sha") == _digest(text):
            provision["full_text"] = note.get("full_text", text)
            provision["modality"] = note.get("modality")
            provision["subject"] = note.get("subject")
        else:
            full_text, modality, subject = derive(parent_text, text)
            provision.update(full_text=full_text, modality=modality, subject=subject)
        _finish(provision["children"], text, derive)
