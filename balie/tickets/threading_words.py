"""Why a message was filed in its ticket, in words an agent reads ("antwoord op ons bericht van
2 december 17:13"), in the language of the page, with the technical detail (the Message-IDs)
apart, for behind a toggle.

The intake records the reason as data in `Message.threading`:

    {"how": "header", "header": "In-Reply-To" | "References", "message_id": "<id>"}
    {"how": "subject", "number": 10012}              the [#10012] token in the subject
    {"how": "conversation", "channel": "whatsapp"}   the customer's running conversation
    {"how": "new", "refused": [{"number": n, "sender": s}, …]}   nothing to continue
    {"how": "follow_up", "via": {…}, "number": n, "days": d}     continued a long-closed ticket
    {"how": "automatic", "via": {…}}                 an auto-reply filed quietly
    {"how": "bounce", "message_id": "<id>"}          a bounce about one of our messages
    {"how": "logged" | "api", "agent": "Anna de Vries"}          filed by an agent
    {"how": "chat", "session": "3f2a9c1d"}           a chat (without session: a new chat)

The message referred to is looked up in the ticket's conversation, already loaded for the page:
no query. Messages filed before this data was kept got it from their recorded sentence (tickets
migration 0009); one whose sentence had no known format shows it as it was recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Channel, Direction

SHOWN_FOR = (Direction.INBOUND, Direction.SYSTEM)


@dataclass(frozen=True)
class ThreadReason:
    words: str
    details: list[str] = field(default_factory=list)


def _when(moment: Any) -> str:
    local = timezone.localtime(moment)
    today = timezone.localdate()
    return date_format(local, "j F H:i" if local.year == today.year else "j F Y H:i")


def _referred(message_id: str, header: str, by_id: dict[str, Any]) -> str:
    other = by_id.get(message_id)
    if other is None:
        if header == "References":
            return _("hoort bij een eerdere mailwisseling")
        return _("antwoord op een eerder bericht")
    when = _when(other.created_at)
    if header == "References":
        if other.direction == Direction.OUTBOUND:
            return _("hoort bij de mailwisseling van ons bericht van %(when)s") % {"when": when}
        return _("hoort bij de mailwisseling van het bericht van %(when)s") % {"when": when}
    if other.direction == Direction.OUTBOUND:
        return _("antwoord op ons bericht van %(when)s") % {"when": when}
    if other.direction == Direction.INBOUND:
        return _("vervolg op het bericht van de klant van %(when)s") % {"when": when}
    return _("antwoord op het bericht van %(when)s") % {"when": when}


def _channel(code: Any) -> str:
    try:
        return str(Channel(code).label)
    except ValueError:
        return str(code or "")


def _words(basis: dict[str, Any], by_id: dict[str, Any]) -> str:
    how = basis.get("how")
    if how == "header":
        return _referred(str(basis.get("message_id", "")), str(basis.get("header", "")), by_id)
    if how == "subject":
        return _("het ticketnummer [#%(n)s] staat in het onderwerp") % {"n": basis.get("number")}
    if how == "conversation":
        return _("vervolg op het lopende gesprek via %(channel)s") % {
            "channel": _channel(basis.get("channel"))
        }
    if how == "new":
        parts = [_("nieuw ticket: geen lopend gesprek gevonden")]
        for refused in basis.get("refused") or []:
            parts.append(
                _("het bericht wees naar #%(n)s, maar %(sender)s neemt aan dat ticket geen deel")
                % {"n": refused.get("number"), "sender": refused.get("sender", "")}
            )
        return "; ".join(parts)
    if how == "follow_up":
        return _(
            "%(how)s, maar #%(n)s is al langer dan %(days)s dagen gesloten: nieuw ticket als vervolg"
        ) % {
            "how": _words(basis.get("via") or {}, by_id),
            "n": basis.get("number"),
            "days": basis.get("days"),
        }
    if how == "automatic":
        return _("automatisch bericht, stil bij dit ticket gevoegd: %(how)s") % {
            "how": _words(basis.get("via") or {}, by_id)
        }
    if how == "bounce":
        other = by_id.get(str(basis.get("message_id", "")))
        if other is None:
            return _("onbestelbaarmelding over een bericht van ons")
        return _("onbestelbaarmelding over ons bericht van %(when)s") % {
            "when": _when(other.created_at)
        }
    if how == "logged":
        return _("vastgelegd door %(agent)s") % {"agent": basis.get("agent", "")}
    if how == "api":
        return _("vastgelegd via de API door %(agent)s") % {"agent": basis.get("agent", "")}
    if how == "chat":
        if basis.get("session"):
            return _("chatgesprek %(id)s") % {"id": basis["session"]}
        return _("nieuw chatgesprek")
    return ""


def _details(message: Any) -> list[str]:
    details = []
    if message.message_id:
        details.append(f"Message-ID: <{message.message_id.strip('<>')}>")
    if message.in_reply_to:
        details.append(f"In-Reply-To: <{message.in_reply_to.strip('<>')}>")
    if message.references:
        details.append(
            "References: " + " ".join(f"<{r.strip('<>')}>" for r in message.references.split())
        )
    return details


def thread_reasons(conversation: Iterable[Any]) -> dict[int, ThreadReason]:
    """Per message id of the conversation (customers' and system messages), why it is here."""
    messages = list(conversation)
    by_id = {m.message_id: m for m in messages if m.message_id and m.direction != Direction.NOTE}
    reasons = {}
    for message in messages:
        if message.direction not in SHOWN_FOR or not (message.threading or message.thread_reason):
            continue
        words = _words(message.threading, by_id) if message.threading else ""
        if not words:  # recorded before reasons were kept as data
            reasons[message.pk] = ThreadReason(words=message.thread_reason, details=[])
            continue
        reasons[message.pk] = ThreadReason(words=words, details=_details(message))
    return reasons
