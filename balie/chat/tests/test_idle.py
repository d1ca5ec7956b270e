"""An idle chat is warned, then closed; the workspace page needs a log-in."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from balie.chat.idle import check_idle
from balie.chat.models import ChatSession, ChatState


def test_an_idle_chat_is_warned_then_closed(started, settings, django_capture_on_commit_callbacks):
    settings.BALIE_CHAT_IDLE_WARN_SECONDS = 300
    settings.BALIE_CHAT_IDLE_CLOSE_SECONDS = 120
    now = timezone.now()
    assert check_idle(now + timedelta(seconds=200)) == (0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        assert check_idle(now + timedelta(seconds=301)) == (1, 0)
        # Warned once only; closed when nothing came after the warning.
        assert check_idle(now + timedelta(seconds=360)) == (0, 0)
        assert check_idle(now + timedelta(seconds=301 + 121)) == (0, 1)
    session = ChatSession.objects.get()
    assert session.state == ChatState.ENDED and session.end_reason == "idle"


def test_the_workspace_page_is_for_agents(client, cast):
    assert client.get("/chat/werkplek/").status_code == 302
    client.force_login(cast.anna.user)
    page = client.get("/chat/werkplek/").content.decode()
    assert "Chatwerkplek" in page and 'id="chat-setup"' in page
