from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ombuds.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from ombuds.audit import checks, privileges  # noqa: F401  (the deployment checks)

        privileges.connect()
