from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "balie.core"
    label = "core"
