"""Static files with and without `collectstatic`.

In production the hashed, compressed names come from collectstatic's manifest, and a server refuses to
start without it (`startup.refuse_unservable`, called by ombuds/wsgi.py). A development server run
before any collectstatic has no manifest: its pages then link the plain names, which WhiteNoise serves
from the apps' static folders (WHITENOISE_USE_FINDERS), instead of failing every page on "Missing
staticfiles manifest entry"."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


def manifest_path() -> Path:
    """Where collectstatic writes the manifest of hashed names."""
    return Path(settings.STATIC_ROOT) / CompressedManifestStaticFilesStorage.manifest_name


def manifest_present() -> bool:
    return manifest_path().is_file()


class ManifestOrPlainStorage(CompressedManifestStaticFilesStorage):
    """The manifest's hashed names when collectstatic has run; the plain names when it has not."""

    def stored_name(self, name: str) -> str:
        if not self.hashed_files and not manifest_present():
            return name
        return super().stored_name(name)
