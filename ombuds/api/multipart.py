"""Files sent to the API as ``multipart/form-data``, streamed to a temporary folder on disk.

A compliance return may be a ledger of millions of rows: nothing here holds a file in memory. The
request's declared length is checked against a limit before a byte of the body is read (413), the
body is then parsed by Django with only its temporary-file upload handler (each file written to
disk in chunks as it arrives), and every file is moved, under its own name, into a folder of its
own that is removed when the request ends, whatever happened. A body Django cannot parse, a field
given twice, a field past its length or with a NUL character is a 400 naming it.

The endpoint reads the body itself, after its token was checked: an unauthenticated request never
gets to upload anything.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja.errors import HttpError

NOT_MULTIPART = "send the request body as multipart/form-data"


@dataclass(frozen=True)
class Received:
    """The text fields of the body (each given once) and its files, each at a path of its own."""

    fields: dict[str, str]
    files: dict[str, Path]


def _length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise HttpError(400, "the request's Content-Length is not a number") from None


def _safe_name(name: str, fallback: str) -> str:
    """The file's own name without any folder, NUL or control character (at most 200)."""
    name = Path(name.replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable()).strip().lstrip(".")
    return name[:200] or fallback


def _fields(request: HttpRequest, limits: dict[str, int]) -> dict[str, str]:
    problems, fields = [], {}
    for name in request.POST:
        values = request.POST.getlist(name)
        if name not in limits:
            problems.append(f"{name[:40]}: not a field of this request")
        elif len(values) > 1:
            problems.append(f"{name}: given {len(values)} times")
        elif len(values[0]) > limits[name]:
            problems.append(f"{name}: at most {limits[name]} characters")
        elif "\x00" in values[0]:
            problems.append(f"{name}: a NUL character")
        else:
            fields[name] = values[0]
    if problems:
        raise HttpError(400, "; ".join(problems))
    return fields


def _move(upload, folder: Path, key: str) -> Path:
    """The uploaded file moved (or, if it is in memory, written in chunks) into its own folder."""
    own = folder / key
    own.mkdir()
    target = own / _safe_name(upload.name or "", f"{key}.csv")
    if hasattr(upload, "temporary_file_path"):
        upload.file.flush()
        shutil.move(upload.temporary_file_path(), target)
    else:
        with open(target, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    return target


@contextmanager
def received(
    request: HttpRequest, *, max_bytes: int, fields: dict[str, int], max_files: int = 10
) -> Iterator[Received]:
    """The request's multipart body, its files on disk until the block ends. ``fields`` names the
    text fields it may have, with each one's maximum length. HttpError: 400 for a body that is not
    multipart or cannot be read, 413 past ``max_bytes``."""
    if request.content_type != "multipart/form-data":
        raise HttpError(400, NOT_MULTIPART)
    if _length(request) > max_bytes:
        raise HttpError(
            413, f"the request is larger than {max_bytes:,} bytes: send the return in parts"
        )
    # Refused (AttributeError) only when something read the body before: nothing left to change.
    with contextlib.suppress(AttributeError):
        request.upload_handlers = [TemporaryFileUploadHandler(request)]
    folder = Path(tempfile.mkdtemp(prefix="ombuds-upload-"))
    uploads = []
    try:
        try:
            post, files = request.POST, request.FILES
        except (MultiPartParserError, SuspiciousOperation) as exc:
            raise HttpError(400, f"the multipart body cannot be read: {exc}") from None
        del post  # read through _fields, each name checked
        text = _fields(request, fields)
        problems, paths = [], {}
        for key in files:
            given = files.getlist(key)
            uploads += given
            if len(given) > 1:
                problems.append(f"{key[:40]}: {len(given)} files given, one expected")
        if len(files) > max_files:
            problems.append(f"at most {max_files} files")
        if problems:
            raise HttpError(400, "; ".join(problems))
        for key in files:
            if not key.replace("_", "").isalnum() or len(key) > 40:
                raise HttpError(400, f"{key[:40]!r} is not the name of a file of a return")
            paths[key] = _move(files[key], folder, key)
        yield Received(text, paths)
    finally:
        for upload in uploads:
            with contextlib.suppress(OSError):
                upload.close()
        shutil.rmtree(folder, ignore_errors=True)
