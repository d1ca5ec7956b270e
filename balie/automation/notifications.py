"""E-mail to team leads when a rule says so (the live notification is published directly)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from balie.accounts.models import Agent
from balie.tickets.models import Ticket

from .models import Rule


def email_team_leads(*, ticket_id: int, rule_id: int, agent_ids: list[int], text: str) -> int:
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    rule = Rule.objects.filter(pk=rule_id).first()
    sent = 0
    for agent in Agent.objects.active().filter(pk__in=agent_ids).select_related("user"):
        with translation.override(agent.language if agent.language in ("nl", "en") else "nl"):
            context = {
                "ticket": ticket,
                "agent": agent,
                "rule": rule,
                "text": text,
                "url": f"{settings.BASE_URL}/tickets/{ticket.pk}/",
            }
            subject = render_to_string("automation/email/notify_subject.txt", context).strip()
            body = render_to_string("automation/email/notify.txt", context).strip()
        sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [agent.email])
    return sent
