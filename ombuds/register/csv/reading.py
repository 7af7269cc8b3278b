"""Reading a register CSV file: decoding it, its header (which says the kind) and its rows.

Nothing here looks at the database: a file that cannot be read is refused before any query.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False


KINDS: dict[str, tuple[Column, ...]] = {
    "people": (
        Column("external_id", True),
        Column("given_name", True),
        Column("family_name", True),
        Column("email"),
        Column("phone"),
        Column("city"),
        Column("region"),
        Column("country"),
    ),
    "agencies": (
        Column("external_id", True),
        Column("legal_name", True),
        Column("trade_names"),
        Column("registration_numbers"),
        Column("address"),
        Column("city"),
        Column("region"),
        Column("postal_code"),
        Column("country"),
        Column("email"),
        Column("phone"),
        Column("website"),
    ),
    "memberships": (
        Column("external_id", True),
        Column("number", True),
        Column("membership_type", True),
        Column("person"),
        Column("agency"),
        Column("status", True),
        Column("start_date"),
        Column("renewal_date"),
        Column("suspended_until"),
        Column("decision_ref"),
    ),
    "credentials": (
        Column("external_id", True),
        Column("number", True),
        Column("program", True),
        Column("holder", True),
        Column("status", True),
        Column("issued_on"),
        Column("expires_on"),
        Column("suspended_until"),
        Column("conditions"),
        Column("decision_ref"),
    ),
}
# The column whose presence in the header row says which kind a file holds.
KIND_MARKERS = {
    "credentials": "program",
    "memberships": "membership_type",
    "agencies": "legal_name",
    "people": "given_name",
}


@dataclass(frozen=True)
class RowError:
    line: int | None  # None: not about one line (the register changed during the import)
    column: str | None
    reason: str

    def __str__(self) -> str:
        if self.line is None:
            return self.reason
        if self.column:
            return f"line {self.line}, column {self.column}: {self.reason}"
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did or, in a dry run, would do. With any error, nothing was written and the
    counts are zero."""

    dry_run: bool
    kind: str | None = None
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # What staff should look at but does not stop the import (CSEC 4.2: confusingly similar names).
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors if e.line is not None})

    def summary(self) -> str:
        """One line: what was done, or why nothing was."""
        if self.errors:
            if self.kind is None:
                return f"cannot import this file: {self.errors[0]}"
            bad, errors = len(self.bad_lines), len(self.errors)
            return (
                f"{self.kind}: {bad} bad {'line' if bad == 1 else 'lines'}, {errors} "
                f"{'error' if errors == 1 else 'errors'}; nothing was written"
            )
        counts = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.dry_run:
            return f"dry run, nothing written: {self.kind}, {self.rows} rows would be: {counts}"
        return f"{self.kind}: {self.rows} rows: {counts}"


