"""What a complaint's uploaded file really is, by its first bytes, not by the name or type the browser
gave.

Complaints come with evidence from anyone: only a few common formats are taken (PDF, PNG, JPEG,
plain text, Word and OpenDocument text), up to a size limit and a number of files, and a file whose
content does not match what its name claims is refused. The check itself is `ombuds.core.uploads`,
which the register's recertification evidence shares.
"""

from __future__ import annotations

from ombuds.core.uploads import (
    ACCEPT_ATTRIBUTE,
    ACCEPTED,
    DOCX,
    JPEG,
    KINDS,
    MAX_BYTES,
    ODT,
    PDF,
    PNG,
    TEXT,
    Kind,
    UploadRefused,
    check_upload,
    sniff,
)

MAX_FILES = 5

__all__ = [
    "ACCEPTED",
    "ACCEPT_ATTRIBUTE",
    "DOCX",
    "JPEG",
    "KINDS",
    "MAX_BYTES",
    "MAX_FILES",
    "ODT",
    "PDF",
    "PNG",
    "TEXT",
    "Kind",
    "UploadRefused",
    "check_upload",
    "sniff",
]
