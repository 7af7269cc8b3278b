from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ombuds.bodies.models import Organization
from ombuds.register.models import ApiToken
from ombuds.register.tokens import TokenError, token_create, token_revoke


class Command(BaseCommand):
    help = (
        "Make, list or revoke API tokens: staff tokens for the staff API, member tokens for a "
        "member's own records."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("create", help="make a token (printed once)")
        p.add_argument("--org", required=True)
        p.add_argument("--user", required=True)
        p.add_argument("--name", required=True, help="what the token is for")
        p.add_argument(
            "--scope",
            choices=ApiToken.Scope.values,
            default=ApiToken.Scope.STAFF,
            help="staff (the default) or member (the user's own records only)",
        )
        p = sub.add_parser("list", help="list a body's tokens")
        p.add_argument("--org", required=True)
        p = sub.add_parser("revoke", help="revoke a token by its prefix")
        p.add_argument("prefix")

    def handle(self, *args, action, **options):
        if action == "create":
            try:
                organization = Organization.objects.get(slug=options["org"])
                user = get_user_model().objects.get(username=options["user"])
                row, token = token_create(
                    user=user,
                    organization=organization,
                    name=options["name"],
                    scope=options["scope"],
                )
            except Organization.DoesNotExist:
                raise CommandError(f"no body with slug {options['org']!r}") from None
            except get_user_model().DoesNotExist:
                raise CommandError(f"no user {options['user']!r}") from None
            except TokenError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(token)
            self.stderr.write(
                f"{row.scope} token {row.prefix}… for {user} on {organization.slug}; "
                "it is not shown again"
            )
        elif action == "list":
            for row in ApiToken.objects.filter(organization__slug=options["org"]).select_related(
                "user"
            ):
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "live"
                self.stdout.write(f"{row.prefix}  {row.scope}  {row.user}  {row.name}  {state}")
        else:
            row = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if row is None:
                raise CommandError(f"no token {options['prefix']!r}")
            token_revoke(token=row)
            self.stdout.write(f"revoked {row.prefix}")
