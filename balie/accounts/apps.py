from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "balie.accounts"
    label = "accounts"

    def ready(self) -> None:
        # The per-process staff lists hear of every change to teams, agents and users in
        # any process (a shell or a management command too), not only where the inbox ran.
        from . import staff_lists  # noqa: F401
