from django.apps import AppConfig


class BodiesConfig(AppConfig):
    name = "ombuds.bodies"
    label = "bodies"
    verbose_name = "Bodies"

    def ready(self) -> None:
        # The bodies' data keys are the keyring of the encrypted fields and files (ombuds.core).
        from ombuds.bodies.keys import KEYRING
        from ombuds.core import crypto

        crypto.register_keyring(KEYRING)
