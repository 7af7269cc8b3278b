"""`ombuds credentials verify FILE | issue --org SLUG (--number N | --all) | rotate-key --org SLUG`.

verify works offline given the body's published key (--keys: its jwks.json or did.json) and status
lists (--status-list, once per file); what is not given is fetched from the address the credential
names, with a timeout. It prints the outcome and the reason, and exits with the outcome's code:
0 valid, 3 signature invalid, 4 not issued by this body (the key given), 5 revoked, 6 suspended,
7 expired, 8 not yet valid, 9 could not check, 10 unreadable; 1 when a file given cannot be read.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.credentials import documents, jose, services, verification
from ombuds.register.models import Credential

TIMEOUT = 10  # seconds, for each fetch
MAX_BYTES = 4 * 1024 * 1024


def fetch_url(url: str) -> str:
    """The text at an http(s) URL; StatusListUnavailable when it cannot be had in time."""
    if not url.startswith(("https://", "http://")):
        raise verification.StatusListUnavailable(f"{url!r} is not an http(s) address")
    request = urllib.request.Request(url, headers={"Accept": "application/jwt, application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.read(MAX_BYTES).decode("utf-8")
    except (urllib.error.URLError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise verification.StatusListUnavailable(f"{url} could not be fetched ({exc})") from None


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None


class Command(BaseCommand):
    help = "Verify an Open Badges 3.0 credential offline, or issue credentials as verifiable ones."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("verify", help="verify a credential file (.jwt or .json)")
        p.add_argument("file")
        p.add_argument("--keys", help="the body's jwks.json or did.json (else fetched by its DID)")
        p.add_argument(
            "--status-list",
            action="append",
            default=[],
            dest="status_lists",
            help="a status list file as published (repeat for each list)",
        )
        p = sub.add_parser("issue", help="issue credentials as verifiable credentials (staff)")
        p.add_argument("--org", required=True, help="the body's slug")
        group = p.add_mutually_exclusive_group(required=True)
        group.add_argument("--number", help="one credential's number; its signed file on stdout")
        group.add_argument("--all", action="store_true", help="every active credential")
        p = sub.add_parser("rotate-key", help="a new signing key; the old ones stay published")
        p.add_argument("--org", required=True, help="the body's slug")

    def handle(self, *args, **options):
        getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _verify(self, options) -> None:
        text = _read(options["file"])
        lists = {}
        for path in options["status_lists"]:
            token = _read(path).strip()
            try:
                lists[str(jose.unverified_payload(token).get("id", ""))] = token
            except jose.TokenError as exc:
                raise CommandError(f"{path} is not a status list credential: {exc}") from None
        keys = self._keys(options.get("keys"), text)
        if isinstance(keys, verification.Result):
            result = keys
        else:
            result = verification.verify(
                text,
                keys=keys,
                now=timezone.now(),
                fetch_status_list=lambda url: lists[url] if url in lists else fetch_url(url),
            )
        self.stdout.write(f"{result.headline}: {result.reason}")
        for label, value in result.summary.items():
            if value:
                self.stdout.write(f"  {label.replace('_', ' ')}: {value}")
        raise SystemExit(result.exit_code)

    def _keys(self, path: str | None, text: str):
        if path:
            document = _read(path)
        else:
            try:
                payload = jose.unverified_payload(verification.extract_token(text))
                issuer = payload.get("issuer")
                did = str(issuer.get("id") if isinstance(issuer, dict) else issuer)
                document = fetch_url(documents.did_document_url(did))
            except jose.TokenError as exc:
                return verification.Result(verification.UNREADABLE, f"Not readable: {exc}.")
            except (ValueError, verification.StatusListUnavailable) as exc:
                return verification.Result(
                    verification.COULD_NOT_CHECK, f"The issuer's key could not be had: {exc}."
                )
        try:
            return verification.Keys.from_document(json.loads(document))
        except (ValueError, jose.TokenError) as exc:
            raise CommandError(f"the keys are not a JWK set nor a DID document: {exc}") from None

    def _organization(self, slug: str) -> Organization:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"no body {slug!r}")
        return organization

    def _issue(self, options) -> None:
        organization = self._organization(options["org"])
        if options["all"]:
            report = services.credentials_vc_issue_all(organization=organization)
            self.stdout.write(
                f"{report.issued} issued, {report.unchanged} unchanged, "
                f"{report.refused} not active (not issued)"
            )
            return
        credential = Credential.objects.filter(
            program__organization=organization, number=options["number"]
        ).first()
        if credential is None:
            raise CommandError(f"no credential {options['number']!r} in {organization.slug}")
        try:
            issued = services.credential_vc_issue(credential=credential)
        except services.IssueRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(issued.token)

    def _rotate_key(self, options) -> None:
        key = services.signing_key_rotate(organization=self._organization(options["org"]))
        self.stdout.write(f"new signing key {documents.kid(key.organization.slug, key.pk)}")
