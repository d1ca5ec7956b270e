"""`balie seed --tickets N`: fill the database with realistic generated data (demo, benchmark)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from balie.demo.seeding import seed


class Command(BaseCommand):
    help = (
        "Genereer realistische klanten, tickets en berichten (Nederlandse tekst van een "
        "energieleverancier) voor demo's en benchmarks. Verstuurt niets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, required=True, help="aantal tickets")
        parser.add_argument(
            "--messages-per-ticket", type=float, default=3.0, help="gemiddeld aantal berichten"
        )
        parser.add_argument(
            "--customers",
            type=int,
            default=None,
            help="aantal nieuwe klanten (standaard: tickets/3)",
        )
        parser.add_argument("--batch", type=int, default=10_000, help="tickets per transactie")
        parser.add_argument("--seed", type=int, default=20240601, help="startwaarde van het toeval")
        indexes = parser.add_mutually_exclusive_group()
        indexes.add_argument(
            "--rebuild-indexes",
            dest="drop_indexes",
            action="store_true",
            default=None,
            help="PostgreSQL: gewone indexen tijdens het laden weghalen en daarna opbouwen "
            "(standaard vanaf 100.000 tickets)",
        )
        indexes.add_argument("--keep-indexes", dest="drop_indexes", action="store_false")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["tickets"] < 0:
            self.stderr.write("--tickets moet 0 of meer zijn")
            return
        verbosity = options["verbosity"]
        report = seed(
            tickets=options["tickets"],
            messages_per_ticket=options["messages_per_ticket"],
            customers=options["customers"],
            batch=options["batch"],
            random_seed=options["seed"],
            drop_indexes=options["drop_indexes"],
            progress=(lambda line: self.stdout.write(line)) if verbosity >= 1 else None,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.customers} klanten, {report.identities} identiteiten, "
                f"{report.tickets} tickets (#{report.first_ticket}–#{report.last_ticket}), "
                f"{report.messages} berichten in {report.seconds:.1f} s"
            )
        )
