from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ombuds.core"
    label = "core"
    verbose_name = "Ombuds"
