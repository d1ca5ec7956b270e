"""The stored codes move to English and back, and no migration renumbers tickets."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.timezone import now

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


TOPICS_BEFORE = [
    ("tickets", "0009_threading_from_recorded_reasons"),
    ("chat", "0002_visitor_gone_at"),
    ("routing", "0003_presence_reason_english_codes"),
]
TOPICS_AFTER = [
    ("tickets", "0010_english_topic_claims"),
    ("chat", "0003_english_topics"),
    ("routing", "0004_english_topics"),
]


@pytest.mark.django_db(transaction=True)
def test_the_topics_customers_chose_become_english_codes_and_go_back():
    # given a contact-form ticket, a chat and its queue entry, and a skilled agent, in Dutch codes
    old = migrate(TOPICS_BEFORE)
    team = old.get_model("accounts", "Team").objects.create(name="Techniek", slug="techniek-t")
    customer = old.get_model("customers", "Customer").objects.create(name="Carla")
    Ticket = old.get_model("tickets", "Ticket")
    ticket = Ticket.objects.create(
        subject="Geen stroom",
        channel="webform",
        customer=customer,
        team=team,
        claims={"topic": "storing", "customer_number": "123"},
    )
    other = Ticket.objects.create(subject="Mail", channel="email", customer=customer, team=team)
    account = old.get_model("messaging", "ChannelAccount").objects.create(
        kind="chat", name="Chat", address="demo-t"
    )
    session = old.get_model("chat", "ChatSession").objects.create(
        account=account,
        token_hash="h" * 64,
        public_id="p" * 32,
        topic="meterstand",
        ticket=ticket,
        started_at=now(),
    )
    entry = old.get_model("routing", "QueueEntry").objects.create(
        ticket=ticket, team=team, channel="chat", topic="factuur", arrived_at=now(), queued_at=now()
    )
    user = old.get_model("auth", "User").objects.create(username="skilled")
    agent = old.get_model("accounts", "Agent").objects.create(user=user, display_name="Skilled")
    skills = old.get_model("routing", "AgentSkills").objects.create(
        agent=agent, topics=["storing", "warmtepomp"]
    )

    # when the migrations run
    new = migrate(TOPICS_AFTER)

    # then the codes are English; what is not a topic code (a product) stays
    assert new.get_model("tickets", "Ticket").objects.get(pk=ticket.pk).claims == {
        "topic": "incident",
        "customer_number": "123",
    }
    assert new.get_model("tickets", "Ticket").objects.get(pk=other.pk).claims == {}
    assert new.get_model("chat", "ChatSession").objects.get(pk=session.pk).topic == (
        "meter_reading"
    )
    assert new.get_model("routing", "QueueEntry").objects.get(pk=entry.pk).topic == "billing"
    assert new.get_model("routing", "AgentSkills").objects.get(pk=skills.pk).topics == [
        "incident",
        "warmtepomp",
    ]

    # and going back restores the Dutch codes
    old = migrate(TOPICS_BEFORE)
    assert old.get_model("tickets", "Ticket").objects.get(pk=ticket.pk).claims["topic"] == (
        "storing"
    )
    assert old.get_model("routing", "AgentSkills").objects.get(pk=skills.pk).topics == [
        "storing",
        "warmtepomp",
    ]
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
