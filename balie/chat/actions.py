"""What happens in a live chat: start, a visitor's message, an agent's answer, the end.

A visitor's message on the socket is stored with one INSERT, as an envelope that says which
ticket it goes to and the id it will have there (`store_visitor_message`), and is shown at
once; the ingest worker files it into the chat's ticket in a batch behind, through the one
intake pipeline (audit trail, SLA, rules). A message the widget sends again (same client id
after a reconnect) finds its envelope and is stored and filed once. The first message and a
file are filed by the pipeline before the answer (they make the ticket, or need the checks).
An agent's answer is stored and shown by the web process after commit (`live`).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.accounts.models import Agent
from balie.core import rate_limits
from balie.core.actors import SYSTEM, Actor
from balie.customers.identities import normalise
from balie.customers.models import IdentityKind
from balie.intake import pipeline as ingest
from balie.messaging.connectors.chat import (
    build_envelope,
    envelope_key,
    group_of,
    is_live,
    mark_live,
)
from balie.messaging.models import ChannelAccount, Envelope
from balie.routing import actions as routing_actions
from balie.tickets import actions as ticket_actions
from balie.tickets.models import Direction, Message, Ticket

from . import envelopes, history
from .live import send_after_commit, show_after_commit
from .models import ChatSession, ChatState, new_token, token_hash

logger = logging.getLogger(__name__)

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TEXT = 5000


def web_address(url: str) -> str:
    """The visitor's page as the widget reports it, kept only when it is an http(s) address:
    the workspace links it, and a `javascript:` link would run in the agent's page."""
    url = url.strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


class ChatError(ValueError):
    """Input the chat cannot take: the reason is shown to the visitor as it is."""


class RateLimited(ChatError):
    """A message over the chat's rate limit: not stored; the widget may send it again later."""


@dataclass(frozen=True)
class Started:
    session: ChatSession
    token: str
    message: Message


def chat_account(slug: str) -> ChannelAccount | None:
    """The active chat account of a widget's `data-account` (its address)."""
    return ChannelAccount.objects.filter(kind="chat", address=slug, is_active=True).first()


def allowed_origins(account: ChannelAccount) -> list[str]:
    return [str(o).rstrip("/") for o in (account.config or {}).get("origins", [])]


def origin_allowed(account: ChannelAccount, origin: str, host: str) -> bool:
    """Whether a page on `origin` may use the account's widget. `self` in the account's list
    stands for the server's own origin (the host the request was made to, or BASE_URL)."""
    origin = (origin or "").rstrip("/")
    if not origin or origin == "null":
        return False
    for allowed in allowed_origins(account):
        if allowed == "self":
            own = {settings.BASE_URL.rstrip("/")}
            if host:
                own |= {f"http://{host}", f"https://{host}"}
            if origin in own:
                return True
        elif allowed == origin:
            return True
    return False


def session_for(account: ChannelAccount, token: str) -> ChatSession | None:
    """The chat of a visitor token: one indexed read (the token's hash), with what the
    socket's welcome shows."""
    if not token or len(token) > 200:
        return None
    return (
        ChatSession.objects.select_related("ticket", "ticket__assignee", "agent", "account")
        .filter(account=account, token_hash=token_hash(token))
        .first()
    )


def check_text(text: str, *, allow_empty: bool = False) -> str:
    text = (text or "").strip()
    if not text and not allow_empty:
        raise ChatError(_("Een bericht mag niet leeg zijn."))
    if len(text) > MAX_TEXT:
        raise ChatError(_("Een bericht mag hoogstens %(n)s tekens lang zijn.") % {"n": MAX_TEXT})
    return text


def check_client_id(client_id: str) -> str:
    if not CLIENT_ID.match(client_id or ""):
        raise ChatError(_("Ongeldig bericht-id."))
    return client_id


