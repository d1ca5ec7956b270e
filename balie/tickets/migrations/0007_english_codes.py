"""Stored codes become English identifiers (statuses, priorities, ticket types, channels,
customer tiers), everywhere they are kept: ticket and message columns, envelopes, outbox,
channel accounts, calendar assignments, SLA policy conditions and factors, macros, automation
rule conditions and actions, and the from/to values in the activity history. Reversible."""

from django.db import migrations, models

STATUS = {
    "nieuw": "new",
    "wacht_op_klant": "pending",
    "in_de_wacht": "on_hold",
    "opgelost": "solved",
    "gesloten": "closed",
}
PRIORITY = {"laag": "low", "normaal": "normal", "hoog": "high"}
TYPE = {
    "vraag": "question",
    "klacht": "complaint",
    "storing": "incident",
    "verzoek": "request",
    "melding": "report",
}
CHANNEL = {"telefoon": "phone", "balie": "visit", "brief": "letter", "portaal": "portal"}
TIER = {"standaard": "standard", "zakelijk": "business"}
BY_FIELD = {
    "status": STATUS,
    "status_after": STATUS,
    "priority": PRIORITY,
    "type": TYPE,
    "channel": CHANNEL,
    "tier": TIER,
}


def _inverse(mapping):
    return {new: old for old, new in mapping.items()}


def _value(value, mapping):
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, list):
        return [_value(item, mapping) for item in value]
    return value


def _rule_items(items, maps):
    """Conditions ({field, op, value}) and actions ({type: set_field, field, value})."""
    changed = []
    for item in items or []:
        if isinstance(item, dict) and item.get("field") in maps and "value" in item:
            item = {**item, "value": _value(item["value"], maps[item["field"]])}
        changed.append(item)
    return changed


def _convert(apps, maps):
    def column(app, model, field, mapping):
        manager = apps.get_model(app, model).objects
        for old, new in mapping.items():
            manager.filter(**{field: old}).update(**{field: new})

    for field in ("status", "priority", "type", "channel"):
        column("tickets", "Ticket", field, maps[field])
    column("tickets", "Message", "channel", maps["channel"])
    for model in ("Envelope", "Quarantine", "OutboxItem"):
        column("messaging", model, "channel", maps["channel"])
    column("messaging", "ChannelAccount", "kind", maps["channel"])
    column("sla", "CalendarAssignment", "channel", maps["channel"])
    column("customers", "Customer", "tier", maps["tier"])
    column("automation", "Macro", "status", maps["status"])
    column("automation", "Macro", "priority", maps["priority"])

    for policy in apps.get_model("sla", "SlaPolicy").objects.all():
        policy.channels = _value(policy.channels, maps["channel"])
        policy.priorities = _value(policy.priorities, maps["priority"])
        policy.types = _value(policy.types, maps["type"])
        policy.tiers = _value(policy.tiers, maps["tier"])
        policy.priority_factors = {
            maps["priority"].get(key, key): factor
            for key, factor in (policy.priority_factors or {}).items()
        }
        policy.save(update_fields=["channels", "priorities", "types", "tiers", "priority_factors"])

    for rule in apps.get_model("automation", "Rule").objects.all():
        rule.conditions = _rule_items(rule.conditions, maps)
        rule.actions = _rule_items(rule.actions, maps)
        rule.save(update_fields=["conditions", "actions"])

    Activity = apps.get_model("tickets", "Activity")
    keyed = models.Q()
    for key in BY_FIELD:
        keyed |= models.Q(data__has_key=key)
    batch = []
    for activity in Activity.objects.filter(keyed).only("id", "data").iterator(chunk_size=2000):
        data = dict(activity.data)
        for key, mapping in maps.items():
            value = data.get(key)
            if isinstance(value, dict):
                data[key] = {side: _value(code, mapping) for side, code in value.items()}
            elif value is not None:
                data[key] = _value(value, mapping)
        if data != activity.data:
            activity.data = data
            batch.append(activity)
        if len(batch) >= 2000:
            Activity.objects.bulk_update(batch, ["data"])
            batch = []
    Activity.objects.bulk_update(batch, ["data"])


