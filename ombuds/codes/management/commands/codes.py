"""`ombuds codes parse|import|publish|list|export|diff`: codes of conduct on the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.bodies.models import Organization
from ombuds.codes import code_settings, exports, parser, selectors, services
from ombuds.codes.exceptions import CodeError


def _read(path: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        size = file.stat().st_size
        if size > settings.OMBUDS_MAX_CODE_BYTES:
            raise CommandError(
                f"{path}: too large: {size:,} bytes, the limit is {settings.OMBUDS_MAX_CODE_BYTES:,} "
                "(OMBUDS_MAX_CODE_BYTES)"
            )
        return file.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror}") from exc


def _profile(path: str) -> tuple[str, parser.Profile]:
    """The TOML text of a profile file and the profile it reads as (CommandError: why not)."""
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot read the profile: {exc}") from exc
    try:
        return text, parser.load_profile(text)
    except parser.ProfileError as exc:
        raise CommandError(f"{path}: " + "; ".join(exc.messages)) from exc


def _organization(slug: str) -> Organization:
    try:
        return Organization.objects.get(slug=slug)
    except Organization.DoesNotExist:
        raise CommandError(f"no body with slug {slug!r}") from None


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--effective must be a date like 2024-01-31; got {value!r}") from None


class Command(BaseCommand):
    help = "Parse, import, publish, export and compare codes of conduct."

    def add_arguments(self, parser_: CommandParser) -> None:
        sub = parser_.add_subparsers(dest="action", required=True, metavar="ACTION")

        p = sub.add_parser("parse", help="parse a code file and print its structure (no database)")
        p.add_argument("path")
        p.add_argument("--json", action="store_true", help="print the interchange format as JSON")
        p.add_argument("--profile", help="a body's parsing profile (TOML) to parse with")

        p = sub.add_parser("import", help="import a code file as a new version")
        p.add_argument("path")
        p.add_argument("--org", required=True, help="the body's slug")
        p.add_argument("--version", dest="label", help="version label (default: v1, v2, ...)")
        p.add_argument("--effective", help="effective date, YYYY-MM-DD")
        p.add_argument("--publish", action="store_true", help="publish at once")
        p.add_argument(
            "--profile",
            help="parse with this profile (TOML) and keep it for the body's next imports "
            "(default: the profile the body keeps)",
        )

        p = sub.add_parser("publish", help="publish a draft version")
        p.add_argument("--org", required=True)
        p.add_argument("label")

        p = sub.add_parser("list", help="list a body's code versions")
        p.add_argument("--org", required=True)

        p = sub.add_parser("export", help="print a version as JSON or Markdown")
        p.add_argument("--org", required=True)
        p.add_argument("--version", dest="label", help="default: the version in force")
        p.add_argument("--format", choices=["json", "markdown"], default="json")

        p = sub.add_parser(
            "diff", help="provisions added, removed and changed between two versions"
        )
        p.add_argument("--org", required=True)
        p.add_argument("old")
        p.add_argument("new")
        p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"handle_{action}")(**options)
        except CodeError as exc:
            raise CommandError(str(exc)) from exc

    def handle_parse(self, *, path: str, json: bool, profile: str | None, **_: Any) -> None:
        profile_ = _profile(profile)[1] if profile else None
        try:
            text = parser.decode(_read(path), max_bytes=settings.OMBUDS_MAX_CODE_BYTES)
        except parser.ParseError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        parsed = parser.parse(text, filename=path, profile=profile_)
        if not parsed.provisions and not parsed.preamble:
            raise CommandError(f"{path}: nothing could be read as a code of conduct")
        for warning in parsed.warnings:
            self.stderr.write(f"warning: {warning}")
        if json:
            data = parsed.to_dict()
            if profile_ is not None and profile_.citation_prefix:
                data["citation_prefix"] = profile_.citation_prefix
            self.stdout.write(_json_dumps(data))
        else:
            self.stdout.write(exports.outline(parsed))

    def handle_import(
        self,
        *,
        path: str,
        org: str,
        label: str | None,
        effective: str | None,
        publish: bool,
        profile: str | None = None,
        **_: Any,
    ) -> None:
        organization = _organization(org)
        profile_text, profile_ = _profile(profile) if profile else (None, None)
        data = _read(path)
        try:
            if profile_ is None:
                profile_ = code_settings.stored_profile(organization)
            parsed = services.read_code_file(data, filename=path, profile=profile_)
        except CodeError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        for warning in parsed.warnings:
            self.stderr.write(f"warning: {warning}")
        version, created = services.code_version_import(
            organization=organization,
            parsed=parsed,
            source=data,
            source_name=Path(path).name,
            label=label,
            effective_date=_date(effective),
            publish=publish,
            profile_text=profile_text,
        )
        count = version.provisions.count()
        state = "published" if version.is_published else "draft"
        verb = "imported" if created else "already imported, unchanged:"
        self.stdout.write(f"{verb} {org} {version.label} ({state}): {count} provisions")

    def handle_publish(self, *, org: str, label: str, **_: Any) -> None:
        organization = _organization(org)
        version = selectors.version_get(organization, label, published_only=False)
        if version is None:
            raise CommandError(f"{org} has no version {label!r}")
        services.code_version_publish(version=version)
        self.stdout.write(f"published {org} {version.label}")

    def handle_list(self, *, org: str, **_: Any) -> None:
        organization = _organization(org)
        current = selectors.current_version(organization)
        for version in selectors.all_versions(organization):
            marker = "*" if current and version.pk == current.pk else " "
            effective = version.effective_date.isoformat() if version.effective_date else "-"
            self.stdout.write(
                f"{marker} {version.label:<12} {version.status:<10} effective {effective:<10} "
                f"{version.provision_count:>5} provisions  {version.title}"
            )

    def _version(self, organization: Organization, label: str | None):
        if label is None:
            version = selectors.current_version(organization)
            if version is None:
                raise CommandError(f"{organization.slug} has no published code")
            return version
        version = selectors.version_get(organization, label, published_only=False)
        if version is None:
            raise CommandError(f"{organization.slug} has no version {label!r}")
        return version

    def handle_export(self, *, org: str, label: str | None, format: str, **_: Any) -> None:
        version = self._version(_organization(org), label)
        if format == "json":
            self.stdout.write(_json_dumps(exports.version_to_dict(version)))
        else:
            self.stdout.write(exports.version_to_export_markdown(version), ending="")

    def handle_diff(self, *, org: str, old: str, new: str, json: bool, **_: Any) -> None:
        organization = _organization(org)
        old_version, new_version = (
            self._version(organization, old),
            self._version(organization, new),
        )
        result = selectors.versions_diff(old_version, new_version)
        if json:
            self.stdout.write(_json_dumps(exports.diff_to_dict(result)))
        else:
            self.stdout.write(exports.diff_to_text(result, old_version.label, new_version.label))


def _json_dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
