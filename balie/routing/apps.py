from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "balie.routing"
    label = "routing"
