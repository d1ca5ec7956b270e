"""The steps of the intake pipeline, shared by every channel.

Each step takes the runs of a batch (one `Run` per inbound message) and looks up what it needs
for all of them at once; a step may stop a run with a recorded reason. The last step files
every run left in one tickets action, `file_messages`. A batch of one (a web form, an API
call, a logged call) is the ordinary case; the ingest worker runs a burst of mail as one
batch. The runs of one batch are independent of each other: `pipeline.run_batch` defers a
message that needs an earlier one of the batch filed first (same sender, customer or ticket).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.automation.triggers import active_rules
from balie.core.actors import SYSTEM, Actor
from balie.core.language_detection import detect_language
from balie.customers.actions import Sender, find_or_create_customers
from balie.customers.identities import normalise
from balie.customers.models import Customer, Identity
from balie.messaging.connectors import get_connector
from balie.messaging.connectors.base import Automatic, InboundMessage, RejectedInput
from balie.messaging.connectors.email.addresses import own_email_addresses
from balie.messaging.models import ChannelAccount, Envelope, EnvelopeStatus
from balie.routing.actions import choose_team
from balie.routing.engine import settings_of
from balie.tickets import actions as ticket_actions
from balie.tickets.actions import Filing
from balie.tickets.models import Channel, Direction, Message, Status, Ticket

# Channels where a customer's next message continues their open conversation.
CONVERSATIONAL = ("chat", "whatsapp", "messenger", "instagram", "x", "sms")
SUBJECT_TOKEN = re.compile(r"\[#(\d{1,12})\]")


@dataclass
class Run:
    inbound: InboundMessage
    envelope: Envelope | None = None
    account: ChannelAccount | None = None
    customer: Customer | None = None
    identity: Identity | None = None
    ticket: Ticket | None = None
    link_to: Ticket | None = None
    thread_reason: str = ""
    # The same in data, for the words an agent reads (balie.tickets.threading_words).
    threading: dict[str, Any] = field(default_factory=dict)
    message: Message | None = None
    created_ticket: bool = False
    # Filing's word on a new ticket (`Filing.untouched`, `Filing.acknowledgement`).
    untouched: bool = False
    acknowledgement: Message | None = None
    stopped: str = ""
    notes: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # the steps it went through, in order
    # Filed by someone other than the sender (an agent over the API), with the ticket's fields
    # they chose; None: the customer themselves.
    by: Actor | None = None
    ticket_fields: dict[str, Any] = field(default_factory=dict)
    # A call, visit or letter an agent logs: they are its author, and nobody is acknowledged.
    logged: bool = False
    acknowledge: bool = True
    # A bounce: filed as Balie's own message in `ticket`, then the run stops with `outcome`.
    bounce: dict[str, Any] | None = None
    # The message's id and arrival, taken when it was stored (a chat message shown at once).
    message_id: int | None = None
    received_at: Any = None

    def stop(self, reason: str) -> Run:
        self.stopped = reason
        return self


# --- the steps ------------------------------------------------------------------------------


def drop_duplicate(runs: list[Run]) -> None:
    """The same message through a second path (two mailboxes, IMAP and the MTA endpoint)."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for run in runs:
        if run.inbound.external_id:
            wanted[run.inbound.channel].append(run.inbound.external_id)
    if not wanted:
        return
    query = Q()
    for channel, values in wanted.items():
        query |= Q(channel=channel, external_id__in=values)
    # The same condition as the unique index on (channel, external_id), so that it is used.
    filed = set(
        Message.objects.filter(query).exclude(external_id="").values_list("channel", "external_id")
    )
    for run in runs:
        if (run.inbound.channel, run.inbound.external_id) in filed:
            run.stop(_("dubbel: bericht %(id)s is al verwerkt") % {"id": run.inbound.external_id})


def detect_auto_reply(runs: list[Run]) -> None:
    """Bounces go to the ticket whose mail bounced; auto-replies and bulk mail never open a
    ticket (they are filed, quietly, in a ticket they clearly belong to)."""
    for run in runs:
        if run.inbound.automatic == Automatic.BOUNCE:
            _bounce(run)


