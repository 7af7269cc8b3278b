from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "ombuds.compliance"
    label = "compliance"
    verbose_name = "Compliance returns"
