"""Copies of documents cleaned of what a file says about who made it, for sharing with the
respondent: a PDF's document information and XMP metadata (pikepdf), an image's EXIF, XMP, ICC
profile and comments (Pillow, with its orientation applied first), an Office or OpenDocument file's
properties (core, app and custom properties; the document's meta.xml; the authors of comments and
tracked changes). Plain text has none. A file that cannot be cleaned is refused (`CleaningRefused`),
never shared as it is.

The copy is made from the bytes alone (pure: no database, no storage), for every kind of upload
`ombuds.cases.documents` takes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import pikepdf
from PIL import Image, ImageOps

from ombuds.cases import documents as uploads

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # a zip entry's date says when the file was edited


class CleaningRefused(ValueError):
    """The file cannot be cleaned of its metadata; the message says why."""


@dataclass(frozen=True)
class Cleaned:
    data: bytes
    extension: str  # with its dot: ".pdf"


def clean(data: bytes) -> Cleaned:
    """A copy of the file without its metadata, or CleaningRefused."""
    kind = uploads.sniff(data)
    cleaner = _CLEANERS.get(kind)
    if kind is None or cleaner is None:
        raise CleaningRefused(
            "this kind of file cannot be cleaned of its metadata, so it is not shared with the "
            f"respondent (files that can be: {uploads.ACCEPTED})"
        )
    try:
        cleaned = cleaner(data)
    except CleaningRefused:
        raise
    except Exception as exc:  # a damaged or unusual file of a known kind
        raise CleaningRefused(
            f"this {kind.label} could not be read to clean it of its metadata ({type(exc).__name__}): "
            "save it again (or print it to a new PDF) and share that"
        ) from exc
    return Cleaned(cleaned, kind.extensions[0])


def _pdf(data: bytes) -> bytes:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise CleaningRefused(
            "this PDF is protected by a password: it cannot be cleaned of its metadata; share a "
            "copy without the password"
        ) from exc
    with pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        # XMP on the document, and on any page, image or font that carries its own.
        for obj in [pdf.Root, *pdf.objects]:
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                for key in ("/Metadata", "/PieceInfo"):
                    if key in obj:
                        del obj[key]
        out = io.BytesIO()
        # Written whole: earlier revisions kept by incremental saves are dropped with it.
        pdf.save(out, fix_metadata_version=False, deterministic_id=True)
    return out.getvalue()


def _image(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image_format = image.format
        turned = ImageOps.exif_transpose(image)  # applied, since the tag that said it goes
        bare = Image.new(turned.mode, turned.size)
        bare.frombytes(turned.tobytes())  # pixels only: no info, EXIF, XMP, text or comments
        if turned.mode == "P":
            bare.putpalette(turned.getpalette() or [])
    out = io.BytesIO()
    if image_format == "JPEG":
        if bare.mode not in ("RGB", "L", "CMYK"):
            bare = bare.convert("RGB")
        bare.save(out, "JPEG", quality=95)
    else:
        bare.save(out, "PNG")
    return out.getvalue()


_NEUTRAL_PARTS = {
    "docProps/core.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
    ),
    "docProps/app.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        'docPropsVTypes"/>'
    ),
    "docProps/custom.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        'docPropsVTypes"/>'
    ),
    "meta.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'office:version="1.2"><office:meta/></office:document-meta>'
    ),
}
# Who wrote a comment or a tracked change, inside the document's own parts.
_AUTHOR_ATTRIBUTE = re.compile(rb'(\b[\w]+:(?:author|initials|userId))="[^"]*"')
_ODF_CREATOR = re.compile(rb"<dc:creator>[^<]*</dc:creator>")


def _office(data: bytes) -> bytes:
    """An Office Open XML or OpenDocument file with neutral properties, every entry's date fixed
    and its order, names and compression kept (an OpenDocument's `mimetype` stays first, stored)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for entry in source.infolist():
            content = source.read(entry)
            if entry.filename in _NEUTRAL_PARTS:
                content = _NEUTRAL_PARTS[entry.filename].encode()
            elif entry.filename.endswith(".xml"):
                content = _AUTHOR_ATTRIBUTE.sub(rb'\1=""', content)
                content = _ODF_CREATOR.sub(b"<dc:creator></dc:creator>", content)
            info = zipfile.ZipInfo(entry.filename, date_time=_FIXED_TIME)
            info.compress_type = entry.compress_type
            info.external_attr = 0o644 << 16
            target.writestr(info, content)
    return out.getvalue()


_CLEANERS = {
    uploads.PDF: _pdf,
    uploads.PNG: _image,
    uploads.JPEG: _image,
    uploads.TEXT: lambda data: data,  # no metadata of its own
    uploads.DOCX: _office,
    uploads.ODT: _office,
}
