from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "balie.messaging"
    label = "messaging"
