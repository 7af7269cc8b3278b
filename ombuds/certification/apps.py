from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "ombuds.certification"
    label = "certification"
    verbose_name = "Certification: applications and examinations"
