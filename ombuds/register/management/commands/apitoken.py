"""`ombuds apitoken create|list|revoke`: a body's API tokens, with their scopes and expiry."""

from __future__ import annotations

import argparse
import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ombuds.bodies.models import Organization
from ombuds.register.models import ApiToken
from ombuds.register.tokens import (
    MEMBER_SCOPE,
    STAFF_SCOPES,
    TokenError,
    token_create,
    token_revoke,
    token_state,
    tokens_of,
)

CLI = "command line"


class Command(BaseCommand):
    help = (
        "Make, list or revoke a body's API tokens: staff tokens with scopes for the staff API, "
        "member tokens for a member's own records. Every token expires."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("create", help="make a token (printed once, on stdout)")
        p.add_argument("org", nargs="?", help="the body's slug")
        p.add_argument("user", nargs="?", help="the user who holds the token")
        # --org and --user: the spelling from before ORG and USER were positional, still read.
        p.add_argument("--org", dest="org_option", help=argparse.SUPPRESS)
        p.add_argument("--user", dest="user_option", help=argparse.SUPPRESS)
        p.add_argument("--name", required=True, help="what the token is for")
        p.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=[*STAFF_SCOPES, MEMBER_SCOPE],
            help="what the token may do, once per scope: register:read, register:write, "
            "cases:read, cases:write, compliance:read, compliance:write (a write scope implies "
            "its read scope); or member, for a "
            "member's token on their own records",
        )
        p.add_argument(
            "--expires",
            metavar="YYYY-MM-DD",
            help="the day the token stops working (default: OMBUDS_API_TOKEN_DAYS from today; at "
            "most OMBUDS_API_TOKEN_MAX_DAYS)",
        )
        p = sub.add_parser("list", help="list a body's tokens: scopes, expiry, last use, state")
        p.add_argument("org", nargs="?", help="the body's slug")
        p.add_argument("--org", dest="org_option", help=argparse.SUPPRESS)
        p = sub.add_parser("revoke", help="revoke a body's token by its prefix")
        p.add_argument("org", help="the body's slug")
        p.add_argument("prefix", help="the token's prefix, as `list` shows it")

    def handle(self, *args, action, **options):
        organization = self._body(options.get("org") or options.get("org_option"))
        if action == "create":
            self._create(organization, options)
        elif action == "list":
            self._list(organization)
        else:
            self._revoke(organization, options["prefix"])

    def _body(self, slug: str | None) -> Organization:
        if not slug:
            raise CommandError("say which body: its slug, e.g. `ombuds apitoken list espcc`")
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"no body with slug {slug!r}")
        return organization

    def _create(self, organization: Organization, options) -> None:
        username = options.get("user") or options.get("user_option")
        if not username:
            raise CommandError("say whose token it is: ombuds apitoken create ORG USER ...")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        scopes = options["scopes"] or []
        if not scopes:
            raise CommandError(
                "say what the token may do with --scope, once per scope: "
                f"{', '.join(STAFF_SCOPES)}, or {MEMBER_SCOPE} for a member's own token"
            )
        expires_on = None
        if options["expires"]:
            try:
                expires_on = dt.date.fromisoformat(options["expires"])
            except ValueError:
                raise CommandError(
                    f"--expires: {options['expires']!r} is not a date (YYYY-MM-DD)"
                ) from None
        kind = ApiToken.Scope.MEMBER if MEMBER_SCOPE in scopes else ApiToken.Scope.STAFF
        try:
            row, token = token_create(
                user=user,
                organization=organization,
                name=options["name"],
                scope=kind,
                scopes=scopes,
                expires_on=expires_on,
                actor_label=CLI,
            )
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(token)
        self.stderr.write(
            f"{row.scope} token {row.prefix}… for {user} on {organization.slug}, scopes "
            f"{' '.join(row.scopes)}, expires {row.expires_on:%Y-%m-%d}; it is not shown again"
        )

    def _list(self, organization: Organization) -> None:
        rows = list(tokens_of(organization))
        if not rows:
            self.stderr.write(f"{organization.slug} has no API token")
            return
        self.stdout.write("PREFIX        STATE    EXPIRES     LAST USED         USER  SCOPES  NAME")
        for row in rows:
            state = token_state(row)
            if state == "revoked":
                state = f"revoked {row.revoked_at:%Y-%m-%d}"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            self.stdout.write(
                f"{row.prefix}  {state:<7}  {row.expires_on:%Y-%m-%d}  {used:<16}  {row.user}  "
                f"{','.join(row.scopes)}  {row.name}"
            )

    def _revoke(self, organization: Organization, prefix: str) -> None:
        row = tokens_of(organization).filter(prefix=prefix).first()
        if row is None:
            raise CommandError(f"{organization.slug} has no token {prefix!r}")
        if token_revoke(token=row, actor_label=CLI):
            self.stdout.write(f"revoked {row.prefix} ({row.name})")
        else:
            self.stdout.write(f"{row.prefix} was already revoked on {row.revoked_at:%Y-%m-%d}")
