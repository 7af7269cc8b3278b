"""Bytes to text: refuse what is not a text file, with a message that says what and where."""

from __future__ import annotations

import codecs

# Control characters other than tab, newline, carriage return and form feed.
_CONTROL = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\r\f") | {"\x7f"}
_CONTROL_RATIO = 0.1  # above this share of control characters a file is taken for binary


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _human_size(size: int) -> str:
    """' (50.0 MB)' for a size worth rounding, '' for a few bytes."""
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f" ({size / factor:.1f} {unit})"
    return ""


def _line_col(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


_OTHER_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16: its mark starts with UTF-16's
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def decode(data: bytes, *, max_bytes: int | None = None, error: type[Exception]) -> str:
    """The text of ``data``, or ``error`` with a one-line reason (see ``parser.decode``)."""
    if max_bytes is not None and len(data) > max_bytes:
        raise error(
            f"too large: {len(data):,} bytes{_human_size(len(data))}, "
            f"the limit is {max_bytes:,} bytes"
        )
    if not data:
        raise error("empty input: the file has 0 bytes")
    for mark, name in _OTHER_ENCODINGS:
        if data.startswith(mark):
            raise error(f"not UTF-8: the file starts with a {name} byte order mark (offset 0)")
    nul = data.find(b"\x00")
    if nul != -1:
        raise error(f"binary input: NUL byte at offset {nul} ({_line_col(data, nul)})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"not UTF-8: invalid byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"({_line_col(data, exc.start)})"
        ) from None
    skipped = len(codecs.BOM_UTF8) if text.startswith("\ufeff") else 0
    text = text[1:] if skipped else text
    _refuse_control_characters(data, text, skipped, error)
    text = normalise_newlines(text)
    if not text.strip():
        raise error(f"empty input: the file has only whitespace ({len(data)} bytes)")
    return text


def _refuse_control_characters(
    data: bytes, text: str, skipped: int, error: type[Exception]
) -> None:
    controls = sum(text.count(ch) for ch in _CONTROL)
    if controls > _CONTROL_RATIO * len(text):
        first = min(i for i in (text.find(ch) for ch in _CONTROL) if i != -1)
        offset = skipped + len(text[:first].encode("utf-8"))
        raise error(
            f"binary input: {controls} of {len(text)} characters are control characters "
            f"(the first at offset {offset}, {_line_col(data, offset)})"
        )
