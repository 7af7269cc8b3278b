from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "ombuds.credentials"
    label = "credentials"
    verbose_name = "Verifiable credentials"
