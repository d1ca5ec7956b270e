"""`balie load_demo`: the demo company as someone trying Balie finds it."""

from __future__ import annotations

import io
import stat

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client

from balie.accounts.models import Agent, ApiToken, Team, TokenScope
from balie.customers.models import Customer, Identity
from balie.messaging.models import ChannelAccount, OutboxItem
from balie.tickets.models import Activity, Channel, Message, Status, Ticket

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "teams": Team.objects.count(),
        "agents": Agent.objects.count(),
        "customers": Customer.objects.count(),
        "identities": Identity.objects.count(),
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "activities": Activity.objects.count(),
        "tokens": ApiToken.objects.count(),
        "accounts": ChannelAccount.objects.count(),
    }


def load(token_file) -> str:
    out = io.StringIO()
    call_command("load_demo", token_file=str(token_file), stdout=out)
    return out.getvalue()


def test_load_demo_twice_changes_nothing_and_sends_nothing(tmp_path, settings):
    token_file = tmp_path / "demo-token.txt"

    first_output = load(token_file)
    first = counts()
    second_output = load(token_file)

    assert counts() == first
    assert first["tickets"] == 200 and first["customers"] == 50 and first["agents"] == 5
    assert OutboxItem.objects.count() == 0
    assert "aangemaakt" in first_output and "niets gewijzigd" in second_output
    token_line = [line for line in first_output.splitlines() if line.startswith("api token: ")]
    assert token_line and token_line[0] in second_output.splitlines()


def test_the_demo_is_a_realistic_inbox(tmp_path):
    load(tmp_path / "token.txt")

    assert set(Team.objects.values_list("slug", flat=True)) == {
        "klantenservice",
        "facturen",
        "techniek",
    }
    assert set(Ticket.objects.values_list("status", flat=True)) == {s.value for s in Status}
    channels = set(Ticket.objects.values_list("channel", flat=True))
    assert {
        Channel.EMAIL,
        Channel.WEBFORM,
        Channel.PHONE,
        Channel.WALK_IN,
        Channel.LETTER,
    } <= channels
    assert Ticket.objects.filter(assignee__isnull=False).exists()
    assert Ticket.objects.filter(tags__isnull=False).exists()
    assert Message.objects.filter(direction="note").exists()
    oldest = Ticket.objects.order_by("created_at").first()
    newest = Ticket.objects.order_by("-created_at").first()
    assert (newest.created_at - oldest.created_at).days >= 45
    for ticket in Ticket.objects.all()[:50]:
        times = list(ticket.messages.values_list("created_at", flat=True))
        assert times == sorted(times) and times[0] >= ticket.created_at
    assert Identity.objects.filter(kind="phone", value__startswith="+316").exists()
    assert not Identity.objects.exclude(kind="phone").exclude(value__contains="example.nl").exists()
    mailbox = ChannelAccount.objects.get(address="klantenservice@voorbeeld-energie.nl")
    assert mailbox.team.slug == "klantenservice" and not mailbox.config.get("imap_host")
    # The contact page offers what the demo can answer: mail, the form and the phone line
    # with its call costs, and the chat of /chat/demo/; no WhatsApp.
    contact = Client().get("/contact/").content.decode()
    aside = contact[contact.index("<aside") : contact.index("</aside>")]
    assert "+31 20 123 4567" in aside and "gebruikelijke belkosten" in aside
    assert "Chat" in aside and "WhatsApp" not in aside
    chat = ChannelAccount.objects.get(kind="chat")
    assert chat.address == "demo" and chat.config["origins"] == ["self"]
    # Answers met their SLA clocks; the threading reason reads as in real life.
    from balie.sla.models import SlaClock

    assert SlaClock.objects.filter(kind="first_response", state="met").count() > 50
    reasons = set(
        Message.objects.filter(direction="inbound").values_list("thread_reason", flat=True)
    )
    assert "nieuw ticket" in reasons and "demo" not in reasons
    # An answer on WhatsApp went to the customer's number, as the ticket page shows it.
    answer = Message.objects.filter(direction="outbound", channel=Channel.WHATSAPP).first()
    asked = answer.ticket.messages.filter(direction="inbound", channel=Channel.WHATSAPP).first()
    assert answer.recipients["to"] == [asked.sender_address]
    assert asked.sender_address.startswith("+316")
    # Canned replies and a rule are there to try.
    from balie.automation.models import Macro, Rule

    assert Macro.objects.filter(language="nl").count() >= 2 and Rule.objects.exists()