def _bounce(run: Run) -> None:
    mail = run.inbound.mail
    outbound = (
        Message.objects.filter(
            message_id__in=list(mail.bounced_message_ids), direction=Direction.OUTBOUND
        )
        .select_related("ticket")
        .first()
        if mail.bounced_message_ids
        else None
    )
    if outbound is None:
        run.stop(_("onbestelbaar-melding over een bericht dat niet van ons is"))
        return
    detail = mail.bounce_detail or run.inbound.automatic_reason
    if mail.bounce_permanent:
        text = _("Onbestelbaar: het bericht aan %(to)s kwam niet aan. %(detail)s")
    else:
        text = _("Vertraagd: het bericht aan %(to)s is nog niet afgeleverd. %(detail)s")
    to = (
        ", ".join(outbound.recipients.get("to", []))
        if isinstance(outbound.recipients, dict)
        else ""
    )
    run.ticket = outbound.ticket
    run.thread_reason = _("onbestelbaar-melding over bericht <%(id)s>") % {
        "id": outbound.message_id
    }
    run.threading = {"how": "bounce", "message_id": outbound.message_id}
    run.bounce = {
        "text": text % {"to": to, "detail": detail},
        "bounced": outbound if mail.bounce_permanent else None,
        "error": detail,
        "outcome": _("onbestelbaar-melding bij ticket #%(n)s gevoegd") % {"n": outbound.ticket_id},
    }


def detect_loop(runs: list[Run]) -> None:
    """Mail that we sent ourselves coming back (a mailbox forwarding to another of ours)."""
    for run in runs:
        if run.bounce is None:
            _detect_loop(run)


def _detect_loop(run: Run) -> Run:
    inbound = run.inbound
    if inbound.mail.loop_marker and inbound.mail.loop_marker == settings.BALIE_INSTANCE_ID:
        return run.stop(_("lus: dit bericht is door Balie zelf verstuurd"))
    if inbound.sender.kind == "email":
        sender = inbound.sender.value.lower()
        if sender in own_email_addresses():
            return run.stop(_("lus: afzender %(s)s is een eigen adres") % {"s": sender})
    return run


def inbound_language(inbound: InboundMessage) -> str:
    """The language of a message: what its channel says (the form's page language), else what
    its text reads as (e-mail says nothing); "" when neither tells."""
    claimed = inbound.claims.get("language", "")
    if claimed:
        return str(claimed)
    return detect_language(f"{inbound.subject}\n{inbound.text}")


def identify_customer(runs: list[Run]) -> None:
    """One customer per identity; a new identity makes a new customer (never merged on a number
    the sender merely typed: that is shown to agents as an unverified claim). An automatic
    message opens nothing, so it makes no customer either."""
    asking: list[tuple[Run, Sender]] = []
    for run in runs:
        if run.customer is not None or run.bounce is not None:
            continue  # known already: an agent filed it for this customer
        sender = run.inbound.sender
        try:
            value = normalise(sender.kind, sender.value)
        except Exception as exc:
            if run.inbound.automatic:
                continue
            raise RejectedInput(
                _("afzender niet te herkennen: %(v)s (%(e)s)") % {"v": sender.value, "e": exc}
            ) from exc
        create = not run.inbound.automatic
        asking.append(
            (
                run,
                Sender(
                    kind=sender.kind,
                    value=value,
                    name=sender.name,
                    # Detected only for a customer that is made, not for every sender.
                    language=(
                        (lambda inbound=run.inbound: inbound_language(inbound) or "nl")
                        if create
                        else "nl"
                    ),
                    create=create,
                ),
            )
        )
    found = find_or_create_customers([sender for _run, sender in asking])
    for (run, _sender), pair in zip(asking, found, strict=True):
        if pair is not None:
            run.customer, run.identity = pair


def thread_headers(inbound: InboundMessage) -> list[tuple[str, str]]:
    """The Message-IDs a message refers to, most telling first: In-Reply-To, then the
    References chain from newest to oldest."""
    ids: list[tuple[str, str]] = []
    mail = inbound.mail
    if mail.in_reply_to:
        ids.append(("In-Reply-To", mail.in_reply_to))
    ids += [("References", ref) for ref in reversed(mail.references) if ref != mail.in_reply_to]
    return ids


def subject_numbers(inbound: InboundMessage) -> list[int]:
    """Ticket numbers in `[#nummer]` tokens of the subject (channels that have one)."""
    if inbound.channel not in (Channel.EMAIL, Channel.WEBFORM, Channel.PORTAL):
        return []
    return [int(n) for n in dict.fromkeys(SUBJECT_TOKEN.findall(inbound.subject))]