class FileUnreadable(Exception):
    """The file cannot be read as a register CSV at all: nothing in it is checked further."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


# Spreadsheets read a cell that starts with one of these as a formula (CSV injection). Export writes
# such a value with a leading "'", which spreadsheets take as "this is text"; import removes it.
# A value that itself starts with "'"s before one of them gets one more, so that it comes back too.
_ESCAPED = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED_FIRST = frozenset("'=+-@\t\r")


def escape_formula(value: str) -> str:
    if value[:1] in _ESCAPED_FIRST and _ESCAPED.match(value):
        return f"'{value}"
    return value


def unescape_formula(value: str) -> str:
    return value[1:] if value.startswith("'") and _ESCAPED.match(value, 1) else value


def decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileUnreadable(1, "the file is UTF-16; save it as CSV UTF-8")
    bom = 3 if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + bom
        line = data.count(b"\n", 0, offset) + 1
        raise FileUnreadable(
            line,
            f"not UTF-8: byte 0x{data[offset]:02X} at offset {offset} cannot be read; "
            "save the file as CSV UTF-8",
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        offset = len(text[:nul].encode("utf-8")) + bom
        raise FileUnreadable(
            text.count("\n", 0, nul) + 1,
            f"a NUL byte at offset {offset}: this is not a CSV text file (a spreadsheet or UTF-16?)",
        )
    if not text.strip():
        raise FileUnreadable(1, "the file is empty")
    return text


CHUNK = 1 << 20  # bytes read at a time from a file being checked or read


def check_source(source: BinaryIO) -> str:
    """`decode`'s checks in one pass over a file's bytes, a block at a time (the file is never held
    whole), refusing what `decode` refuses with the same message; returns the file's SHA-256.

    Blocks are cut before the last character that may continue in the next block, so a UTF-8 error
    is found at the byte `decode` names. A NUL byte is reported only if the whole file is UTF-8."""
    sha = hashlib.sha256()
    source.seek(0)
    pending = source.read(max(CHUNK, 4))
    sha.update(pending)
    if pending.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileUnreadable(1, "the file is UTF-16; save it as CSV UTF-8")
    start = 3 if pending.startswith(codecs.BOM_UTF8) else 0
    offset = lines = 0  # the offset of pending[0] in the file, and the line breaks before it
    nul: tuple[int, int] | None = None
    content = eof = False
    while True:
        if not eof and len(pending) < CHUNK + 4:
            more = source.read(CHUNK)
            sha.update(more)
            pending += more
            eof = not more
        cut = len(pending)
        if not eof:
            cut -= 1
            while cut > max(0, len(pending) - 4) and pending[cut] & 0xC0 == 0x80:
                cut -= 1
        piece = pending[start:cut]
        try:
            text = piece.decode("utf-8")
        except UnicodeDecodeError as exc:
            at = offset + start + exc.start
            raise FileUnreadable(
                lines + piece.count(b"\n", 0, exc.start) + 1,
                f"not UTF-8: byte 0x{piece[exc.start]:02X} at offset {at} cannot be read; "
                "save the file as CSV UTF-8",
            ) from None
        if nul is None and (found := piece.find(b"\x00")) >= 0:
            nul = (lines + piece.count(b"\n", 0, found) + 1, offset + start + found)
        content = content or bool(text.strip())
        lines += piece.count(b"\n")
        offset += cut
        pending, start = pending[cut:], 0
        if eof and not pending:
            break
    if nul is not None:
        raise FileUnreadable(
            nul[0],
            f"a NUL byte at offset {nul[1]}: this is not a CSV text file (a spreadsheet or UTF-16?)",
        )
    if not content:
        raise FileUnreadable(1, "the file is empty")
    return sha.hexdigest()


def text_lines(source: BinaryIO) -> Iterator[str]:
    """A checked file's text, line by line as `io.StringIO(text, newline="")` splits it, read a
    block at a time."""
    source.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    tail = ""
    while True:
        block = source.read(CHUNK)
        text = tail + decoder.decode(block, final=not block)
        lines = io.StringIO(text, newline="").readlines()
        # The last line may go on in the next block (and a "\r" may be half of a "\r\n").
        tail = lines.pop() if block and lines and not lines[-1].endswith("\n") else ""
        yield from lines
        if not block:
            return


_CSV_MESSAGES = {
    "unexpected end of data": "a quoted value opened here is never closed",
    "',' expected after '\"'": "a closing quote must be followed by a comma or the end of the line",
    "new-line character seen in unquoted field": "a line break inside a value that is not quoted",
}


def _records(lines: Iterable[str]) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line where the record starts, values or None, the reason it is malformed)."""
    reader = csv.reader(lines, strict=True)
    start = 1
    while True:
        try:
            for values in reader:
                line, start = start, reader.line_num + 1
                yield line, values, ""
            return
        except csv.Error as exc:
            yield start, None, _CSV_MESSAGES.get(str(exc), f"malformed CSV: {exc}")
            start = reader.line_num + 1


