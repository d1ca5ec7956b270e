from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "balie.reporting"
    label = "reporting"
    verbose_name = "Rapportages"
