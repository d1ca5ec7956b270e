from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "balie.tickets"
    label = "tickets"
