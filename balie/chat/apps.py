from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "balie.chat"
    label = "chat"