def start_chat(
    account: ChannelAccount,
    *,
    name: str,
    email: str,
    text: str,
    client_id: str,
    customer_number: str = "",
    topic: str = "",
    language: str = "nl",
    page_url: str = "",
    page_title: str = "",
    team: Any = None,
) -> Started:
    """A new chat with its first message, filed as a new ticket of the topic's team (or
    `team`, when routing sends the chat elsewhere). Returns the visitor's token: it is shown
    this once and stored only as its hash."""
    text = check_text(text)
    check_client_id(client_id)
    token = new_token()
    now = timezone.now()
    with transaction.atomic():
        session = ChatSession.objects.create(
            account=account,
            token_hash=token_hash(token),
            public_id=uuid.uuid4().hex,
            name=name.strip()[:200],
            email=email.strip().lower(),
            customer_number=customer_number.strip()[:30],
            topic=topic[:30],
            language="en" if language.startswith("en") else "nl",
            page_url=web_address(page_url)[:1000],
            page_title=page_title.strip()[:300],
            started_at=now,
            last_visitor_at=now,
        )
        message, _new = _file(session, client_id=client_id, text=text, team=team)
        session.ticket = message.ticket
        session.team_id = message.ticket.team_id
        session.save(update_fields=["ticket", "team"])
        ticket_number = message.ticket.pk
        transaction.on_commit(lambda: mark_live(ticket_number))
        if session.team_id:
            send_after_commit(f"chat.team.{session.team_id}", {"type": "chat.waiting"})
    return Started(session=session, token=token, message=message)


