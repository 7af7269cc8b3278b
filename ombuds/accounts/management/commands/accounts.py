"""`ombuds accounts invite|sessions|signout|reset-2fa`: members' accounts on the command line,
through the same services as the pages, with a one-line reason and a non-zero exit on failure."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ombuds.accounts import invitation_runs, selectors, services
from ombuds.accounts.sessions import sessions_active
from ombuds.bodies.models import Organization
from ombuds.register.models import Person


class Command(BaseCommand):
    help = "Invite register records to open their accounts; list or end an account's sessions; reset its second factor."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser(
            "invite", help="email a person of the body an invitation to open an account"
        )
        p.add_argument("org", help="the body's slug")
        p.add_argument(
            "person",
            nargs="?",
            help="ombuds:N (Ombuds' identifier), the person's email address, or the body's own identifier",
        )
        p.add_argument("--email", default="", help="send to this address instead of the record's")
        p.add_argument(
            "--all",
            action="store_true",
            help="everyone of the body with an email address, no account and no live invitation",
        )
        p = sub.add_parser("sessions", help="list an account's active sessions")
        p.add_argument("username")
        p = sub.add_parser("signout", help="sign an account out of every session")
        p.add_argument("username")
        p = sub.add_parser("reset-2fa", help="remove an account's second factor (a lost phone)")
        p.add_argument("username")
        p.add_argument("--reason", required=True, help="why, for the audit log")

    def handle(self, *args, action: str, **options):
        if action == "invite":
            self._invite(options)
            return
        try:
            user = selectors.account_of(options["username"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"no account {options['username']!r}") from None
        if action == "sessions":
            rows = sessions_active(user)
            for row in rows:
                self.stdout.write(
                    f"{row.created_at:%Y-%m-%d %H:%M}  last seen {row.last_seen_at:%Y-%m-%d %H:%M}  "
                    f"{row.ip_address or '-'}  {row.user_agent or '-'}"
                )
            self.stderr.write(f"{len(rows)} active session{'s' * (len(rows) != 1)} for {user}")
        elif action == "signout":
            ended = services.sessions_sign_out(user=user, reason="command line")
            self.stdout.write(f"{user} signed out of {ended} session{'s' * (ended != 1)}")
        else:
            try:
                removed = services.second_factor_remove(user=user, reason=options["reason"])
            except services.SecondFactorRefused as refused:
                raise CommandError("; ".join(refused.problems)) from None
            self.stdout.write(
                f"removed the second factor of {user} ({removed} device{'s' * (removed != 1)}); "
                "they set up a new one when they next sign in"
            )

    def _invited(self, outcome: str, person: Person, invitation, problems: list[str]) -> None:
        if outcome == "sent":
            self.stderr.write(f"invited {person.full_name} at {invitation.email}")
        elif outcome == "refused":
            self.stderr.write(f"ombuds:{person.pk}: {'; '.join(problems)}")
        else:
            self.stderr.write(f"ombuds:{person.pk}: skipped, invited or given an account meanwhile")

    def _invite(self, options) -> None:
        try:
            organization = Organization.objects.get(slug=options["org"])
        except Organization.DoesNotExist:
            raise CommandError(f"no body with slug {options['org']!r}") from None
        if options["all"]:
            if options["person"] or options["email"]:
                raise CommandError("--all invites everyone: give no person and no --email")
            try:
                run = invitation_runs.run_start(
                    organization=organization, enqueue=False, allow_empty=True
                )
            except invitation_runs.InvitationRunRefused as refused:
                raise CommandError("; ".join(refused.problems)) from None
            run = invitation_runs.run_execute(run.pk, on_person=self._invited)
            if run is None:
                raise CommandError("the run was taken by another process before it began")
            if run.state == run.State.FAILED:
                raise CommandError(run.summary)
            self.stdout.write(invitation_runs.run_summary(run))
            return
        if not options["person"]:
            raise CommandError(
                "name a person (ombuds:N, an email or the body's identifier) or give --all"
            )
        try:
            person = selectors.person_find(organization, options["person"])
        except Person.DoesNotExist:
            raise CommandError(
                f"no person {options['person']!r} in {organization.short_name}'s register"
            ) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            invitation, _ = services.invitation_create(person=person, email=options["email"])
        except services.InvitationRefused as refused:
            raise CommandError("; ".join(refused.problems)) from None
        self.stdout.write(
            f"invited {person.full_name} at {invitation.email}; the link works until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
        )
