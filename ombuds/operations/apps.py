from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "ombuds.operations"
    label = "operations"
    verbose_name = "Operations"
