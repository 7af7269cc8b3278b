from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "ombuds.members"
    label = "members"
    verbose_name = "Members of a body"
