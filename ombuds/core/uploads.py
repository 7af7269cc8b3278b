"""What an uploaded file really is, by its first bytes, not by the name or type the browser gave.

Files come from anyone (a complaint's evidence, a holder's proof of an activity): only a few common
formats are taken (PDF, PNG, JPEG, plain text, Word and OpenDocument text), up to a size limit, and a
file whose content does not match what its name claims is refused. Pure Python: every app's uploads
are checked here (`ombuds.cases.documents` for complaints, the register's recertification evidence).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

MAX_BYTES = 10 * 1024 * 1024


class UploadRefused(ValueError):
    """A file that cannot be taken; the message says why, naming the file."""


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]
    label: str


PDF = Kind("application/pdf", (".pdf",), "PDF")
PNG = Kind("image/png", (".png",), "PNG image")
JPEG = Kind("image/jpeg", (".jpg", ".jpeg"), "JPEG image")
TEXT = Kind("text/plain", (".txt",), "plain text")
DOCX = Kind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
    "Word document",
)
ODT = Kind("application/vnd.oasis.opendocument.text", (".odt",), "OpenDocument text")
KINDS = (PDF, PNG, JPEG, TEXT, DOCX, ODT)
ACCEPTED = ", ".join(k.label for k in KINDS)
ACCEPT_ATTRIBUTE = ",".join(e for k in KINDS for e in k.extensions)


def sniff(data: bytes) -> Kind | None:
    """The kind of file these bytes are, or None when it is none of those taken."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "word/document.xml" in names:
                    return DOCX
                if (
                    "mimetype" in names
                    and archive.read("mimetype").strip() == ODT.content_type.encode()
                ):
                    return ODT
        except (zipfile.BadZipFile, KeyError, RuntimeError):
            return None
        return None
    if b"\x00" in data[:8192]:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT


def check_upload(name: str, data: bytes) -> Kind:
    """The file's kind, or UploadRefused saying what is wrong with it."""
    shown = PurePath(name).name or "the file"
    if not data:
        raise UploadRefused(f"{shown} is empty")
    if len(data) > MAX_BYTES:
        raise UploadRefused(f"{shown} is larger than {MAX_BYTES // (1024 * 1024)} MB")
    kind = sniff(data)
    if kind is None:
        raise UploadRefused(f"{shown} is not one of the formats taken ({ACCEPTED})")
    suffix = PurePath(name).suffix.lower()
    if suffix not in kind.extensions:
        raise UploadRefused(
            f"{shown} is named as {suffix or 'a file without extension'} but its content is "
            f"{kind.label}: rename it {kind.extensions[0]} if that is what it is"
        )
    return kind
