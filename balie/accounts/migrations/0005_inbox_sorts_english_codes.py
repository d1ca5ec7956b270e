"""The remembered sort per inbox view, in the English codes views and sorts now have."""

from django.db import migrations

VIEWS = {
    "mijn": "mine",
    "niet-toegewezen": "unassigned",
    "alle-open": "all_open",
    "wacht-op-klant": "waiting",
    "opgelost": "solved",
    "alle": "all",
}
SORTS = {"oudste": "least_recent", "nieuw": "newest", "oud": "oldest"}


def to_english(apps, schema_editor):
    Agent = apps.get_model("accounts", "Agent")
    for agent in Agent.objects.exclude(inbox_sorts={}).only("pk", "inbox_sorts"):
        if not isinstance(agent.inbox_sorts, dict):
            continue
        sorts = {
            VIEWS.get(view, view): SORTS.get(sort, sort) for view, sort in agent.inbox_sorts.items()
        }
        if sorts != agent.inbox_sorts:
            Agent.objects.filter(pk=agent.pk).update(inbox_sorts=sorts)


def to_dutch(apps, schema_editor):
    views = {english: dutch for dutch, english in VIEWS.items()}
    sorts_back = {english: dutch for dutch, english in SORTS.items()}
    Agent = apps.get_model("accounts", "Agent")
    for agent in Agent.objects.exclude(inbox_sorts={}).only("pk", "inbox_sorts"):
        if isinstance(agent.inbox_sorts, dict):
            sorts = {
                views.get(view, view): sorts_back.get(sort, sort)
                for view, sort in agent.inbox_sorts.items()
            }
            Agent.objects.filter(pk=agent.pk).update(inbox_sorts=sorts)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_agent_inbox_settings")]

    operations = [migrations.RunPython(to_english, to_dutch)]
