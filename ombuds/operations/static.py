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
    """The manifest's hashed names when collectstatic has run; the plain names when it has not.

    With a manifest, a name's address is worked out once per process: the manifest is read when the
    storage is made and does not change under a running server (a new collectstatic is a new
    deployment), while working it out (normalising, looking up, quoting, joining) is a tenth of a
    small page's rendering, twice on every page."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def stored_name(self, name: str) -> str:
        if not self.hashed_files and not manifest_present():
            return name
        return super().stored_name(name)

    def url(self, name: str | None, force: bool = False) -> str:
        if force or settings.DEBUG or not self.hashed_files or name is None:
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:
            self._urls[name] = url = super().url(name)
            return url

    def post_process(self, *args, **kwargs):
        # collectstatic rewrites the manifest: no address worked out before it stands.
        self._urls.clear()
        yield from super().post_process(*args, **kwargs)
        self._urls.clear()
