from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "ombuds.register"
    label = "register"
    verbose_name = "Register"
