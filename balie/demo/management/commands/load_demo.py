"""`balie load_demo`: the demo company Voorbeeld Energie, its agents, customers and tickets."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from balie.demo.demo_data import load_demo


class Command(BaseCommand):
    help = "Laad de demo-omgeving van Voorbeeld Energie (een tweede keer verandert niets)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--token-file",
            default=str(Path(settings.VAR_DIR) / "demo-token.txt"),
            help="Bestand (mode 600) waarin het ruwe demo-API-token wordt bewaard.",
        )

    def handle(self, *args, token_file: str, **options) -> None:
        result = load_demo(token_file=Path(token_file) if token_file else None)
        if result.created:
            self.stdout.write(self.style.SUCCESS("Demo-omgeving Voorbeeld Energie aangemaakt."))
        else:
            self.stdout.write("Demo-omgeving Voorbeeld Energie bestond al; niets gewijzigd.")
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in result.counts.items()))
        self.stdout.write("Demo-logins (gebruikersnaam / wachtwoord / rol):")
        for username, password, role in result.logins:
            self.stdout.write(f"  {username} / {password} / {role}")
        if result.token:
            self.stdout.write(f"api token: {result.token}")
        if result.ingest_token:
            self.stdout.write(f"ingest token: {result.ingest_token}")