def find_thread(runs: list[Run]) -> None:
    """Which ticket each message continues: the tickets of the Message-IDs, numbers and
    conversations of the whole batch are looked up at once."""
    runs = [run for run in runs if not run.thread_reason]  # the filer chose already
    if not runs:
        return
    mids = {mid for run in runs for _h, mid in thread_headers(run.inbound)}
    known = dict(
        Message.objects.filter(message_id__in=mids)
        .exclude(direction=Direction.NOTE)
        .values_list("message_id", "ticket_id")
        if mids
        else []
    )
    numbers = {n for run in runs for n in subject_numbers(run.inbound)}
    tickets = (
        Ticket.objects.select_related("customer", "sla_policy").in_bulk({*known.values(), *numbers})
        if known or numbers
        else {}
    )
    by_message_id = {mid: tickets[t] for mid, t in known.items() if t in tickets}
    conversations: dict[tuple[int, str], Ticket] = {}
    talking = [
        (run.customer.pk, run.inbound.channel)
        for run in runs
        if run.inbound.channel in CONVERSATIONAL and run.customer is not None
    ]
    if talking:
        for ticket in (
            Ticket.objects.filter(
                customer_id__in={c for c, _ch in talking}, channel__in={ch for _c, ch in talking}
            )
            .exclude(status=Status.CLOSED)
            .select_related("customer", "sla_policy")
            .order_by("-id")
        ):
            conversations.setdefault((ticket.customer_id, ticket.channel), ticket)
    for run in runs:
        choose_thread(
            run,
            by_message_id=by_message_id,
            by_number=tickets.get,
            conversation=lambda run=run: (
                conversations.get((run.customer.pk, run.inbound.channel)) if run.customer else None
            ),
            accepts=lambda ticket, run=run: ticket_actions.is_participant(
                ticket, run.inbound.sender, run.customer
            ),
        )


def choose_thread(
    run: Run,
    *,
    by_message_id: Mapping[str, Ticket],
    by_number: Callable[[int], Ticket | None],
    conversation: Callable[[], Ticket | None],
    accepts: Callable[[Ticket], bool],
) -> Run:
    """Which ticket the message continues, and why (`run.thread_reason`), from lookups the
    caller provides: the tickets of known Message-IDs, a ticket by number, the customer's
    running conversation on a conversational channel, and whether the sender takes part in a
    ticket. None of the candidates: a new ticket (a linked follow-up after a long-closed one)."""
    inbound = run.inbound

    refused: list[dict[str, Any]] = []

    def match(ticket: Ticket, how: str, basis: dict[str, Any]) -> bool:
        """Accept a candidate ticket only when the sender takes part in it."""
        if accepts(ticket):
            run.ticket = ticket
            run.thread_reason, run.threading = how, basis
            return True
        run.notes.append(
            _("%(how)s wijst naar #%(n)s, maar %(s)s is geen deelnemer van dat ticket")
            % {"how": how, "n": ticket.pk, "s": inbound.sender.value}
        )
        refused.append({"number": ticket.pk, "sender": inbound.sender.value})
        return False

    for header, mid in thread_headers(inbound):
        basis = {"how": "header", "header": header, "message_id": mid}
        if mid in by_message_id and match(by_message_id[mid], f"{header} <{mid}>", basis):
            break
    if run.ticket is None:
        for number in subject_numbers(inbound):
            ticket = by_number(number)
            how = _("[#%(n)s] in het onderwerp") % {"n": number}
            if ticket and match(ticket, how, {"how": "subject", "number": number}):
                break
    if run.ticket is None and inbound.channel in CONVERSATIONAL and run.customer is not None:
        ticket = conversation()
        if ticket:
            run.ticket = ticket
            run.thread_reason = _("lopend gesprek op %(c)s") % {"c": inbound.channel}
            run.threading = {"how": "conversation", "channel": inbound.channel}
    ticket = run.ticket
    if ticket is not None and ticket.status == Status.CLOSED:
        window = timedelta(days=settings.BALIE_REOPEN_WINDOW_DAYS)
        if ticket.closed_at and timezone.now() - ticket.closed_at > window:
            run.link_to, run.ticket = ticket, None
            run.thread_reason = _(
                "%(how)s, maar #%(n)s is al langer dan %(d)s dagen gesloten: nieuw ticket als vervolg"
            ) % {"how": run.thread_reason, "n": ticket.pk, "d": settings.BALIE_REOPEN_WINDOW_DAYS}
            run.threading = {
                "how": "follow_up",
                "via": run.threading,
                "number": ticket.pk,
                "days": settings.BALIE_REOPEN_WINDOW_DAYS,
            }
    if run.ticket is None and not run.thread_reason:
        run.thread_reason = "; ".join(run.notes) + ("; " if run.notes else "") + _("nieuw ticket")
        run.threading = {"how": "new", "refused": refused} if refused else {"how": "new"}
    return run


