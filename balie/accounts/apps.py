from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "balie.accounts"
    label = "accounts"
