"""The sort an agent chose per inbox view survives the move of the view and sort codes to
English, and going back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from balie.tickets.tests.test_migrations import migrate

BEFORE = [("accounts", "0004_agent_inbox_settings")]
AFTER = [("accounts", "0005_inbox_sorts_english_codes")]


@pytest.mark.django_db(transaction=True)
def test_the_remembered_sorts_take_the_english_codes_and_go_back():
    # given an agent who chose a sort for two views before the codes were English
    old = migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="anna")
    Agent = old.get_model("accounts", "Agent")
    agent = Agent.objects.create(
        user=user, display_name="Anna", inbox_sorts={"wacht-op-klant": "oud", "team": "recent"}
    )

    # when the migration runs, then the choices read in the new codes
    new = migrate(AFTER)
    assert new.get_model("accounts", "Agent").objects.get(pk=agent.pk).inbox_sorts == {
        "waiting": "oldest",
        "team": "recent",
    }

    # and going back gives the codes of before
    old = migrate(BEFORE)
    assert old.get_model("accounts", "Agent").objects.get(pk=agent.pk).inbox_sorts == {
        "wacht-op-klant": "oud",
        "team": "recent",
    }
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
