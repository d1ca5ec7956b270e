"""The demo company's opening hours and SLA policies.

Monday to Friday 08:00-18:00 for every channel; chat and phone also Saturday 10:00-14:00; closed
on Dutch public holidays. Targets: chat 2 minutes, WhatsApp and social 1 hour, phone callback
4 business hours, e-mail, web form, walk-in and letter 8 business hours; urgent halves each;
resolution within 5 business days (of 10 hours).
"""

from datetime import time

from django.db import migrations

WEEKDAYS = range(5)
RESOLUTION = 5 * 10 * 60
SOCIAL = ["whatsapp", "messenger", "instagram", "x", "sms"]


def create(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    OpeningHours = apps.get_model("sla", "OpeningHours")
    CalendarAssignment = apps.get_model("sla", "CalendarAssignment")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")

    if not Calendar.objects.exists():
        office = Calendar.objects.create(name="Kantoortijden", is_default=True)
        live = Calendar.objects.create(name="Chat en telefoon")
        for calendar in (office, live):
            for day in WEEKDAYS:
                OpeningHours.objects.create(
                    calendar=calendar, weekday=day, opens=time(8), closes=time(18)
                )
        OpeningHours.objects.create(calendar=live, weekday=5, opens=time(10), closes=time(14))
        for channel in ("chat", "telefoon"):
            CalendarAssignment.objects.create(calendar=live, channel=channel)

    if not SlaPolicy.objects.exists():
        urgent = {"urgent": 0.5}
        for position, (name, channels, minutes) in enumerate(
            [
                ("Chat", ["chat"], 2),
                ("WhatsApp en sociale media", SOCIAL, 60),
                ("Telefoon (terugbellen)", ["telefoon"], 4 * 60),
                ("E-mail, formulier, balie en brief", [], 8 * 60),
            ],
            start=1,
        ):
            SlaPolicy.objects.create(
                name=name,
                position=position * 10,
                channels=channels,
                first_response_minutes=minutes,
                next_response_minutes=minutes,
                resolution_minutes=RESOLUTION,
                priority_factors=urgent,
            )


def remove(apps, schema_editor):
    apps.get_model("sla", "SlaPolicy").objects.all().delete()
    apps.get_model("sla", "Calendar").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
