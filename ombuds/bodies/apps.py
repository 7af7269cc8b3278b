from django.apps import AppConfig


class BodiesConfig(AppConfig):
    name = "ombuds.bodies"
    label = "bodies"
    verbose_name = "Bodies"
