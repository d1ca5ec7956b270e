"""Raw e-mails as a mail server would deliver them: new questions from new and known
customers, and replies to existing tickets (subject token), in the generator's Dutch."""

from __future__ import annotations

import random
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from balie.demo.seed_text import TextFactory, person

TO = "klantenservice@voorbeeld-energie.nl"


def raw_mails(
    count: int, *, run: str, reply_to: Sequence[tuple[int, int, str]], seed: int = 7
) -> list[bytes]:
    """`count` distinct messages (unique Message-IDs per `run`). About one in five answers a
    ticket from `reply_to` (ticket number, customer id, the customer's address); the rest open
    new tickets, half of them from customers who wrote before."""
    from datetime import UTC, datetime

    rng = random.Random(seed)
    text = TextFactory(random.Random(seed + 1), pool=200)
    now = format_datetime(datetime.now(UTC))
    known = [(customer, address) for _n, customer, address in reply_to]
    mails = []
    for i in range(count):
        topic = text.topic()
        roll = rng.random()
        if reply_to and roll < 0.2:
            number, customer, address = rng.choice(reply_to)
            subject = f"Re: {text.subject(topic)} [#{number}]"
        elif known and roll < 0.6:
            customer, address = rng.choice(known)
            subject = text.subject(topic)
        else:
            customer, address = 50_000_000 + i, ""
            subject = text.subject(topic)
        first, name, generated = person(customer)
        address = address or generated
        message = EmailMessage()
        message["From"] = formataddr((name, address))
        message["To"] = TO
        message["Subject"] = subject
        message["Date"] = now
        message["Message-ID"] = f"<bench.{run}.{i}@{address.rpartition('@')[2]}>"
        message.set_content(
            text.customer_message(topic, first=first, name=name, chatty=False, follow_up=False)
        )
        mails.append(message.as_bytes())
    return mails


def ticket_bodies(
    count: int, *, run: str, reply_to: Sequence[tuple[int, int, str]], seed: int = 13
) -> list[bytes]:
    """`count` JSON bodies for `POST /api/v1/tickets`: a contact an integration files for a
    customer given by e-mail address (half of them customers who wrote before, found; the
    others new, made), in the generator's Dutch."""
    import json

    rng = random.Random(seed)
    text = TextFactory(random.Random(seed + 1), pool=200)
    known = [(customer, address) for _n, customer, address in reply_to]
    bodies = []
    for i in range(count):
        topic = text.topic()
        if known and rng.random() < 0.5:
            customer, address = rng.choice(known)
        else:
            customer, address = 60_000_000 + i, ""
        first, name, generated = person(customer)
        address = address or generated.replace("@", f".{run}@", 1)
        body = {
            "identity": {"kind": "email", "value": address},
            "name": name,
            "subject": text.subject(topic),
            "text": text.customer_message(
                topic, first=first, name=name, chatty=False, follow_up=False
            ),
            "channel": "email",
        }
        bodies.append(json.dumps(body).encode())
    return bodies
