from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from ombuds.demo.loader import DemoError, load_demo


class Command(BaseCommand):
    help = (
        "Load the demonstration bodies (ESPCC, CSEC) with their published codes, registers, cases "
        "and members. Idempotent. The codes are the official texts from --codes DIR or from "
        "OMBUDS_SHARED_DIR's seeds/ folder when there, else Ombuds' demonstration wording."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--codes",
            metavar="DIR",
            help="the folder holding the official texts (espcc-cesp-code-of-conduct.txt and "
            "csec-code-of-ethical-conduct.txt), or a folder whose seeds/ holds them",
        )

    def handle(self, *args, **options):
        # The demo's own records write emails (invitations, clients' complaints); nobody reads them.
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                username, password, done = load_demo(options["codes"])
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        for line in done:
            self.stdout.write(line)
        if password is None:
            self.stdout.write(
                f"Administrator login: the existing account {username!r} was left as it is "
                "(its password is unchanged; `ombuds changepassword admin` sets a new one)"
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Administrator login: {username} / {password}"))
