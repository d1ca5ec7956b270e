from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "balie.intake"
    label = "intake"
