"""A live chat: one visitor's conversation through the widget, filed as one ticket.

The visitor holds a random token (only its SHA-256 is stored); the chat continues by that
token alone, never by an address someone typed. The messages themselves are the ticket's
messages (stored by the intake pipeline before anyone sees them); this row keeps what only a
chat has: its state, the agent, read marks, the page the visitor was on, and the rating.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from balie.accounts.models import Agent, Team
from balie.messaging.models import ChannelAccount
from balie.tickets.models import Ticket


class ChatState(models.TextChoices):
    WAITING = "waiting", _("Wacht op een medewerker")
    ACTIVE = "active", _("In gesprek")
    ENDED = "ended", _("Beëindigd")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class ChatSession(models.Model):
    account = models.ForeignKey(
        ChannelAccount,
        on_delete=models.PROTECT,
        related_name="chats",
        verbose_name=_("chataccount"),
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # The widget's own id of the chat (public, in envelope ids): not a secret.
    public_id = models.CharField(max_length=32, unique=True)
    ticket = models.OneToOneField(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="chat"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="chats"
    )
    state = models.CharField(max_length=10, choices=ChatState.choices, default=ChatState.WAITING)
    name = models.CharField(_("naam"), max_length=200)
    email = models.EmailField(_("e-mailadres"), max_length=254)
    # Typed by the visitor, never checked: shown to agents, never links to a customer.
    customer_number = models.CharField(
        _("klantnummer (niet gecontroleerd)"), max_length=30, blank=True
    )
    topic = models.CharField(_("onderwerp"), max_length=30, blank=True)
    language = models.CharField(_("taal"), max_length=8, default="nl")
    page_url = models.URLField(_("pagina"), max_length=1000, blank=True)
    page_title = models.CharField(_("paginatitel"), max_length=300, blank=True)
    started_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, blank=True)
    last_visitor_at = models.DateTimeField(null=True, blank=True)
    # Set when the visitor's last socket closed while waiting (leaving.py): gone for long, the
    # chat gives up its place in the queue.
    visitor_gone_at = models.DateTimeField(null=True, blank=True)
    idle_warned_at = models.DateTimeField(null=True, blank=True)
    # The last message id each side has read (read receipts).
    visitor_read_upto = models.BigIntegerField(default=0)
    agent_read_upto = models.BigIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(_("tevredenheid (1-5)"), null=True, blank=True)
    rating_comment = models.TextField(_("toelichting"), blank=True)
    transcript_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chatgesprek")
        verbose_name_plural = _("chatgesprekken")
        indexes = [
            models.Index(fields=["state", "started_at"], name="chat_state_started"),
            models.Index(
                fields=["visitor_gone_at"],
                name="chat_visitor_gone",
                condition=models.Q(visitor_gone_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"chat {self.public_id} ({self.state})"