def visitor_message(
    session: ChatSession,
    *,
    client_id: str,
    text: str,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> tuple[Message, bool]:
    """File a message of the visitor in the chat's ticket; (message, new). The same client id
    again gives the message filed the first time."""
    check_client_id(client_id)
    text = check_text(text, allow_empty=bool(attachments))
    if session.state == ChatState.ENDED:
        existing = _filed(session, client_id)  # sent before the end, acknowledged after it
        if existing is not None:
            return existing, False
        raise ChatError(_("Dit gesprek is beëindigd."))
    with transaction.atomic():
        message, new = _file(session, client_id=client_id, text=text, attachments=attachments)
        if new:
            ChatSession.objects.filter(pk=session.pk).update(
                last_visitor_at=timezone.now(), idle_warned_at=None
            )
    return message, new  # shown by `live` once filed


@dataclass(frozen=True)
class Stored:
    """A visitor's message stored by `store_visitor_message`: the id it is shown with (and
    will have in the ticket), whether it is new, and (new) the message as the sockets show it."""

    id: int
    new: bool
    item: dict[str, Any] | None = None


# How long the visitor's last activity may lag in the database (read by the idle check).
ACTIVITY_LAG = timedelta(seconds=20)


def store_visitor_message(session: ChatSession, *, client_id: str, text: str) -> Stored:
    """A visitor's text message from the socket: stored durably with one INSERT (its
    envelope, which names the chat's ticket and the message's id: `envelopes.store`), then
    filed by the ingest worker behind. The same client id again gives the id stored the first
    time and stores nothing. Raises RateLimited over the chat's limit (nothing stored; a
    message stored before is still acknowledged), ChatError for a chat that has ended."""
    check_client_id(client_id)
    text = check_text(text)
    if session.state == ChatState.ENDED or _over_limit(session):
        existing = _stored(session, client_id)  # sent before, acknowledged now
        if existing is not None:
            return existing
        if session.state == ChatState.ENDED:
            raise ChatError(_("Dit gesprek is beëindigd."))
        raise RateLimited(
            _("U stuurt te veel berichten achter elkaar. Wacht even en stuur het opnieuw.")
        )
    external_id, raw = _envelope(session, client_id=client_id, text=text)
    stored = envelopes.store(
        account=session.account,
        external_id=external_id,
        raw=raw,
        filed_in={
            "ticket": session.ticket_id,
            "reason": _thread_reason(session),
            "threading": _threading(session),
        },
    )
    if stored is None:
        existing = _stored(session, client_id)
        assert existing is not None
        return existing
    now = timezone.now()
    if (
        session.idle_warned_at
        or not session.last_visitor_at
        or (now - session.last_visitor_at > ACTIVITY_LAG)
    ):
        ChatSession.objects.filter(pk=session.pk).update(last_visitor_at=now, idle_warned_at=None)
        session.last_visitor_at, session.idle_warned_at = now, None
    item = history.visitor_item(
        stored.message_id, name=session.name, text=text, at=stored.received_at, cid=client_id
    )
    return Stored(id=stored.message_id, new=True, item=item)


def _stored(session: ChatSession, client_id: str) -> Stored | None:
    key = envelope_key(session.public_id, client_id)
    existing = Envelope.objects.filter(channel="chat", external_id=key).first()
    return Stored(id=_shown_id(existing), new=False) if existing is not None else None


def _shown_id(envelope: Envelope) -> int:
    """The id a stored visitor message was shown with."""
    filed_in = (envelope.meta or {}).get(ingest.FILED_IN) or {}
    if filed_in.get("message"):
        return int(filed_in["message"])
    found = Message.objects.filter(envelope=envelope, direction=Direction.INBOUND).first()
    if found is None:
        raise ChatError(envelope.reason or _("Het bericht kon niet worden bewaard."))
    return found.pk


def _thread_reason(session: ChatSession) -> str:
    return _("chatgesprek %(id)s") % {"id": session.public_id[:8]}


def _threading(session: ChatSession) -> dict[str, Any]:
    """The thread reason as data (`balie.tickets.threading_words`)."""
    return {"how": "chat", "session": session.public_id[:8]}


def over_limit(session: ChatSession, client_id: str, *, uploads: bool = False) -> bool:
    """True when this new message of the visitor is over the chat's rate limit (and is not to
    be stored). A message the widget sends again (its client id already filed) is never
    counted, so a message accepted once is never refused later."""
    if _filed(session, client_id) is not None:
        return False
    return _over_limit(session, uploads=uploads)


def _over_limit(session: ChatSession, *, uploads: bool = False) -> bool:
    name = "BALIE_CHAT_UPLOAD_RATE_LIMIT" if uploads else "BALIE_CHAT_MESSAGE_RATE_LIMIT"
    limit = rate_limits.RateLimit.parse(str(getattr(settings, name)))
    scope = "chat-upload" if uploads else "chat-visitor-message"
    return not rate_limits.hit(scope, session.public_id, limit)


def _filed(session: ChatSession, client_id: str) -> Message | None:
    envelope = Envelope.objects.filter(
        channel="chat", external_id=envelope_key(session.public_id, client_id)
    ).first()
    if envelope is None:
        return None
    return Message.objects.filter(envelope=envelope, direction=Direction.INBOUND).first()


def _file(
    session: ChatSession,
    *,
    client_id: str,
    text: str,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    team: Any = None,
) -> tuple[Message, bool]:
    """Store the envelope and file it, in the caller's transaction (so the ingest worker, woken
    after commit, finds it done); (message, new). The same client id again finds the envelope
    stored the first time and its message."""
    external_id, raw = _envelope(session, client_id=client_id, text=text, attachments=attachments)
    envelope, created = ingest.receive(
        channel="chat", raw=raw, account=session.account, external_id=external_id
    )
    ticket = session.ticket
    if ticket is None:
        given: dict[str, Any] = {
            "thread_reason": _("nieuw chatgesprek"),
            "threading": {"how": "chat"},
        }
        if team is not None:
            given["ticket_fields"] = {"team": team}
    else:
        given = {
            "ticket": ticket,
            "customer": ticket.customer,
            "thread_reason": _thread_reason(session),
            "threading": _threading(session),
        }
    envelope = ingest.process_envelope(envelope.pk, given=given)
    message = Message.objects.filter(envelope=envelope, direction=Direction.INBOUND).first()
    if message is None:
        raise ChatError(envelope.reason or _("Het bericht kon niet worden bewaard."))
    return message, created


def _envelope(
    session: ChatSession,
    *,
    client_id: str,
    text: str,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> tuple[str, bytes]:
    claims = {
        "customer_number": session.customer_number,
        "topic": session.topic,
        "language": session.language,
        "page": session.page_url,
    }
    return build_envelope(
        chat=session.public_id,
        client_id=client_id,
        name=session.name,
        email=session.email,
        text=text,
        claims=claims,
        attachments=attachments,
        sent_at=timezone.now().isoformat(),
    )


def agent_reply(session: ChatSession, *, by: Agent, text: str, attachments: Any = ()) -> Message:
    """An agent's answer. While the chat is live: stored with one INSERT, marked for the rest
    of its filing (`tickets.actions.store_shown_reply`), shown on the chat's sockets at once
    (`live`), and filed behind by the ingest worker in the ticket's order with the visitor's
    messages (SLA clocks, audit entry, rules: `intake.chat_order`). With attachments, or once
    the chat has ended (it then goes by e-mail through the outbox): `add_reply` in full."""
    text = check_text(text)
    ticket = session.ticket
    assert ticket is not None
    if attachments or transaction.get_connection().in_atomic_block or not is_live(ticket.pk):
        return ticket_actions.add_reply(ticket, by=by, text=text, attachments=attachments)
    message = ticket_actions.store_shown_reply(ticket, by=by, text=text, to=[_answer_to(session)])
    show_after_commit(message)
    ingest.wake_worker(None)
    return message


def _answer_to(session: ChatSession) -> str:
    """Where the answer goes, as `channel_addressing` finds it for a chat: the identity the
    visitor's messages are filed under, the address they gave."""
    try:
        return normalise(IdentityKind.EMAIL, session.email)
    except ValidationError:
        return session.email


def agent_note(session: ChatSession, *, by: Agent, text: str) -> Message:
    """An internal note beside the chat: agents see it, the visitor never."""
    assert session.ticket is not None
    return ticket_actions.add_note(session.ticket, by=by, text=check_text(text))  # shown by `live`


def end_chat(session: ChatSession, *, reason: str) -> bool:
    """End a chat (visitor, agent or idle); False when it had ended already. Later answers
    go by e-mail."""
    now = timezone.now()
    with transaction.atomic():
        updated = (
            ChatSession.objects.filter(pk=session.pk)
            .exclude(state=ChatState.ENDED)
            .update(state=ChatState.ENDED, ended_at=now, end_reason=reason[:20])
        )
        if not updated:
            return False
        session.state, session.ended_at, session.end_reason = ChatState.ENDED, now, reason
        ticket = session.ticket
        if ticket is not None:
            number = ticket.pk
            transaction.on_commit(lambda: mark_live(number, False))
            _finish_routing(ticket, by=session.agent)
    announce(session, event="chat.ended")
    return True


def leave_queue(session: ChatSession) -> bool:
    """The visitor left while still waiting: the chat ends (and routing frees its place in the
    queue, so the supervisor no longer counts it); a chat an agent has taken is left alone."""
    session.refresh_from_db(fields=["state"])
    if session.state != ChatState.WAITING:
        return False
    return end_chat(session, reason="left")


def _finish_routing(ticket: Ticket, *, by: Actor | None) -> None:
    """Tell routing the chat ended: the agent's slot is free for the next chat in the queue."""
    routing_actions.finish(ticket, by=by or ticket.assignee or SYSTEM)


def announce(session: ChatSession, *, event: str = "chat.changed") -> None:
    """Tell the chat's open sockets that something changed; each reads what it lacks."""
    if session.ticket_id is None:
        return
    number = session.ticket_id
    send_after_commit(group_of(number), {"type": event, "ticket": number})
