"""`balie quarantine list | show <id> | replay <id> | replay --all`: inspect and replay input
that could not be accepted or processed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from balie.intake import pipeline as ingest
from balie.messaging.models import Quarantine

PREVIEW_BYTES = 4000


class Command(BaseCommand):
    help = "Quarantaine: bekijk en verwerk opnieuw wat niet kon worden aangenomen of verwerkt."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Toon de quarantaine (nieuwste eerst).")
        listing.add_argument("--all", action="store_true", help="Ook al opnieuw verwerkte.")
        listing.add_argument("--limit", type=int, default=50)
        show = sub.add_parser("show", help="Toon één item met zijn ruwe invoer.")
        show.add_argument("id", type=int)
        show.add_argument("--full", action="store_true", help="De hele ruwe invoer.")
        replay = sub.add_parser("replay", help="Verwerk opnieuw (na een oplossing).")
        replay.add_argument("id", type=int, nargs="?")
        replay.add_argument("--all", action="store_true", help="Alle nog niet verwerkte items.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(show_all=options["all"], limit=options["limit"])
        elif action == "show":
            self._show(self._get(options["id"]), full=options["full"])
        elif options["all"]:
            items = Quarantine.objects.filter(replayed_at__isnull=True).order_by("created_at")
            done = 0
            for item in items:
                done += self._replay(item)
            self.stdout.write(f"{done} van {len(items)} opnieuw verwerkt.")
        elif options["id"] is not None:
            if not self._replay(self._get(options["id"])):
                raise CommandError(f"item {options['id']} is nog niet verwerkt")
        else:
            raise CommandError("geef een id of --all")

    def _get(self, pk: int) -> Quarantine:
        item = Quarantine.objects.filter(pk=pk).first()
        if item is None:
            raise CommandError(f"geen quarantaine-item {pk}")
        return item

    def _list(self, *, show_all: bool, limit: int) -> None:
        items = Quarantine.objects.all()
        if not show_all:
            items = items.filter(replayed_at__isnull=True)
        rows = list(items[:limit])
        if not rows:
            self.stdout.write("De quarantaine is leeg.")
            return
        for item in rows:
            state = "opnieuw verwerkt" if item.replayed_at else "open"
            self.stdout.write(
                f"{item.pk:>6}  {item.created_at:%Y-%m-%d %H:%M}  {item.channel:<9} "
                f"{item.source[:30]:<30} {state:<16} {item.reason[:80]}"
            )

    def _show(self, item: Quarantine, *, full: bool) -> None:
        raw = bytes(item.raw)
        self.stdout.write(f"id:        {item.pk}")
        self.stdout.write(f"kanaal:    {item.channel}")
        self.stdout.write(f"bron:      {item.source}")
        self.stdout.write(f"ontvangen: {item.created_at:%Y-%m-%d %H:%M:%S}")
        self.stdout.write(f"reden:     {item.reason}")
        if item.envelope_id:
            self.stdout.write(f"envelope:  {item.envelope_id}")
        if item.meta:
            self.stdout.write(f"meta:      {item.meta}")
        if item.replayed_at:
            self.stdout.write(
                f"opnieuw:   {item.replayed_at:%Y-%m-%d %H:%M:%S}: {item.replay_result}"
            )
        self.stdout.write(f"grootte:   {len(raw)} bytes")
        self.stdout.write("")
        shown = raw if full else raw[:PREVIEW_BYTES]
        self.stdout.write(shown.decode("utf-8", errors="replace"))
        if len(shown) < len(raw):
            self.stdout.write(f"\n… ({len(raw) - len(shown)} bytes meer; --full toont alles)")

    def _replay(self, item: Quarantine) -> bool:
        result = ingest.replay(item)
        item.refresh_from_db()
        ok = item.replayed_at is not None
        self.stdout.write(f"{item.pk}: {'verwerkt' if ok else 'mislukt'}: {result}")
        return ok
