"""An agent's away reason moves to its English code, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from balie.tickets.tests.test_migrations import migrate


@pytest.mark.django_db(transaction=True)
def test_an_away_reason_takes_its_english_code_and_goes_back():
    # given an agent away for a meeting before the codes were English
    old = migrate([("routing", "0002_routing_change")])
    user = old.get_model("auth", "User").objects.create(username="bram")
    agent = old.get_model("accounts", "Agent").objects.create(user=user, display_name="Bram")
    old.get_model("routing", "Presence").objects.create(agent=agent, state="away", reason="overleg")

    new = migrate([("routing", "0003_presence_reason_english_codes")])
    assert new.get_model("routing", "Presence").objects.get(agent_id=agent.pk).reason == "meeting"

    old = migrate([("routing", "0002_routing_change")])
    assert old.get_model("routing", "Presence").objects.get(agent_id=agent.pk).reason == "overleg"
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