def _kind_of(header: list[str], line: int) -> str:
    kinds = [kind for kind, marker in KIND_MARKERS.items() if marker in header]
    if len(kinds) != 1:
        markers = ", ".join(f"{marker} ({kind})" for kind, marker in KIND_MARKERS.items())
        raise FileUnreadable(
            line,
            f"unknown header ({', '.join(header)}): the first row names the columns, and exactly "
            f"one of these says what the file holds: {markers}",
        )
    return kinds[0]


@dataclass
class Row:
    line: int
    cells: dict[str, str]


def _header_ok(header: list[str], header_line: int, kind: str, report: ImportReport) -> bool:
    """Every column named once and known for the kind, the required ones there; each problem is
    reported on the header's line."""
    columns = {c.name: c for c in KINDS[kind]}
    fatal = False
    for position, name in enumerate(header, start=1):
        if not name:
            report.errors.append(
                RowError(header_line, str(position), "a column without a name in the header")
            )
            fatal = True
        elif name not in columns:
            report.errors.append(
                RowError(
                    header_line,
                    name,
                    f"unknown column for {kind}; the columns are: {', '.join(columns)}",
                )
            )
            fatal = True
        elif header.index(name) != position - 1:
            report.errors.append(RowError(header_line, name, "this column appears twice"))
            fatal = True
    for column in columns.values():
        if column.required and column.name not in header:
            report.errors.append(
                RowError(header_line, column.name, f"{kind} need this column; it is missing")
            )
            fatal = True
    if kind == "memberships" and "person" not in header and "agency" not in header:
        report.errors.append(
            RowError(header_line, None, "memberships need a person or an agency column")
        )
        fatal = True
    return not fatal


def read_header(
    records: Iterator[tuple[int, list[str] | None, str]], report: ImportReport
) -> list[str] | None:
    """The header row: sets the report's kind; None (and the errors reported) when it is wrong."""
    for line, values, problem in records:
        if values is None:
            raise FileUnreadable(line, f"the header row cannot be read: {problem}")
        if any(v.strip() for v in values):
            header = [v.strip().lower() for v in values]
            header_line = line
            break
    else:
        raise FileUnreadable(1, "the file is empty")
    kind = _kind_of(header, header_line)
    report.kind = kind
    if not _header_ok(header, header_line, kind, report):
        return None
    return header


def raw_rows(
    records: Iterator[tuple[int, list[str] | None, str]], header: list[str], report: ImportReport
) -> Iterator[tuple[int, list[str]]]:
    """The rows after the header as read, one at a time: (line, values in the header's order); a
    malformed one is reported, not yielded."""
    width = len(header)
    for line, values, problem in records:
        if values is None:
            report.errors.append(RowError(line, None, problem))
        elif not ((values and values[0].strip()) or any(v.strip() for v in values)):
            continue  # blank lines, and the empty rows spreadsheets add at the end
        elif len(values) != width:
            report.errors.append(
                RowError(line, None, f"{len(values)} values where the header has {width} columns")
            )
        else:
            yield line, values


def as_row(line: int, values: list[str], header: list[str]) -> Row:
    """A row's cells by column: without surrounding spaces, a formula's escape removed."""
    return Row(
        line, {name: unescape_formula(v.strip()) for name, v in zip(header, values, strict=True)}
    )


def data_rows(
    records: Iterator[tuple[int, list[str] | None, str]], header: list[str], report: ImportReport
) -> Iterator[Row]:
    """The rows after the header, one at a time; a malformed one is reported, not yielded."""
    for line, values in raw_rows(records, header, report):
        yield as_row(line, values, header)


def records_of(source: BinaryIO) -> Iterator[tuple[int, list[str] | None, str]]:
    """The records of a file `check_source` passed, read a block at a time."""
    return _records(text_lines(source))


def parse(text: str, report: ImportReport) -> list[Row] | None:
    records = _records(io.StringIO(text, newline=""))
    header = read_header(records, report)
    if header is None:
        return None
    return list(data_rows(records, header, report))
