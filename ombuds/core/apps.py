from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ombuds.core"
    label = "core"
    verbose_name = "Ombuds"

    def ready(self) -> None:
        # Ombuds' own deployment checks (`ombuds check --deploy`) register themselves on import.
        from ombuds.core import checks  # noqa: F401
