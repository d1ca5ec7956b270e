from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "balie.automation"
    label = "automation"
    verbose_name = "Automatisering"
