"""The single ingestion pipeline, shared by every channel.

A webhook or poller calls `receive()`: the raw delivery is stored as an `Envelope` (unique per
channel and external id) before anything is acknowledged, and processing is queued after commit.
`process_envelope()` parses it with the channel's connector and runs each `InboundMessage`
through PIPELINE, an ordered tuple of plain functions. Each takes and returns a `Run`; a step
may stop the run with a recorded reason. One envelope is processed in one transaction: a
failure leaves nothing half-written, and the envelope goes to quarantine with its reason.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.core import realtime
from balie.core.events import SYSTEM
from balie.core.language_detection import detect_language
from balie.customers.actions import find_customer, find_or_create_customer
from balie.customers.models import Customer, Identity
from balie.messaging.connectors import get_connector
from balie.messaging.connectors.base import (
    Automatic,
    DeliveryReceipt,
    InboundMessage,
    RejectedInput,
)
from balie.messaging.connectors.email.addresses import own_email_addresses
from balie.messaging.models import ChannelAccount, Envelope, EnvelopeStatus, Quarantine
from balie.routing.actions import choose_team
from balie.tickets import actions as ticket_actions
from balie.tickets.events import EventKind, held
from balie.tickets.models import Channel, DeliveryStatus, Direction, Message, Status, Ticket

from .receipts import file_receipts

logger = logging.getLogger(__name__)

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
    stopped: str = ""
    notes: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # the steps it went through, in order
    # Filed by someone other than the sender (an agent over the API), with the ticket's fields
    # they chose; None: the customer themselves.
    by: Any = None
    ticket_fields: dict[str, Any] = field(default_factory=dict)
    # A call, visit or letter an agent logs: they are its author, and nobody is acknowledged.
    logged: bool = False
    acknowledge: bool = True

    def stop(self, reason: str) -> Run:
        self.stopped = reason
        return self


# --- the steps ------------------------------------------------------------------------------


def drop_duplicate(run: Run) -> Run:
    """The same message through a second path (two mailboxes, IMAP and the MTA endpoint)."""
    inbound = run.inbound
    if (
        inbound.external_id
        and Message.objects.filter(
            channel=inbound.channel, external_id=inbound.external_id
        ).exists()
    ):
        return run.stop(_("dubbel: bericht %(id)s is al verwerkt") % {"id": inbound.external_id})
    return run


def detect_auto_reply(run: Run) -> Run:
    """Bounces go to the ticket whose mail bounced; auto-replies and bulk mail never open a
    ticket (they are filed, quietly, in a ticket they clearly belong to)."""
    inbound = run.inbound
    if inbound.automatic != Automatic.BOUNCE:
        return run
    outbound = (
        Message.objects.filter(
            message_id__in=list(inbound.mail.bounced_message_ids), direction=Direction.OUTBOUND
        )
        .select_related("ticket")
        .first()
        if inbound.mail.bounced_message_ids
        else None
    )
    if outbound is None:
        return run.stop(_("onbestelbaar-melding over een bericht dat niet van ons is"))
    ticket = outbound.ticket
    detail = inbound.mail.bounce_detail or inbound.automatic_reason
    if inbound.mail.bounce_permanent:
        text = _("Onbestelbaar: het bericht aan %(to)s kwam niet aan. %(detail)s")
    else:
        text = _("Vertraagd: het bericht aan %(to)s is nog niet afgeleverd. %(detail)s")
    to = (
        ", ".join(outbound.recipients.get("to", []))
        if isinstance(outbound.recipients, dict)
        else ""
    )
    run.message = ticket_actions.add_system_message(
        ticket,
        text=text % {"to": to, "detail": detail},
        inbound=inbound,
        reason=_("onbestelbaar-melding over bericht <%(id)s>") % {"id": outbound.message_id},
        threading={"how": "bounce", "message_id": outbound.message_id},
        envelope=run.envelope,
    )
    if inbound.mail.bounce_permanent:
        ticket_actions.mark_delivery(outbound, status=DeliveryStatus.BOUNCED, error=detail)
    run.ticket = ticket
    return run.stop(_("onbestelbaar-melding bij ticket #%(n)s gevoegd") % {"n": ticket.pk})


def detect_loop(run: Run) -> Run:
    """Mail that we sent ourselves coming back (a mailbox forwarding to another of ours)."""
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


def identify_customer(run: Run) -> Run:
    """One customer per identity; a new identity makes a new customer (never merged on a number
    the sender merely typed: that is shown to agents as an unverified claim)."""
    sender = run.inbound.sender
    if run.customer is not None:
        return run  # known already: an agent filed it for this customer
    if run.inbound.automatic:
        found = find_customer(sender.kind, sender.value)
        if found:
            run.customer, run.identity = found
        return run
    try:
        run.customer, run.identity, _created = find_or_create_customer(
            kind=sender.kind,
            value=sender.value,
            name=sender.name,
            language=inbound_language(run.inbound) or "nl",
            by=SYSTEM,
        )
    except Exception as exc:
        raise RejectedInput(
            _("afzender niet te herkennen: %(v)s (%(e)s)") % {"v": sender.value, "e": exc}
        ) from exc
    return run


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


def find_thread(run: Run) -> Run:
    inbound = run.inbound
    if run.thread_reason:
        return run  # a new ticket by the filer's own choice, for the reason given
    headers = thread_headers(inbound)
    by_message_id: dict[str, Ticket] = {}
    if headers:
        known = dict(
            Message.objects.filter(message_id__in=[mid for _h, mid in headers])
            .exclude(direction=Direction.NOTE)
            .values_list("message_id", "ticket_id")
        )
        tickets = Ticket.objects.in_bulk(set(known.values()))
        by_message_id = {mid: tickets[number] for mid, number in known.items()}
    return choose_thread(
        run,
        by_message_id=by_message_id,
        by_number=lambda number: Ticket.objects.filter(pk=number).first(),
        conversation=lambda: (
            Ticket.objects.filter(customer=run.customer, channel=inbound.channel)
            .exclude(status=Status.CLOSED)
            .order_by("-id")
            .first()
        ),
        accepts=lambda ticket: ticket_actions.is_participant(ticket, inbound.sender, run.customer),
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


def file_message(run: Run) -> Run:
    inbound = run.inbound
    if inbound.automatic:
        if run.ticket is None:
            return run.stop(
                _("automatisch bericht (%(why)s): geen ticket geopend")
                % {"why": inbound.automatic_reason or inbound.automatic}
            )
        run.message = ticket_actions.add_system_message(
            run.ticket,
            text=inbound.text,
            inbound=inbound,
            reason=_("automatisch antwoord; %(how)s") % {"how": run.thread_reason},
            threading={"how": "automatic", "via": run.threading},
            envelope=run.envelope,
        )
        return run
    assert run.customer is not None
    # The consumers of the events (trigger rules) run once the message is filed, so that they
    # can read it: first those of a new ticket, then those of the message.
    with held() as hold:
        _file(run, inbound)
    fired = any(e.kind == EventKind.RULE_APPLIED for e in hold.events)
    if run.created_ticket and run.acknowledge:
        # When no rule fired, the new ticket holds just this message: the acknowledgement
        # need not read back what was just written.
        ticket_actions.send_acknowledgement(run.ticket, to_message=run.message, untouched=not fired)
    return run


def _file(run: Run, inbound: InboundMessage) -> None:
    assert run.customer is not None
    by = run.by or run.customer
    if run.ticket is None:
        fields = {
            "team": choose_team(
                channel=inbound.channel, account=run.account, claims=inbound.claims
            ),
            "claims": dict(inbound.claims),
            "linked_to": run.link_to,
            "account": run.account,
            "language": inbound_language(inbound),
            **{k: v for k, v in run.ticket_fields.items() if v},
        }
        run.ticket = ticket_actions.create_ticket(
            customer=run.customer,
            subject=inbound.subject or (inbound.text.strip().splitlines() or [""])[0][:80],
            channel=inbound.channel,
            by=by,
            **fields,
        )
        run.created_ticket = True
    run.message = ticket_actions.add_inbound_message(
        run.ticket,
        inbound,
        by=by,
        identity=run.identity,
        thread_reason=run.thread_reason,
        threading=run.threading,
        envelope=run.envelope,
        first=run.created_ticket,
        steps=run.steps,
        author=run.by if run.logged else None,
        logged=run.logged,
    )


PIPELINE = (
    drop_duplicate,
    detect_auto_reply,
    detect_loop,
    identify_customer,
    find_thread,
    file_message,
)
# What a message filed through every step records (the batch files plain messages so).
STEP_NAMES = tuple(step.__name__ for step in PIPELINE)


def run_pipeline(
    inbound: InboundMessage,
    *,
    envelope: Envelope | None = None,
    account: ChannelAccount | None = None,
    **given: Any,
) -> Run:
    """`given`: what the filer already knows (Run's customer, identity, by, ticket_fields,
    thread_reason), for a message an agent files for a customer."""
    run = Run(inbound=inbound, envelope=envelope, account=account, **given)
    for step in PIPELINE:
        run.steps.append(step.__name__)
        run = step(run)
        if run.stopped:
            break
    return run


# --- receiving and processing ---------------------------------------------------------------


def receive(
    *,
    channel: str,
    raw: bytes,
    account: ChannelAccount | None = None,
    meta: Mapping[str, Any] | None = None,
    external_id: str = "",
) -> tuple[Envelope, bool]:
    """Store a raw delivery durably; returns (envelope, created). A repeated delivery returns
    the stored envelope and queues nothing."""
    connector = get_connector(channel)
    meta = dict(meta or {})
    external_id = (external_id or connector.envelope_id(raw, meta))[:255]
    fields = {
        "channel": channel,
        "account": account,
        "external_id": external_id,
        "raw": raw,
        "meta": meta,
    }
    try:
        if connection.in_atomic_block:
            # Inside a caller's transaction a savepoint keeps it usable after a duplicate.
            with transaction.atomic():
                envelope = Envelope.objects.create(**fields)
        else:
            # Autocommit: the INSERT alone is durable; no BEGIN and COMMIT round trips.
            envelope = Envelope.objects.create(**fields)
    except IntegrityError:
        return Envelope.objects.get(channel=channel, external_id=external_id), False
    transaction.on_commit(lambda: wake_worker(envelope.pk))
    return envelope, True


WAKE_KEY = "ingest:awake"


def wake_key(slot: int) -> str:
    return f"{WAKE_KEY}:{slot}"


# Until when (time.monotonic()) this process knows every drain to be awake: a delivery then
# queues nothing and asks Redis nothing (two SET NX round trips were a quarter of the CPU
# of a mail server's delivery). See `wake_worker` and `drain` for why no mail is left behind.
_all_awake_until = 0.0


def wake_worker(envelope_id: int, *, trust_hint: bool = True) -> None:
    """Queue the ingest task for a stored envelope, once per burst of mail: while
    `BALIE_INGEST_DRAINS` workers are draining the waiting envelopes (their wake keys are
    set), one of them takes this one too before it stops, so no task of its own is needed.
    Without a shared cache (eager tasks) always.

    Having found every wake key set, a process trusts that for `BALIE_INGEST_AWAKE_HINT`
    seconds from the moment it asked. A drain that clears its key waits that long (and a
    little) before its last look, so the envelopes stored meanwhile are still seen; what it
    finds then it wakes a worker for without trusting any hint (`trust_hint=False`)."""
    global _all_awake_until
    from .tasks import process_envelope

    if settings.CELERY_TASK_ALWAYS_EAGER:
        process_envelope.delay(envelope_id)
        return
    asked = time.monotonic()
    if trust_hint and asked < _all_awake_until:
        return
    timeout = int(settings.BALIE_INGEST_DRAIN_SECONDS) + 30
    for slot in range(max(1, settings.BALIE_INGEST_DRAINS)):
        if cache.add(wake_key(slot), envelope_id, timeout=timeout):
            process_envelope.delay(envelope_id, slot=slot)
            return
    _all_awake_until = asked + settings.BALIE_INGEST_AWAKE_HINT


def drain(first_id: int, *, limit: int, seconds: float, slot: int = 0) -> int:
    """The ingest worker's task: file envelope `first_id` and every envelope waiting, `limit`
    at a time, until none wait or `seconds` have passed; then clear the wake key of its slot.
    An envelope stored after the last look found the key still set and queued nothing: look
    once more, after clearing it, and wake a worker for it. Returns the number of envelopes
    handled. Drains running at the same time take different envelopes (`process_waiting`)."""
    deadline = time.monotonic() + seconds
    handled = 0
    next_id: int | None = first_id
    try:
        while next_id is not None:
            done = process_waiting(next_id, limit=limit)
            handled += len(done)
            if not done or time.monotonic() > deadline:
                break
            next_id = oldest_waiting()
    finally:
        cache.delete(wake_key(slot))
    if settings.BALIE_INGEST_AWAKE_HINT > 0 and not settings.CELERY_TASK_ALWAYS_EAGER:
        # A process that saw this key set may skip waking anyone until its hint runs out:
        # look after that, so whatever it stored meanwhile is found here.
        time.sleep(settings.BALIE_INGEST_AWAKE_HINT * 1.5)
    waiting = oldest_waiting()
    if waiting is not None:
        wake_worker(waiting, trust_hint=False)
    return handled


def oldest_waiting() -> int | None:
    return (
        Envelope.objects.filter(status=EnvelopeStatus.RECEIVED)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)
        .first()
    )


def quarantine(
    *,
    channel: str,
    source: str,
    reason: str,
    raw: bytes,
    meta: Mapping[str, Any] | None = None,
    envelope: Envelope | None = None,
) -> Quarantine:
    logger.warning("quarantined %s input from %s: %s", channel, source, reason)
    return Quarantine.objects.create(
        channel=channel,
        source=source,
        reason=reason,
        raw=raw,
        meta=dict(meta or {}),
        envelope=envelope,
    )


DONE = (EnvelopeStatus.PROCESSED, EnvelopeStatus.SKIPPED)
BURST_ROUNDS = 4


def process_envelope(
    envelope_id: int, *, force: bool = False, given: Mapping[str, Any] | None = None
) -> Envelope:
    """Parse and file one envelope. Idempotent: a processed envelope is left alone (unless
    `force`, for a replay after a fix); a failed one is quarantined with its reason.
    `given`: what the filer already knows (as for `run_pipeline`), such as the ticket of the
    live chat a message belongs to."""
    envelope = _process(envelope_id, force=force, skip_locked=False, given=given)
    assert envelope is not None
    return envelope


def _process(
    envelope_id: int, *, force: bool, skip_locked: bool, given: Mapping[str, Any] | None = None
) -> Envelope | None:
    """`process_envelope`; with `skip_locked`, an envelope another worker holds is left to
    them (None)."""
    try:
        with transaction.atomic():
            locked = (
                # of=("self",): PostgreSQL cannot lock the nullable side of the account join.
                Envelope.objects.select_for_update(of=("self",), skip_locked=skip_locked)
                .select_related("account")
                .filter(pk=envelope_id)
                .first()
            )
            if locked is None:
                if skip_locked:
                    return None
                raise Envelope.DoesNotExist(f"envelope {envelope_id} does not exist")
            if locked.status in DONE and not force:
                return locked
            connector = get_connector(locked.channel)
            parsed = connector.parse(locked)
            if not parsed:
                raise RejectedInput(_("geen bericht gevonden in de invoer"))
            receipts = [p for p in parsed if isinstance(p, DeliveryReceipt)]
            runs = [
                run_pipeline(inbound, envelope=locked, account=locked.account, **(given or {}))
                for inbound in parsed
                if isinstance(inbound, InboundMessage)
            ]
            applied, notes = (
                file_receipts(receipts, channel=locked.channel, account=locked.account)
                if receipts
                else (0, [])
            )
            filed = [r for r in runs if r.message is not None and not r.stopped]
            locked.status = EnvelopeStatus.PROCESSED if filed or applied else EnvelopeStatus.SKIPPED
            locked.reason = "; ".join(
                [
                    *(
                        r.stopped or (f"#{r.ticket.pk}: {r.thread_reason}" if r.ticket else "")
                        for r in runs
                    ),
                    *notes,
                ]
            )[:2000]
            locked.attempts += 1
            locked.processed_at = timezone.now()
            locked.save(update_fields=["status", "reason", "attempts", "processed_at"])
            return locked
    except Envelope.DoesNotExist:
        raise
    except Exception as exc:
        envelope = Envelope.objects.get(pk=envelope_id)
        reason = exc.reason if isinstance(exc, RejectedInput) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, RejectedInput):
            logger.exception("processing envelope %s failed", envelope_id)
        with transaction.atomic():
            Envelope.objects.filter(pk=envelope_id).update(
                status=EnvelopeStatus.FAILED, reason=reason[:2000], attempts=envelope.attempts + 1
            )
            if not Quarantine.objects.filter(
                envelope_id=envelope_id, replayed_at__isnull=True
            ).exists():
                quarantine(
                    channel=envelope.channel,
                    source=f"envelope {envelope_id}",
                    reason=reason,
                    raw=bytes(envelope.raw),
                    meta=envelope.meta,
                    envelope=envelope,
                )
        envelope.refresh_from_db()
        return envelope


def process_waiting(first_id: int, *, limit: int = 25) -> list[Envelope]:
    """Process envelope `first_id`, then up to `limit - 1` more that still wait (oldest
    first): one worker task files a burst of mail without a round trip to the broker per
    message. The plain envelopes are filed together (`burst.file_burst`, in a few rounds),
    then each other one in a transaction of its own, so a failure quarantines only that one. Envelopes
    another worker holds are left to it. Live events go out once, at the end."""
    from .batch import file_burst

    ids = [first_id]
    if limit > 1:
        with transaction.atomic():
            # Passing over the envelopes another drain is filing right now.
            ids += list(
                Envelope.objects.select_for_update(skip_locked=True)
                .filter(status=EnvelopeStatus.RECEIVED)
                .exclude(pk=first_id)
                .order_by("received_at", "id")
                .values_list("pk", flat=True)[: limit - 1]
            )
    done: list[Envelope] = []
    left = ids
    with realtime.coalesced():
        # A second mail of the same sender waits for the next round; what is not plain at all
        # stays behind until the rounds file nothing more.
        for _round in range(BURST_ROUNDS):
            try:
                filed, left = file_burst(left)
            except Exception:
                logger.exception("filing envelopes together failed: one by one instead")
                break
            done += filed
            if not filed or not left:
                break
        for envelope_id in left:
            envelope = _process(envelope_id, force=False, skip_locked=True)
            if envelope is not None:
                done.append(envelope)
    return done


def replay(quarantine_item: Quarantine) -> str:
    """Process a quarantined input again (after a fix). Returns the outcome."""
    if quarantine_item.envelope_id:
        envelope = process_envelope(quarantine_item.envelope_id, force=True)
        result = f"{envelope.status}: {envelope.reason}"
    else:
        envelope, _created = receive(
            channel=quarantine_item.channel,
            raw=bytes(quarantine_item.raw),
            meta=quarantine_item.meta,
        )
        envelope = process_envelope(envelope.pk)
        result = f"{envelope.status}: {envelope.reason}"
    if envelope.status in DONE:
        quarantine_item.replayed_at = timezone.now()
    quarantine_item.replay_result = result[:2000]
    quarantine_item.save(update_fields=["replayed_at", "replay_result"])
    return result
