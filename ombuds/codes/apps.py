from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "ombuds.codes"
    label = "codes"
    verbose_name = "Codes of conduct"