def file_message(runs: list[Run]) -> None:
    """File every run left, in one `file_messages`: an automatic message only in a ticket it
    belongs to (as Balie's own), any other in its ticket or a new one."""
    quiet = no_active_rules()
    filings: list[tuple[Run, Filing]] = []
    for run in runs:
        inbound = run.inbound
        if run.bounce is not None:
            filing = Filing(
                inbound=inbound, by=SYSTEM, ticket=run.ticket, thread_reason=run.thread_reason,
                threading=run.threading, envelope=run.envelope, system=True,
                text=run.bounce["text"],
                bounced=run.bounce["bounced"], bounce_error=run.bounce["error"],
            )  # fmt: skip
        elif inbound.automatic:
            if run.ticket is None:
                run.stop(
                    _("automatisch bericht (%(why)s): geen ticket geopend")
                    % {"why": inbound.automatic_reason or inbound.automatic}
                )
                continue
            filing = Filing(
                inbound=inbound, by=SYSTEM, ticket=run.ticket, envelope=run.envelope, system=True,
                thread_reason=_("automatisch antwoord; %(how)s") % {"how": run.thread_reason},
                threading={"how": "automatic", "via": run.threading},
            )  # fmt: skip
        else:
            assert run.customer is not None
            filing = Filing(
                inbound=inbound,
                by=run.by or run.customer,
                customer=run.customer,
                identity=run.identity,
                ticket=run.ticket,
                new_ticket=(new := {} if run.ticket is not None else _new_ticket(run)),
                thread_reason=run.thread_reason,
                threading=run.threading,
                envelope=run.envelope,
                steps=list(run.steps),
                author=run.by if run.logged else None,
                logged=run.logged,
                acknowledge=run.acknowledge,
                quiet=run.ticket is None and quiet and not routed(new),
                message_id=run.message_id,
                received_at=run.received_at,
            )
        filings.append((run, filing))
    ticket_actions.file_messages([filing for _run, filing in filings])
    for run, filing in filings:
        run.message, run.ticket, run.created_ticket = filing.message, filing.ticket, filing.created
        run.untouched, run.acknowledgement = filing.untouched, filing.acknowledgement
        if run.bounce is not None:
            run.stop(run.bounce["outcome"])


def no_active_rules() -> bool:
    """No active trigger rule, of any event: with a new ticket its team's routing (`routed`)
    is all that could change it after filing. Kept per process, forgotten when a rule
    changes (`automation.triggers.active_rules`)."""
    return not any(active_rules.get().values())


def routed(new_ticket: dict[str, Any]) -> bool:
    """The new ticket's team routes its channel (the team's settings, kept per process): the
    routing may assign it as it is filed. Otherwise, without rules, nothing but filing changes
    it, so its acknowledgement is filed with it (`Filing.quiet`)."""
    team = new_ticket.get("team")
    return team is not None and settings_of(team.pk).routes(str(new_ticket.get("channel", "")))


def _new_ticket(run: Run) -> dict[str, Any]:
    inbound = run.inbound
    return {
        "subject": inbound.subject or (inbound.text.strip().splitlines() or [""])[0][:80],
        "channel": inbound.channel,
        "team": choose_team(channel=inbound.channel, account=run.account, claims=inbound.claims),
        "claims": dict(inbound.claims),
        "linked_to": run.link_to,
        "account": run.account,
        "language": inbound_language(inbound),
        **{k: v for k, v in run.ticket_fields.items() if v},
    }


# --- what the ingest worker's burst needs to know of an envelope before it files it together ---


def readable_messages(envelope: Envelope) -> list[InboundMessage]:
    """The envelope's messages; none when it failed before (processed alone, it is
    quarantined again with its reason) or cannot be read."""
    if envelope.status != EnvelopeStatus.RECEIVED:
        return []
    try:
        parsed = list(get_connector(envelope.channel).parse(envelope))
    except Exception:
        return []
    # A delivery receipt is no message: an envelope holding one is processed alone.
    messages = [p for p in parsed if isinstance(p, InboundMessage)]
    return messages if len(messages) == len(parsed) else []


def sender_readable(run: Run) -> bool:
    """A person's address that cannot be read quarantines the message: alone, not the batch."""
    if run.inbound.automatic:
        return True
    try:
        normalise(run.inbound.sender.kind, run.inbound.sender.value)
    except Exception:
        return False
    return True


PIPELINE = (
    drop_duplicate,
    detect_auto_reply,
    detect_loop,
    identify_customer,
    find_thread,
    file_message,
)
# What a message filed through every step records.
STEP_NAMES = tuple(step.__name__ for step in PIPELINE)
