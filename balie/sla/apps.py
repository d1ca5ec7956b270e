from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "balie.sla"
    label = "sla"
