"""The actions of a rule: a JSON list, run in order. Each is an object with a `type`:

| type | keys | does |
| --- | --- | --- |
| set_field | field (status, priority, type), value | `update_ticket` |
| assign_team | team (slug) | `update_ticket(team=...)` |
| assign_agent | agent (username) | `update_ticket(assignee=...)` |
| add_tag | tag | adds one tag, keeps the others |
| remove_tag | tag | removes one tag if the ticket has it |
| reply | text: {"nl": ..., "en": ...} with placeholders | an automatic reply to the customer in the ticket's language (Dutch if that is missing) |
| reply_macro | macro (its id) | an automatic reply with the macro's filled text; the macro's changes (status, priority, team, tags) too |
| notify | text, email_team_lead (true/false) or agent (username) | a live `automation.notified` event to the assignee (else the team) and optionally an e-mail to the team's leads; with `agent`, the live event and an e-mail to that agent |
| webhook | url (http or https), secret | a POST signed with HMAC-SHA256, sent by a task with retries |

`validate_actions` returns Dutch errors; `perform_action` does one action on behalf of a rule.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.core import realtime

from .placeholders import fill_placeholders, unknown_placeholders
from .rule_conditions import CHOICE_FIELDS, Occurrence

SETTABLE_FIELDS = ("status", "priority", "type")
KEYS: dict[str, set[str]] = {
    "set_field": {"field", "value"},
    "assign_team": {"team"},
    "assign_agent": {"agent"},
    "add_tag": {"tag"},
    "remove_tag": {"tag"},
    "reply": {"text"},
    "reply_macro": {"macro"},
    "notify": {"text", "email_team_lead", "agent"},
    "webhook": {"url", "secret"},
}
NOTIFIED = "automation.notified"


def valid_webhook_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def action_errors(action: Any) -> list[str]:
    """What is wrong with one action, in Dutch (empty when it is good)."""
    from balie.accounts.models import Agent, Team

    from .models import Macro

    if not isinstance(action, dict):
        return [_("moet een object zijn.")]
    kind = action.get("type")
    errors: list[str] = []
    if not isinstance(kind, str) or kind not in KEYS:
        return [_("onbekend type %(t)r (kies uit %(ok)s).") % {"t": kind, "ok": ", ".join(KEYS)}]
    unknown = set(action) - KEYS[kind] - {"type"}
    if unknown:
        errors.append(_("onbekende sleutels %(k)s.") % {"k": ", ".join(sorted(map(str, unknown)))})
    if kind == "set_field":
        name = action.get("field")
        if not isinstance(name, str) or name not in SETTABLE_FIELDS:
            errors.append(_("veld moet een van %(ok)s zijn.") % {"ok": ", ".join(SETTABLE_FIELDS)})
        elif not isinstance(action.get("value"), str) or action["value"] not in CHOICE_FIELDS[name]:
            errors.append(
                _("ongeldige waarde %(v)r voor %(f)s.") % {"v": action.get("value"), "f": name}
            )
    elif kind == "assign_team":
        team = action.get("team")
        if not isinstance(team, str) or not Team.objects.filter(slug=team).exists():
            errors.append(_("onbekend team %(v)r.") % {"v": action.get("team")})
    elif kind == "assign_agent":
        agent = action.get("agent")
        if (
            not isinstance(agent, str)
            or not Agent.objects.active().filter(user__username=agent).exists()
        ):
            errors.append(_("onbekende medewerker %(v)r.") % {"v": action.get("agent")})
    elif kind in ("add_tag", "remove_tag"):
        if not isinstance(action.get("tag"), str) or not action["tag"].strip():
            errors.append(_("geef een label."))
        elif len(action["tag"].strip()) > 50:
            errors.append(_("een label is hooguit 50 tekens."))
    elif kind == "reply_macro":
        macro = action.get("macro")
        if not isinstance(macro, int) or isinstance(macro, bool):
            errors.append(_("kies een macro."))
        elif not Macro.objects.filter(pk=macro, is_active=True).exists():
            errors.append(_("onbekende of uitgeschakelde macro %(v)r.") % {"v": macro})
    elif kind == "reply":
        text = action.get("text")
        if not isinstance(text, dict) or not str(text.get("nl", "")).strip():
            errors.append(_('geef de tekst als {"nl": "...", "en": "..."} (Nederlands verplicht).'))
        else:
            if set(text) - {"nl", "en"}:
                errors.append(_("alleen de talen nl en en."))
            for value in text.values():
                for name in unknown_placeholders(str(value)):
                    errors.append(_("onbekende plaatshouder {{ %(n)s }}.") % {"n": name})
    elif kind == "notify":
        if not isinstance(action.get("text"), str) or not action["text"].strip():
            errors.append(_("geef een tekst voor de melding."))
        if not isinstance(action.get("email_team_lead", False), bool):
            errors.append(_("email_team_lead moet true of false zijn."))
        if "agent" in action:
            agent = action["agent"]
            if action.get("email_team_lead"):
                errors.append(_("kies een medewerker of de teamleiders, niet allebei."))
            if (
                not isinstance(agent, str)
                or not Agent.objects.active().filter(user__username=agent).exists()
            ):
                errors.append(_("onbekende medewerker %(v)r.") % {"v": agent})
    elif kind == "webhook":
        if not valid_webhook_url(action.get("url")):
            errors.append(_("de URL moet met http:// of https:// beginnen."))
        if not isinstance(action.get("secret"), str) or len(action.get("secret", "")) < 16:
            errors.append(_("geef een geheim van minstens 16 tekens."))
    return errors


def validate_actions(actions: Any) -> list[str]:
    if not isinstance(actions, list) or not actions:
        return [_("Acties moeten een lijst zijn met minstens één actie.")]
    errors: list[str] = []
    for number, action in enumerate(actions, start=1):
        prefix = _("Actie %(n)s: ") % {"n": number}
        errors += [prefix + error for error in action_errors(action)]
    return errors


def webhook_body(occurrence: Occurrence, rule: Any) -> str:
    payload = {
        "event": occurrence.event,
        "rule": {"id": rule.pk, "name": rule.name},
        "sent_at": timezone.now().isoformat(),
        "ticket": ticket_payload(occurrence.ticket),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)


def ticket_payload(ticket: Any) -> dict[str, Any]:
    """The ticket as every webhook body shows it (rules' and subscriptions')."""
    return {
        "number": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "channel": ticket.channel,
        "language": ticket.language,
        "team": ticket.team.slug if ticket.team_id and ticket.team else None,
        "assignee": ticket.assignee.user.username if ticket.assignee_id else None,
        "customer": {"number": ticket.customer.number, "name": ticket.customer.name},
    }


def _team_lead_ids(ticket: Any) -> list[int]:
    from balie.accounts.models import Agent, Role

    if not ticket.team_id:
        return []
    return list(
        Agent.objects.active()
        .filter(teams=ticket.team_id, role=Role.TEAM_LEAD)
        .exclude(user__email="")
        .values_list("pk", flat=True)
    )


def _reply_with_macro(action: dict[str, Any], occurrence: Occurrence, *, actor: Any) -> dict:
    """The macro's text as an automatic reply, with the macro's changes, as an agent applying
    and sending it would (the status goes with the reply)."""
    from balie.tickets.actions import add_reply, update_ticket

    from .models import Macro

    ticket = occurrence.ticket
    macro = Macro.objects.select_related("team").get(pk=action["macro"], is_active=True)
    fields: dict[str, Any] = {}
    if macro.priority:
        fields["priority"] = macro.priority
    if macro.team_id:
        fields["team"] = macro.team
    if macro.add_tags:
        fields["tags"] = [*ticket.tags.values_list("name", flat=True), *macro.add_tags]
    changes = update_ticket(ticket, by=actor, **fields) if fields else {}
    text = fill_placeholders(macro.body, ticket, language=macro.language)
    message = add_reply(ticket, by=actor, text=text, automatic=True, status=macro.status or None)
    return {
        "type": "reply_macro",
        "macro": macro.pk,
        "name": macro.name,
        "message": message.pk,
        "changed": sorted(changes),
    }


def perform_action(
    action: dict[str, Any], occurrence: Occurrence, *, rule: Any, actor: Any
) -> dict[str, Any]:
    """Do one action; returns what was done, for the audit trail."""
    from balie.accounts.models import Agent, Team
    from balie.tickets.actions import add_reply, update_ticket

    from .models import WebhookDelivery
    from .tasks import send_lead_notification, send_webhook

    ticket = occurrence.ticket
    kind = action["type"]
    if kind == "set_field":
        changes = update_ticket(ticket, by=actor, **{action["field"]: action["value"]})
        return {"type": kind, "field": action["field"], "changed": bool(changes)}
    if kind == "assign_team":
        team = Team.objects.get(slug=action["team"])
        changes = update_ticket(ticket, by=actor, team=team)
        return {"type": kind, "team": team.slug, "changed": bool(changes)}
    if kind == "assign_agent":
        agent = Agent.objects.active().get(user__username=action["agent"])
        changes = update_ticket(ticket, by=actor, assignee=agent)
        return {"type": kind, "agent": agent.display_name, "changed": bool(changes)}
    if kind == "add_tag":
        current = list(ticket.tags.values_list("name", flat=True))
        changes = update_ticket(ticket, by=actor, tags=[*current, action["tag"]])
        return {"type": kind, "tag": action["tag"].strip().lower(), "changed": bool(changes)}
    if kind == "remove_tag":
        gone = action["tag"].strip().lower()
        current = list(ticket.tags.values_list("name", flat=True))
        changes = update_ticket(ticket, by=actor, tags=[t for t in current if t != gone])
        return {"type": kind, "tag": gone, "changed": bool(changes)}
    if kind == "reply_macro":
        return _reply_with_macro(action, occurrence, actor=actor)
    if kind == "reply":
        language = ticket.language if ticket.language in action["text"] else "nl"
        text = fill_placeholders(action["text"][language], ticket, language=language)
        message = add_reply(ticket, by=actor, text=text, automatic=True)
        return {"type": kind, "message": message.pk, "language": language}
    if kind == "notify":
        chosen = None
        if action.get("agent"):
            chosen = (
                Agent.objects.active().select_related("user").get(user__username=action["agent"])
            )
        groups = [f"agent.{ticket.assignee_id}"] if ticket.assignee_id else []
        if chosen is not None:
            groups = [f"agent.{chosen.pk}"]
        if not groups and ticket.team_id:
            groups = [f"team.{ticket.team_id}"]
        groups = groups or ["inbox"]
        realtime.publish(
            groups, NOTIFIED, {"ticket": ticket.pk, "rule": rule.pk, "text": action["text"]}
        )
        leads = _team_lead_ids(ticket) if action.get("email_team_lead") else []
        if chosen is not None and chosen.user.email:
            leads = [chosen.pk]
        if leads:
            ticket_id, rule_id, text = ticket.pk, rule.pk, action["text"]
            transaction.on_commit(
                lambda: send_lead_notification.delay(ticket_id, rule_id, leads, text)
            )
        return {"type": kind, "groups": groups, "emailed": len(leads)}
    if kind == "webhook":
        delivery = WebhookDelivery.objects.create(
            rule=rule,
            ticket=ticket,
            event=occurrence.event,
            url=action["url"],
            secret=action["secret"],
            body=webhook_body(occurrence, rule),
        )
        transaction.on_commit(lambda: send_webhook.delay(delivery.pk))
        return {"type": kind, "url": action["url"], "delivery": delivery.pk}
    raise ValueError(f"unknown action type {kind!r}")
