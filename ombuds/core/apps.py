from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ombuds.core"
    label = "core"
    verbose_name = "Ombuds"

    def ready(self) -> None:
        # Ombuds' own deployment checks (`ombuds check --deploy`) register themselves on import.
        from ombuds.core import checks  # noqa: F401
        from ombuds.core.crypto import refuse_without_master_key

        # Without its master key nothing encrypted can be read or written: stop now, in one line.
        refuse_without_master_key()
