"""The topic a visitor chose in the chat widget: English codes."""

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
    ChatSession = apps.get_model("chat", "ChatSession")
    for before, after in mapping.items():
        ChatSession.objects.filter(topic=before).update(topic=after)


def to_english(apps, schema_editor):
    _recode(apps, CODES)


def to_dutch(apps, schema_editor):
    _recode(apps, {english: dutch for dutch, english in CODES.items()})


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_visitor_gone_at")]

    operations = [migrations.RunPython(to_english, to_dutch)]
