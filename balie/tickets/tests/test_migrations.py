"""The stored codes move to English and back, and no migration renumbers tickets."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("tickets", "0006_team_indexes"),
    ("customers", "0001_initial"),
    ("automation", "0001_initial"),
]
AFTER = [("tickets", "0007_english_codes"), ("automation", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_dutch_codes_become_english_and_ticket_numbers_go_on_where_they_were():
    # given a database before the English codes, with a Dutch ticket, rule and policy
    old = migrate(BEFORE)
    team = old.get_model("accounts", "Team").objects.create(name="Balie", slug="balie-team")
    customer = old.get_model("customers", "Customer").objects.create(name="Carla", tier="zakelijk")
    Ticket = old.get_model("tickets", "Ticket")
    ticket = Ticket.objects.create(
        subject="Storing",
        status="wacht_op_klant",
        priority="hoog",
        type="storing",
        channel="telefoon",
        customer=customer,
        team=team,
    )
    gone = Ticket.objects.create(subject="Weg", channel="brief", customer=customer, team=team)
    gone_number = gone.pk
    gone.delete()
    rule = old.get_model("automation", "Rule").objects.create(
        name="Hoog",
        event="ticket.created",
        conditions=[{"field": "status", "op": "in", "value": ["nieuw", "opgelost"]}],
        actions=[{"type": "set_field", "field": "priority", "value": "hoog"}],
    )

    # when the migrations run
    new = migrate(AFTER)

    # then every code is English, the rule's JSON too
    ticket = new.get_model("tickets", "Ticket").objects.get(pk=ticket.pk)
    assert (ticket.status, ticket.priority, ticket.type, ticket.channel) == (
        "pending",
        "high",
        "incident",
        "phone",
    )
    assert new.get_model("customers", "Customer").objects.get(pk=customer.pk).tier == "business"
    rule = new.get_model("automation", "Rule").objects.get(pk=rule.pk)
    assert rule.conditions[0]["value"] == ["new", "solved"]
    assert rule.actions[0]["value"] == "high"
    # and the next ticket gets a fresh number, not the deleted one's nor a low one
    fresh = new.get_model("tickets", "Ticket").objects.create(
        subject="Nieuw", channel="email", customer_id=customer.pk, team_id=team.pk
    )
    assert fresh.pk > gone_number > 10000

    # and going back restores the Dutch codes
    old = migrate(BEFORE)
    back = old.get_model("tickets", "Ticket").objects.get(pk=ticket.pk)
    assert (back.status, back.priority, back.type, back.channel) == (
        "wacht_op_klant",
        "hoog",
        "storing",
        "telefoon",
    )
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
