"""The "topic" claim of tickets filed from the contact form and the chat: English codes."""

from django.db import migrations

CODES = {
    "vraag": "question",
    "factuur": "billing",
    "storing": "incident",
    "meterstand": "meter_reading",
    "verhuizing": "moving",
    "klacht": "complaint",
    "anders": "other",
}


def _recode(apps, mapping):
    Ticket = apps.get_model("tickets", "Ticket")
    changed = []
    for ticket in (
        Ticket.objects.filter(claims__topic__in=list(mapping)).only("id", "claims").iterator()
    ):
        ticket.claims = {**ticket.claims, "topic": mapping[ticket.claims["topic"]]}
        changed.append(ticket)
        if len(changed) >= 1000:
            Ticket.objects.bulk_update(changed, ["claims"])
            changed = []
    if changed:
        Ticket.objects.bulk_update(changed, ["claims"])


def to_english(apps, schema_editor):
    _recode(apps, CODES)


def to_dutch(apps, schema_editor):
    _recode(apps, {english: dutch for dutch, english in CODES.items()})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0009_threading_from_recorded_reasons")]

    operations = [migrations.RunPython(to_english, to_dutch)]