def test_demo_logins_and_token_work(tmp_path):
    token_file = tmp_path / "token.txt"
    output = load(token_file)

    assert authenticate(username="anna", password="balie-demo").agent.is_admin
    assert authenticate(username="fleur", password="balie-demo") is not None
    raw = token_file.read_text().strip()
    assert f"api token: {raw}" in output
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = ApiToken.objects.find(raw)
    assert token.scope == TokenScope.READ_WRITE and token.agent.user.username == "anna"
    ingest_file = tmp_path / "demo-ingest-token.txt"
    ingest = ingest_file.read_text().strip()
    assert f"ingest token: {ingest}" in output and ingest != raw
    assert stat.S_IMODE(ingest_file.stat().st_mode) == 0o600
    assert ApiToken.objects.find(ingest).scope == TokenScope.INGEST

    token_file.unlink()  # lost: the next run makes a new token that works
    output = load(token_file)

    new = token_file.read_text().strip()
    assert new != raw and f"api token: {new}" in output
    assert ApiToken.objects.find(new) is not None


def test_the_first_sla_check_after_loading_the_demo_mails_nobody(tmp_path, mailoutbox):
    from django.utils import timezone

    from balie.sla.escalations import check_clocks
    from balie.sla.models import SlaClock

    load(tmp_path / "token.txt")
    mailoutbox.clear()

    result = check_clocks()

    assert (result.warned, result.breached) == (0, 0)
    assert mailoutbox == []
    # The clocks tell the tickets' age: what is long overdue is recorded as breached back then.
    overdue = SlaClock.objects.filter(state="running", due_at__lt=timezone.now())
    assert overdue.exists()
    assert not overdue.filter(breached_at__isnull=True).exists()


def test_the_first_lifecycle_run_after_loading_the_demo_mails_nobody_and_closes_nothing(
    tmp_path, mailoutbox
):
    from django.utils import timezone

    from balie.automation.lifecycle import run_lifecycle

    load(tmp_path / "token.txt")
    mailoutbox.clear()
    statuses = dict(Ticket.objects.values_list("pk", "status"))

    result = run_lifecycle()

    assert (result.reminded, result.final_notices, result.solved, result.closed) == (0, 0, 0, 0)
    assert mailoutbox == [] and OutboxItem.objects.count() == 0
    assert dict(Ticket.objects.values_list("pk", "status")) == statuses
    # The demo's age shows: what waited long enough was reminded back then, in the customer's
    # conversation, and what was solved long ago is closed.
    reminded = Activity.objects.filter(kind="lifecycle.reminded")
    assert reminded.exists() and not reminded.filter(created_at__gte=timezone.now()).exists()
    reminder = Message.objects.get(pk=reminded.first().data["message"])
    assert reminder.is_automatic and reminder.delivery_status == "sent"
    assert reminder.created_at == reminded.first().created_at
    assert Ticket.objects.filter(status=Status.CLOSED).exists()
    assert Activity.objects.filter(kind="lifecycle.closed").exists()


def test_an_agent_coming_online_in_the_demo_is_offered_no_chat_without_a_visitor(tmp_path):
    """The demo's chats are past conversations (nobody is on the widget): going online, going
    offline and coming back offers none of them as a live chat, and the workspace has no
    offer it cannot open."""
    from balie.routing.actions import set_presence
    from balie.routing.models import Offer, QueueEntry

    load(tmp_path / "token.txt")
    anna = Agent.objects.get(user__username="anna")
    chats = Ticket.objects.filter(channel=Channel.CHAT)
    assert chats.exists()

    set_presence(anna, "online")
    set_presence(anna, "offline")
    set_presence(anna, "online")

    assert not Offer.objects.filter(ticket__in=chats).exists()
    assert not QueueEntry.objects.filter(ticket__in=chats, state="waiting").exists()
