"""The single ingestion pipeline, shared by every channel: running it, and receiving and
processing what the channels deliver.

A webhook or poller calls `receive()`: the raw delivery is stored as an `Envelope` (unique per
channel and external id) before anything is acknowledged, and processing is queued after commit.
`process_envelope()` parses it with the channel's connector and runs each `InboundMessage`
through PIPELINE (`steps.py`), whose last step files it with `tickets.actions.file_messages`.
One envelope is processed in one transaction: a failure leaves nothing half-written, and the
envelope goes to quarantine with its reason. The ingest worker runs a burst of waiting
envelopes through PIPELINE as one batch (`process_waiting`); what needs an earlier message of
the burst filed first waits for the next round.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.core import realtime
from balie.core.bulk_inserts import insert_all
from balie.core.bulk_updates import update_each
from balie.customers.identities import normalise
from balie.messaging.connectors import get_connector
from balie.messaging.connectors.base import DeliveryReceipt, InboundMessage, RejectedInput
from balie.messaging.models import ChannelAccount, Envelope, EnvelopeStatus, Quarantine

from . import chat_order
from .chat_order import FILED_IN, given_by_envelopes  # noqa: F401  (their names here too)
from .quarantined import quarantine, replay  # noqa: F401  (their names here too)
from .receipts import file_receipts
from .steps import (  # noqa: F401  (the pipeline's names, for its callers)
    PIPELINE,
    STEP_NAMES,
    Run,
    file_message,
    find_thread,
    readable_messages,
    sender_readable,
    thread_headers,
)

logger = logging.getLogger(__name__)


def run_pipeline(
    inbound: InboundMessage,
    *,
    envelope: Envelope | None = None,
    account: ChannelAccount | None = None,
    **given: Any,
) -> Run:
    """One message through PIPELINE: a batch of one. `given`: what the filer already knows
    (Run's customer, identity, ticket, by, ticket_fields, thread_reason, …), for a message an
    agent files for a customer or a chat message in its chat's ticket."""
    run = Run(inbound=inbound, envelope=envelope, account=account, **given)
    run_batch([run])
    return run


def run_batch(runs: list[Run]) -> list[Run]:
    """Run a batch of messages through PIPELINE together, each step once for all; returns
    the runs deferred, in order, to be run again once these are filed: a message whose
    sender, message id or the message it answers occurs earlier in the batch, and, once
    known, one of a customer or for a ticket that an earlier message of the batch has."""
    waiting: list[Run] = []
    order = {id(run): i for i, run in enumerate(runs)}
    live = _independent(runs, waiting, _claims, order)
    for step in PIPELINE:
        live = [run for run in live if not run.stopped]
        if step is find_thread:
            live = _independent(
                live,
                waiting,
                lambda r: ({("customer", r.customer.pk)} if r.customer else set(), set()),
                order,
            )
        elif step is file_message:
            live = _independent(
                live,
                waiting,
                lambda r: ({("ticket", r.ticket.pk)} if r.ticket else set(), set()),
                order,
            )
        if not live:
            break
        for run in live:
            run.steps.append(step.__name__)
        step(live)
    return sorted(waiting, key=lambda run: order[id(run)])


def _claims(run: Run) -> tuple[set[Any], set[Any]]:
    """What a message takes (its sender, its ids) and what it must not find taken earlier in
    the batch (the same, and the Message-IDs it answers)."""
    inbound = run.inbound
    sender = inbound.sender
    try:
        key = normalise(sender.kind, sender.value)
    except Exception:
        key = sender.value.strip().lower()
    taken: set[Any] = {("sender", sender.kind, key)}
    if inbound.external_id:
        taken.add(("external", inbound.channel, inbound.external_id))
    needs = set(taken)
    if inbound.mail.message_id:
        taken.add(("message", inbound.mail.message_id))
    needs |= {("message", mid) for _h, mid in thread_headers(inbound)}
    return taken, needs


def _independent(
    runs: list[Run],
    waiting: list[Run],
    claims: Callable[[Run], tuple[set[Any], set[Any]]],
    order: Mapping[int, int],
) -> list[Run]:
    """The runs that need nothing an earlier one takes (an earlier run of `runs`, or one
    already waiting: a later one never holds up an earlier one, which would wait for ever
    when both know their customer from the start); the others are added to `waiting`."""
    held = sorted(((order[id(run)], claims(run)[0]) for run in waiting), key=lambda h: h[0])
    taken: set[Any] = set()
    independent = []
    for run in sorted(runs, key=lambda r: order[id(r)]):
        position = order[id(run)]
        while held and held[0][0] < position:
            taken |= held.pop(0)[1]
        takes, needs = claims(run)
        if needs & taken or takes & taken:
            waiting.append(run)
        else:
            independent.append(run)
        taken |= takes
    return independent


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
    fields = _envelope_fields(
        channel=channel, raw=raw, account=account, meta=meta, external_id=external_id
    )
    try:
        if connection.in_atomic_block:
            # Inside a caller's transaction a savepoint keeps it usable after a duplicate.
            with transaction.atomic():
                envelope = Envelope.objects.create(**fields)
        else:
            # Autocommit: the INSERT alone is durable; no BEGIN and COMMIT round trips.
            envelope = Envelope.objects.create(**fields)
    except IntegrityError:
        return Envelope.objects.get(channel=channel, external_id=fields["external_id"]), False
    transaction.on_commit(lambda: wake_worker(envelope.pk))
    return envelope, True


def _envelope_fields(
    *,
    channel: str,
    raw: bytes,
    account: ChannelAccount | None = None,
    meta: Mapping[str, Any] | None = None,
    external_id: str = "",
) -> dict[str, Any]:
    """An envelope's fields for a delivery, its external id the connector's when none is given."""
    meta = dict(meta or {})
    return {
        "channel": channel,
        "account": account,
        "external_id": (external_id or get_connector(channel).envelope_id(raw, meta))[:255],
        "raw": raw,
        "meta": meta,
    }


def receive_many(deliveries: list[dict[str, Any]]) -> list[tuple[Envelope, bool]]:
    """`receive(**delivery)` for each of deliveries that arrived together (a web process's
    concurrent deliveries): stored with one INSERT and one commit, so that they share one
    write to the log on disk. A repeated delivery among them (or one already stored) makes
    them go one by one, as `receive` stores each."""
    if len(deliveries) < 2 or connection.in_atomic_block:
        return [receive(**delivery) for delivery in deliveries]
    rows = [Envelope(**_envelope_fields(**delivery)) for delivery in deliveries]
    if len({(row.channel, row.external_id) for row in rows}) == len(rows):
        try:
            stored = insert_all(rows)  # one INSERT (or COPY) in one transaction
        except IntegrityError:
            pass  # one of them was delivered before: each on its own, below
        else:
            for envelope in stored:  # past the first, a drain is awake: each costs nothing
                wake_worker(envelope.pk)
            return [(envelope, True) for envelope in stored]
    return [receive(**delivery) for delivery in deliveries]


WAKE_KEY = "ingest:awake"


def wake_key(slot: int) -> str:
    return f"{WAKE_KEY}:{slot}"


# Until when (time.monotonic()) this process knows every drain to be awake: a delivery then
# queues nothing and asks Redis nothing (two SET NX round trips were a quarter of the CPU
# of a mail server's delivery). See `wake_worker` and `drain` for why no mail is left behind.
_all_awake_until = 0.0


def wake_worker(envelope_id: int | None, *, trust_hint: bool = True) -> None:
    """Queue the ingest task for a stored envelope (None: for a live chat's answer, whose
    filing waits, `chat_order`), once per burst of mail: while
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
        if cache.add(wake_key(slot), envelope_id or 0, timeout=timeout):
            process_envelope.delay(envelope_id, slot=slot)
            return
    _all_awake_until = asked + settings.BALIE_INGEST_AWAKE_HINT


def drain(first_id: int | None, *, limit: int, seconds: float, slot: int = 0) -> int:
    """The ingest worker's task: file envelope `first_id` and every envelope waiting, `limit`
    at a time, until none wait or `seconds` have passed; then clear the wake key of its slot.
    After a burst of less than half of `limit` it waits `BALIE_INGEST_GATHER_SECONDS` before
    it looks again, so that a steady flow is filed in bursts of some size.
    An envelope stored after the last look found the key still set and queued nothing: look
    once more, after clearing it, and wake a worker for it. Returns the number of envelopes
    handled. Drains running at the same time take different envelopes (`process_waiting`).
    A live chat's answers waiting to be filed count as waiting work too; what waits only for
    something another drain holds, or for an answer to settle, is looked at again a few times
    a moment later (`IDLE_LOOKS`)."""
    deadline = time.monotonic() + seconds
    handled = 0
    next_id: int | None = first_id
    gather = float(settings.BALIE_INGEST_GATHER_SECONDS)
    idle = 0
    try:
        while True:
            done = process_waiting(next_id, limit=limit)
            count = len(done) + len(getattr(done, "answers", ()))
            handled += count
            if time.monotonic() > deadline:
                break
            if not count:
                idle += 1
                if idle > IDLE_LOOKS:
                    break
                time.sleep(max(gather, float(settings.BALIE_INGEST_ANSWER_SETTLE) / 2))
            else:
                idle = 0
                if gather > 0 and count < limit // 2:
                    # A small burst: let the mail that is on its way gather for a moment. A
                    # burst costs about the same number of statements whatever its size, so
                    # under a steady flow a few larger ones take a fraction of the worker's
                    # time that many small ones take (and leave the cores to the web process).
                    time.sleep(gather)
            next_id = oldest_waiting()
            if next_id is None and chat_order.answers_waiting() is None:
                break
    finally:
        cache.delete(wake_key(slot))
    if settings.BALIE_INGEST_AWAKE_HINT > 0 and not settings.CELERY_TASK_ALWAYS_EAGER:
        # A process that saw this key set may skip waking anyone until its hint runs out:
        # look after that, so whatever it stored meanwhile is found here.
        time.sleep(settings.BALIE_INGEST_AWAKE_HINT * 1.5)
    waiting = oldest_waiting()
    if waiting is not None:
        wake_worker(waiting, trust_hint=False)
    elif chat_order.answers_waiting() is not None:
        wake_worker(None, trust_hint=False)
    return handled


IDLE_LOOKS = 3


def oldest_waiting() -> int | None:
    return (
        Envelope.objects.filter(status=EnvelopeStatus.RECEIVED)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)
        .first()
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
    them (None). Its messages go through PIPELINE one after the other (a batch of one each)."""
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
            if given is None:
                given = given_by_envelopes([locked]).get(locked.pk)
            if given and given.get("message_id") and given.get("ticket") is not None:
                # A chat's visitor message: the answers shown before it are filed first.
                ticket = chat_order.file_answers_before(given["ticket"].pk, given["message_id"])
                if ticket is not None:
                    given = {**given, "ticket": ticket, "customer": ticket.customer}
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
            _settle(locked, runs, applied=applied, notes=notes)
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


def _settle(
    envelope: Envelope, runs: list[Run], *, applied: int = 0, notes: list[str] | None = None
) -> None:
    """The envelope's outcome from its messages' runs and the delivery receipts it held
    (`applied` of them moved a message's status; `notes` say what became of each); not saved."""
    filed = [r for r in runs if r.message is not None and not r.stopped]
    envelope.status = EnvelopeStatus.PROCESSED if filed or applied else EnvelopeStatus.SKIPPED
    envelope.reason = "; ".join(
        [
            *(
                r.stopped or (f"#{r.ticket.pk}: {r.thread_reason}" if r.ticket else "")
                for r in runs
            ),
            *(notes or []),
        ]
    )[:2000]
    envelope.attempts += 1
    envelope.processed_at = timezone.now()


class Burst(list[Envelope]):
    """The envelopes a burst did, and (`answers`) the live chat's answers it filed."""

    answers: list[int]

    def __init__(self) -> None:
        super().__init__()
        self.answers = []


def process_waiting(first_id: int | None, *, limit: int = 25) -> Burst:
    """Process envelope `first_id`, then up to `limit - 1` more that still wait (oldest
    first): one worker task files a burst of mail without a round trip to the broker per
    message. The burst goes through PIPELINE as one batch (`file_together`), in a few rounds:
    what needs an earlier message filed first waits for the next. What is left then, and an
    envelope that is not one readable message, is processed alone in a transaction of its
    own, so a failure quarantines only that one. Envelopes another worker holds are left to
    it. Live events go out once, at the end. A live chat's answers waiting to be filed are
    filed too (`first_id` None: woken for one of them)."""
    ids = [first_id] if first_id else []
    if limit > 1 or not ids:
        with transaction.atomic():
            # Passing over the envelopes another drain is filing right now.
            ids += list(
                Envelope.objects.select_for_update(skip_locked=True)
                .filter(status=EnvelopeStatus.RECEIVED)
                .exclude(pk=first_id or 0)
                .order_by("received_at", "id")
                .values_list("pk", flat=True)[: max(1, limit) - len(ids)]
            )
    done = Burst()
    left = ids
    parsed: dict[int, list[InboundMessage]] = {}  # read once, for every round it waits
    with realtime.coalesced():
        for _round in range(BURST_ROUNDS if len(ids) > 1 or first_id is None else 0):
            try:
                filed, left = file_together(left, parsed=parsed, answers=done.answers)
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
        waiting = chat_order.answers_waiting()
        if waiting is not None and waiting <= chat_order.settled_before():
            # Answers not reached above (after a visitor message filed alone): their turn.
            try:
                file_together([], answers=done.answers)
            except Exception:
                logger.exception("filing a live chat's answers failed: left for the next look")
    return done


def file_together(
    envelope_ids: list[int],
    *,
    parsed: dict[int, list[InboundMessage]] | None = None,
    answers: list[int] | None = None,
) -> tuple[list[Envelope], list[int]]:
    """Run the envelopes among `envelope_ids` (in order of arrival) through PIPELINE as one
    batch, in one transaction. Returns the envelopes done and, in order of arrival, the ids
    left: the runs deferred, and the envelopes that are not one readable message (with every
    later one of the same sender). Envelopes another worker holds, and those already done,
    are passed over. `parsed`: the messages of envelopes read in an earlier round, by id
    (the MIME of a mail that waits for the next round is not parsed again); filled in.

    A live chat's visitor messages and the answers shown among them (appended to `answers`
    as they are filed) go in their ticket's order (`chat_order`): each round files what is
    next in every such ticket, as many rounds as it takes, in this one transaction. A chat's
    envelope that has to wait for what another drain holds, or for an answer to settle, is
    neither done nor left: it stays waiting for a later burst."""
    with transaction.atomic():
        locked = {
            envelope.pk: envelope
            for envelope in Envelope.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("account")
            .filter(pk__in=envelope_ids)
        }
        readable: dict[int, InboundMessage] = {}
        alone: list[int] = []
        senders: set[Any] = set()  # what the envelopes processed alone take
        given = given_by_envelopes([e for e in locked.values() if e.status not in DONE and e.meta])

        def run_of(pk: int) -> Run:
            envelope = locked[pk]
            return Run(
                inbound=readable[pk],
                envelope=envelope,
                account=envelope.account,
                **given.get(pk, {}),
            )

        for envelope_id in envelope_ids:
            envelope = locked.get(envelope_id)
            if envelope is None or envelope.status in DONE:
                continue
            if parsed is not None and envelope_id in parsed:
                messages = parsed[envelope_id]
            else:
                messages = readable_messages(envelope)
                if parsed is not None:
                    parsed[envelope_id] = messages
            if len(messages) == 1:
                readable[envelope_id] = messages[0]
            run = run_of(envelope_id) if len(messages) == 1 else None
            if run is None or (_claims(run)[1] & senders) or not sender_readable(run):
                alone.append(envelope_id)
                readable.pop(envelope_id, None)
                for inbound in messages:
                    senders |= _claims(Run(inbound=inbound))[0]
                continue
        chat = {
            pk: (given[pk]["ticket"].pk, given[pk]["message_id"])
            for pk in readable
            if given.get(pk, {}).get("message_id")
        }
        order = chat_order.take(chat, limit=settings.BALIE_INGEST_BATCH)
        if order is not None:
            for pk, (number, _m) in chat.items():
                ticket = order.tickets[number]
                given[pk] = {**given[pk], "ticket": ticket, "customer": ticket.customer}
        position = {pk: i for i, pk in enumerate(envelope_ids)}
        mail = [pk for pk in readable if pk not in chat]
        done: list[Run] = []
        waiting: list[Run] = []
        for _round in range(len(readable) + 2):  # each round files something, or it stops
            ready, ready_chat = order.ready() if order is not None else ([], [])
            if ready:
                order.file_answers(ready)  # type: ignore[union-attr]
                if answers is not None:
                    answers += [m.pk for m in ready]
            # Mail goes in the first round alone; what it defers is left for the next call.
            batch = sorted([*(mail if _round == 0 else []), *ready_chat], key=position.__getitem__)
            if not batch:
                if ready:
                    continue
                break
            runs = [run_of(pk) for pk in batch]
            deferred = {id(run) for run in run_batch(runs)}
            filed = [run for run in runs if id(run) not in deferred]
            done += filed
            waiting += [run for run in runs if id(run) in deferred and run.envelope.pk not in chat]  # type: ignore[union-attr]
            if order is not None:
                order.done(chat[r.envelope.pk][1] for r in filed if r.envelope.pk in chat)  # type: ignore[union-attr]
            if not filed and not ready:
                break
        for run in done:
            assert run.envelope is not None
            _settle(run.envelope, [run])
        update_each(
            Envelope,
            ["status", "reason", "attempts", "processed_at"],
            [run.envelope for run in done],
        )
    left = {*alone, *(run.envelope.pk for run in waiting)}  # type: ignore[union-attr]
    return [run.envelope for run in done], [i for i in envelope_ids if i in left]  # type: ignore[misc]