# On SQLite, altering a column default rebuilds the table, and the rebuilt table's
# AUTOINCREMENT counter restarts at its highest row: ticket numbers would start again at 1
# on an empty database, or reuse the numbers of deleted tickets. Keep the counter.
_SEQUENCE: dict[str, int] = {}


def _sqlite_sequence(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'tickets_ticket'")
        row = cursor.fetchone()
    return row[0] if row else 0


def remember_numbers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _SEQUENCE["tickets_ticket"] = max(_sqlite_sequence(schema_editor), 10000)


def keep_numbers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    seq = max(_SEQUENCE.pop("tickets_ticket", 10000), _sqlite_sequence(schema_editor))
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'tickets_ticket'")
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('tickets_ticket', %s)", [seq]
        )


def to_english(apps, schema_editor):
    _convert(apps, BY_FIELD)


def to_dutch(apps, schema_editor):
    _convert(apps, {key: _inverse(mapping) for key, mapping in BY_FIELD.items()})


class Migration(migrations.Migration):
    # The data updates commit before the indexes are rebuilt: PostgreSQL refuses CREATE INDEX
    # on a table with deferred constraint checks still pending in the same transaction.
    atomic = False

    dependencies = [
        ("accounts", "0001_initial"),
        ("automation", "0001_initial"),
        ("customers", "0002_english_codes"),
        ("messaging", "0002_initial"),
        ("sla", "0002_demo_calendar_and_policies"),
        ("tickets", "0006_team_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_open_recent",
        ),
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_open_number",
        ),
        migrations.RunPython(remember_numbers, keep_numbers),
        migrations.RunPython(to_english, to_dutch),
        migrations.AlterField(
            model_name="message",
            name="channel",
            field=models.CharField(
                choices=[
                    ("email", "E-mail"),
                    ("webform", "Contactformulier"),
                    ("chat", "Chat"),
                    ("whatsapp", "WhatsApp"),
                    ("messenger", "Messenger"),
                    ("instagram", "Instagram"),
                    ("x", "X"),
                    ("sms", "Sms"),
                    ("phone", "Telefoon"),
                    ("visit", "Balie (bezoek)"),
                    ("letter", "Brief"),
                    ("portal", "Klantportaal"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="channel",
            field=models.CharField(
                choices=[
                    ("email", "E-mail"),
                    ("webform", "Contactformulier"),
                    ("chat", "Chat"),
                    ("whatsapp", "WhatsApp"),
                    ("messenger", "Messenger"),
                    ("instagram", "Instagram"),
                    ("x", "X"),
                    ("sms", "Sms"),
                    ("phone", "Telefoon"),
                    ("visit", "Balie (bezoek)"),
                    ("letter", "Brief"),
                    ("portal", "Klantportaal"),
                ],
                max_length=20,
                verbose_name="kanaal",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="priority",
            field=models.CharField(
                choices=[
                    ("low", "Laag"),
                    ("normal", "Normaal"),
                    ("high", "Hoog"),
                    ("urgent", "Urgent"),
                ],
                default="normal",
                max_length=10,
                verbose_name="prioriteit",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="status",
            field=models.CharField(
                choices=[
                    ("new", "Nieuw"),
                    ("open", "Open"),
                    ("pending", "Wacht op klant"),
                    ("on_hold", "In de wacht"),
                    ("solved", "Opgelost"),
                    ("closed", "Gesloten"),
                ],
                default="new",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="type",
            field=models.CharField(
                choices=[
                    ("question", "Vraag"),
                    ("complaint", "Klacht"),
                    ("incident", "Storing"),
                    ("request", "Verzoek"),
                    ("report", "Melding"),
                ],
                default="question",
                max_length=10,
                verbose_name="soort",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ("new", "open", "pending", "on_hold"))),
                fields=["-last_message_at", "-id"],
                name="ticket_open_recent",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ("new", "open", "pending", "on_hold"))),
                fields=["id"],
                name="ticket_open_number",
            ),
        ),
        migrations.RunPython(keep_numbers, remember_numbers),
    ]
