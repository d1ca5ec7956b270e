"""A chat's messages say on the ticket page why they are in the ticket, in the agent's language."""

from __future__ import annotations

from balie.chat import actions
from balie.tickets.tests.test_thread_reasons import reasons


def test_the_chat_messages_say_they_are_this_chat_in_dutch_and_english(
    client, cast, started, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actions.visitor_message(started.session, client_id="c-second", text="Nog iets")
    ticket = started.message.ticket
    # An agent of the team the chat's topic chose.
    client.force_login(next(a for a in (cast.anna, cast.bram) if ticket.team in a.teams.all()).user)
    session = started.session.public_id[:8]

    assert reasons(client, ticket, "en") == [
        "Linked to this ticket: new chat conversation",
        f"Linked to this ticket: chat conversation {session}",
    ]
    assert reasons(client, ticket) == [
        "Gekoppeld aan dit ticket: nieuw chatgesprek",
        f"Gekoppeld aan dit ticket: chatgesprek {session}",
    ]
