"""The end of a chat: the transcript by e-mail on request, and the visitor's rating.

The transcript is a mail on the chat's ticket (ticket number in the subject, its own
Message-ID), so the customer's reply to it continues the same ticket. The rating (1–5 and a
comment) is kept on the chat and on the ticket, where agents see it beside the other things
the customer gave.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from balie.core.actors import SYSTEM
from balie.tickets import actions as ticket_actions
from balie.tickets.models import Ticket

from . import history
from .actions import ChatError
from .models import ChatSession


def transcript_text(session: ChatSession) -> str:
    items = history.new_messages(session, after=0, sent=set(), late=False, limit=5000)
    lines = [
        _("Uw chatgesprek van %(date)s")
        % {"date": date_format(timezone.localtime(session.started_at), "j F Y")},
        "",
    ]
    for data in items:
        at = date_format(timezone.localtime(datetime.fromisoformat(data["at"])), "H:i")
        who = data["name"] or (_("U") if data["from"] == "visitor" else _("Medewerker"))
        lines.append(f"[{at}] {who}: {data['text']}")
        for item in data["attachments"]:
            lines.append(f"        ({_('bijlage')}: {item['name']})")
    lines += ["", _("U kunt op deze e-mail antwoorden; uw antwoord komt bij hetzelfde gesprek.")]
    return "\n".join(lines)


def send_transcript(session: ChatSession) -> None:
    if session.ticket is None:
        raise ChatError(_("Dit gesprek heeft nog geen berichten."))
    with translation.override(session.language), transaction.atomic():
        ticket_actions.add_reply(
            session.ticket, by=SYSTEM, text=transcript_text(session), via="email"
        )
        ChatSession.objects.filter(pk=session.pk).update(transcript_sent_at=timezone.now())


def store_rating(session: ChatSession, score: int, comment: str) -> None:
    with transaction.atomic():
        ChatSession.objects.filter(pk=session.pk).update(rating=score, rating_comment=comment)
        if session.ticket_id:
            ticket = Ticket.objects.select_for_update().get(pk=session.ticket_id)
            claims = dict(ticket.claims or {})
            claims["satisfaction"] = f"{score}/5" + (f": {comment}" if comment else "")
            Ticket.objects.filter(pk=ticket.pk).update(claims=claims)
