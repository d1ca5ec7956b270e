from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "balie.portal"
    label = "portal"
