from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "balie.accounts"
    label = "accounts"

    def ready(self) -> None:
        # The per-process staff lists hear of every change to teams, agents and users in
        # any process (a shell or a management command too), not only where the inbox ran.
        # Likewise the API tokens: a token made or revoked by a management command or a shell
        # (the benchmark's, an admin's script) reached a running server only at its restart.
        from . import (
            api_auth,  # noqa: F401
            staff_lists,  # noqa: F401
        )
