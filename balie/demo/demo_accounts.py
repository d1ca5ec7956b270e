"""The demo company's channel accounts: the customer-service mailbox, the phone line the
contact page shows with what a call costs, and the chat account `demo` whose widget is on
/chat/demo/. WhatsApp gets none: Balie cannot answer on it yet, so the contact page does not
offer it."""

from __future__ import annotations

from balie.accounts.models import Team
from balie.core.actors import SYSTEM
from balie.messaging.models import ChannelAccount
from balie.routing.actions import finish
from balie.tickets.models import Channel, Ticket

DEMO_MAILBOX = "klantenservice@voorbeeld-energie.nl"
DEMO_PHONE = "+31 20 123 4567"


def ensure_mailbox(team: Team) -> ChannelAccount:
    account = ChannelAccount.objects.filter(kind="email", address=DEMO_MAILBOX).first()
    if account is None:
        account = ChannelAccount.objects.create(
            kind="email", name="Klantenservice", address=DEMO_MAILBOX, team=team, config={}
        )
    return account


def ensure_phone_line(team: Team) -> ChannelAccount:
    """An ordinary 020 number: the caller pays their usual rate, and the page says so."""
    account = ChannelAccount.objects.filter(kind="phone", address=DEMO_PHONE).first()
    if account is None:
        account = ChannelAccount(
            kind="phone",
            name="Klantenservice (telefoon)",
            address=DEMO_PHONE,
            team=team,
            config={"call_costs": "standard"},
        )
        account.full_clean()
        account.save()
    return account


DEMO_CHAT = "demo"


def ensure_chat_account() -> ChannelAccount:
    """The widget's `data-account="demo"`: allowed on the server's own pages only ("self").
    No team: the topic the visitor chooses picks it, as on the contact form."""
    account = ChannelAccount.objects.filter(kind="chat", address=DEMO_CHAT).first()
    if account is None:
        account = ChannelAccount.objects.create(
            kind="chat", name="Chat op de website", address=DEMO_CHAT, config={"origins": ["self"]}
        )
    return account


def end_past_chats() -> None:
    """The demo's chat tickets are conversations that have ended (no visitor is on the widget):
    their place in the routing queue is closed, as when a chat ends, so an agent coming online
    is offered none of them as a live chat."""
    for ticket in Ticket.objects.filter(channel=Channel.CHAT):
        finish(ticket, by=SYSTEM)
