"""Topics in the routing queue and in agents' skills: English codes (the skills' other entries,
products typed by an admin, stay as they are)."""

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
    QueueEntry = apps.get_model("routing", "QueueEntry")
    AgentSkills = apps.get_model("routing", "AgentSkills")
    for before, after in mapping.items():
        QueueEntry.objects.filter(topic=before).update(topic=after)
    for skills in AgentSkills.objects.all():
        topics = [mapping.get(topic, topic) for topic in skills.topics or []]
        if topics != (skills.topics or []):
            skills.topics = topics
            skills.save(update_fields=["topics"])


def to_english(apps, schema_editor):
    _recode(apps, CODES)


def to_dutch(apps, schema_editor):
    _recode(apps, {english: dutch for dutch, english in CODES.items()})


class Migration(migrations.Migration):
    dependencies = [("routing", "0003_presence_reason_english_codes")]

    operations = [migrations.RunPython(to_english, to_dutch)]
