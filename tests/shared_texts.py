"""The shared folder (seed texts and corpus) that tests read other people's words from.

The texts are never copied into the repository: a test reads them from ``OMBUDS_SHARED_DIR`` (or the
``shared`` folder beside the checkout) and skips, saying why, where that folder is absent. Mark such
tests with ``@pytest.mark.shared``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def shared_dir() -> Path:
    """``$OMBUDS_SHARED_DIR``, or ``../shared`` next to the repository."""
    configured = os.environ.get("OMBUDS_SHARED_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1].parent / "shared"


def read_shared(relpath: str) -> str:
    """The text of a shared file (UTF-8), or a skip that says how to provide it."""
    path = shared_dir() / relpath
    if not path.is_file():
        pytest.skip(
            f"needs the shared folder ({path} is missing): set OMBUDS_SHARED_DIR to the folder "
            "that holds seeds/ and corpus/"
        )
    return path.read_text(encoding="utf-8")
