from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "balie.search"
    label = "search"
