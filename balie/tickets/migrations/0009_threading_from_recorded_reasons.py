"""Messages filed before the reason a message is in its ticket was kept as data
(`Message.threading`, migration 0008) have only the sentence recorded then, in Dutch (or, for a
few, in English): "In-Reply-To <id>", "[#10012] in het onderwerp", "lopend gesprek op
whatsapp", "automatisch antwoord; …", "nieuw ticket", …. Every such sentence that one of the
intake's formats produced becomes the same data the intake records today, so that the ticket
page says it in words in the agent's language (`balie.tickets.threading_words`); a sentence of
no known format stays as it was, and the recorded sentence itself is kept."""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

_HEADER = re.compile(r"^(In-Reply-To|References):? <?([^<>\s]+)>?$")
_SUBJECT = re.compile(r"^\[#(\d+)\] in (?:het onderwerp|onderwerp|the subject)$")
_CONVERSATION = re.compile(r"^(?:lopend gesprek op|ongoing conversation on) (\S+)$")
_FOLLOW_UP = re.compile(
    r"^(.+), (?:maar #(\d+) is al langer dan (\d+) dagen gesloten: nieuw ticket als vervolg"
    r"|but #(\d+) has been closed for more than (\d+) days: new ticket as a follow-up)$"
)
_AUTOMATIC = re.compile(r"^(?:automatisch antwoord|automatic reply); (.+)$")
_BOUNCE = re.compile(r"^(?:onbestelbaar-melding over bericht|bounce notice about message) <(.+)>$")
_API = re.compile(r"^(?:vastgelegd via de API door|logged via the API by) (.+)$")
_LOGGED = re.compile(r"^(?:vastgelegd door|logged by) (.+)$")
_REFUSED = re.compile(r"^.+ wijst naar #(\d+), maar (.+) is geen deelnemer van dat ticket$")
_CHAT = re.compile(r"^(?:chatgesprek|chat conversation) (\S+)$")
_NEW = ("nieuw ticket", "new ticket")
_NEW_CHAT = ("nieuw chatgesprek", "new chat conversation")
# Channel codes before the English identifiers (migration 0007).
_CHANNELS = {"telefoon": "phone", "balie": "visit", "brief": "letter", "portaal": "portal"}


def reason_as_data(text: str) -> dict[str, Any] | None:
    """The threading data for a recorded sentence, or None when it has no known format."""
    text = " ".join((text or "").split())
    if match := _HEADER.match(text):
        return {"how": "header", "header": match[1], "message_id": match[2]}
    if match := _SUBJECT.match(text):
        return {"how": "subject", "number": int(match[1])}
    if match := _CONVERSATION.match(text):
        channel = match[1].lower()
        return {"how": "conversation", "channel": _CHANNELS.get(channel, channel)}
    if match := _FOLLOW_UP.match(text):
        via = reason_as_data(match[1])
        if via is None:
            return None
        number, days = (match[2], match[3]) if match[2] else (match[4], match[5])
        return {"how": "follow_up", "via": via, "number": int(number), "days": int(days)}
    if match := _AUTOMATIC.match(text):
        via = reason_as_data(match[1])
        return None if via is None else {"how": "automatic", "via": via}
    if match := _BOUNCE.match(text):
        return {"how": "bounce", "message_id": match[1]}
    if match := _API.match(text):
        return {"how": "api", "agent": match[1]}
    if match := _LOGGED.match(text):
        return {"how": "logged", "agent": match[1]}
    if text in _NEW_CHAT:
        return {"how": "chat"}
    if match := _CHAT.match(text):
        return {"how": "chat", "session": match[1]}
    *notes, last = text.split("; ")
    if last not in _NEW:
        return None
    refused = []
    for note in notes:
        match = _REFUSED.match(note)
        if match is None:
            return None
        refused.append({"number": int(match[1]), "sender": match[2]})
    return {"how": "new", "refused": refused} if refused else {"how": "new"}


BATCH = 5_000


def forwards(apps, schema_editor) -> None:
    message_model = apps.get_model("tickets", "Message")
    todo = message_model.objects.filter(threading={}).exclude(thread_reason="").order_by("pk")
    last = 0
    while True:
        rows = list(todo.filter(pk__gt=last).values_list("pk", "thread_reason")[:BATCH])
        if not rows:
            return
        last = rows[-1][0]
        # One UPDATE per distinct result in the batch: most messages share a few sentences.
        by_data: dict[str, tuple[dict[str, Any], list[int]]] = {}
        for pk, reason in rows:
            data = reason_as_data(reason)
            if data is not None:
                by_data.setdefault(repr(data), (data, []))[1].append(pk)
        for data, pks in by_data.values():
            message_model.objects.filter(pk__in=pks).update(threading=data)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0008_message_threading")]

    # Backwards: nothing to undo (the recorded sentence was kept).
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
