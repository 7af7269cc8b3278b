from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ombuds.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from ombuds.accounts.sessions import on_signed_in, on_signed_out

        user_logged_in.connect(on_signed_in, dispatch_uid="ombuds_account_signed_in")
        user_logged_out.connect(on_signed_out, dispatch_uid="ombuds_account_signed_out")
