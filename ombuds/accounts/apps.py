from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ombuds.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Imported here, not at the top: an app's models may not be imported before the registry
        # is ready (Django's rule, not a cycle).
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from ombuds.accounts import selectors, totp_seeds
        from ombuds.accounts.sessions import on_signed_in, on_signed_out
        from ombuds.register.extensions import person_page_register

        # Second-factor seeds are sealed at rest (django-otp's column, sealed in place).
        totp_seeds.connect()
        user_logged_in.connect(on_signed_in, dispatch_uid="ombuds_account_signed_in")
        user_logged_out.connect(on_signed_out, dispatch_uid="ombuds_account_signed_out")
        # A person's staff page in the register shows their account (the register does not import
        # this app, which sits above it).
        person_page_register(
            name="account", annotate=selectors.with_account, context=selectors.person_account
        )
