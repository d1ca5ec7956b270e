from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "balie.demo"
    label = "demo"
