from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "balie.customers"
    label = "customers"
