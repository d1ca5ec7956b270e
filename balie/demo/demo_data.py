"""The demo company for `balie load_demo` and `make run`: Voorbeeld Energie, a fictional Dutch
energy supplier, with its teams, agents, customers and about two hundred tickets of the last
two months.

Everything is created through the actions (customers, tickets, inbound messages, notes,
updates), with the clock set back to when each step happened. Agent replies are the exception:
`add_reply` would put them in the outbox and send them, so the demo writes them as messages
that were already sent, with the same fields and audit entry as a real reply. Loading twice
changes nothing: what exists is found and kept.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from balie.accounts.actions import create_api_token
from balie.accounts.models import Agent, ApiToken, Role, Team, TokenScope
from balie.core import realtime
from balie.core.actors import SYSTEM
from balie.customers.actions import create_customer
from balie.customers.models import Customer, Identity, IdentityKind, Tier
from balie.intake.agent_filing import log_contact
from balie.sla import actions as sla_actions
from balie.sla.escalations import settle_past_deadlines
from balie.tickets import events as ticket_events
from balie.tickets.actions import (
    add_note,
    create_ticket,
    new_message_id,
    outbound_subject,
    reply_channel,
    reply_recipients,
    update_ticket,
)
from balie.tickets.events import emit
from balie.tickets.models import Channel, DeliveryStatus, Direction, Message, Status, Ticket

from . import demo_conversations as talk
from .demo_accounts import (
    DEMO_MAILBOX,
    end_past_chats,
    ensure_chat_account,
    ensure_mailbox,
    ensure_phone_line,
)
from .demo_messages import customer_message
from .seed_lifecycle import clock_at, settle_past_lifecycle

DEMO_PASSWORD = "balie-demo"
DEMO_TOKEN_NAME = "Demo (make run)"
DEMO_INGEST_TOKEN_NAME = "Demo-mailserver (make run)"
TICKET_COUNT = 200
CUSTOMER_COUNT = 50
DAYS = 60
SEED = 20240601

TEAMS = (
    ("Klantenservice", "klantenservice", False, DEMO_MAILBOX),
    ("Facturen", "facturen", False, "facturen@voorbeeld-energie.nl"),
    ("Techniek", "techniek", True, "techniek@voorbeeld-energie.nl"),
)
AGENTS = (
    ("anna", "Anna de Vries", Role.ADMIN, ("klantenservice", "facturen", "techniek")),
    ("bram", "Bram Bakker", Role.TEAM_LEAD, ("klantenservice", "facturen")),
    ("daan", "Daan Smit", Role.AGENT, ("klantenservice",)),
    ("eva", "Eva Mulder", Role.AGENT, ("facturen",)),
    ("fleur", "Fleur de Boer", Role.AGENT, ("techniek", "klantenservice")),
)
FIRST_NAMES = (
    "Sanne",
    "Lotte",
    "Emma",
    "Julia",
    "Sophie",
    "Lieke",
    "Femke",
    "Iris",
    "Noor",
    "Roos",
    "Maaike",
    "Ingrid",
    "Marieke",
    "Hanneke",
    "Wilma",
    "Joost",
    "Pieter",
    "Thijs",
    "Ruben",
    "Jeroen",
    "Sven",
    "Bas",
    "Koen",
    "Niels",
    "Wouter",
    "Gerrit",
    "Henk",
    "Kees",
    "Jan",
    "Mohamed",
    "Yusuf",
    "Fatima",
    "Priya",
    "Rik",
    "Stijn",
)
LAST_NAMES = (
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Graaf",
    "Mulder",
    "de Wit",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Ruiter",
    "Janssen",
    "van der Linden",
    "Kok",
    "Prins",
    "Postma",
    "Hoekstra",
    "El Amrani",
    "Yilmaz",
    "Kuipers",
    "Veenstra",
)
MAIL_DOMAINS = ("example.nl", "mail.example.nl", "post.example.nl")
CHANNEL_WEIGHTS = (
    (Channel.EMAIL, 44),
    (Channel.WEBFORM, 18),
    (Channel.PHONE, 16),
    (Channel.WALK_IN, 5),
    (Channel.LETTER, 5),
    (Channel.CHAT, 6),
    (Channel.WHATSAPP, 6),
)


@dataclass
class DemoResult:
    created: bool
    logins: list[tuple[str, str, str]]
    token: str | None
    counts: dict[str, int] = field(default_factory=dict)
    ingest_token: str | None = None


def demo_exists() -> bool:
    return Identity.objects.filter(kind=IdentityKind.EMAIL, value=_customer_email(0)).exists()


def load_demo(*, token_file: Path | None = None) -> DemoResult:
    """Create the demo company, or find it when it is there; returns the logins and, when it
    is known, the raw demo API token."""
    rng = random.Random(SEED)
    with mock.patch.object(realtime, "publish", lambda *args, **kwargs: None):
        with transaction.atomic():
            teams = {
                slug: _ensure_team(name, slug, private, email)
                for name, slug, private, email in TEAMS
            }
            agents = {
                username: _ensure_agent(username, name, role, [teams[t] for t in team_slugs])
                for username, name, role, team_slugs in AGENTS
            }
            account = ensure_mailbox(teams["klantenservice"])
            ensure_phone_line(teams["klantenservice"])
            ensure_chat_account()
            created = not demo_exists()
            if created:
                customers = [_create_customer(rng, i) for i in range(CUSTOMER_COUNT)]
                _create_tickets(rng, customers, teams, agents, account)
                end_past_chats()
                # Two months of tickets made at once: their past deadlines are recorded as
                # passed, so the first SLA check mails the team leads nothing old.
                settle_past_deadlines(by=SYSTEM)
                # ... and the lifecycle's reminders, notices and closing of the past taken then.
                settle_past_lifecycle(now=timezone.now())
                _create_automation(agents["anna"])
        token = ensure_demo_token(agents["anna"], token_file)
        ingest_token = ensure_demo_token(
            agents["anna"],
            token_file.with_name("demo-ingest-token.txt") if token_file else None,
            name=DEMO_INGEST_TOKEN_NAME,
            scope=TokenScope.INGEST,
        )
    logins = [(u, DEMO_PASSWORD, str(Role(role).label)) for u, _n, role, _t in AGENTS]
    counts = {
        "teams": Team.objects.count(),
        "agents": Agent.objects.count(),
        "customers": Customer.objects.count(),
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
    }
    return DemoResult(
        created=created, logins=logins, token=token, counts=counts, ingest_token=ingest_token
    )


def ensure_demo_token(
    admin: Agent,
    token_file: Path | None,
    *,
    name: str = DEMO_TOKEN_NAME,
    scope: str = TokenScope.READ_WRITE,
) -> str | None:
    """The raw demo token: read back from `token_file` when it still works (with this scope),
    otherwise a new token written there (mode 600). Without a file a token is created only
    once, and its raw value is known only on that first run."""
    if token_file is not None and token_file.exists():
        raw = token_file.read_text().strip()
        found = ApiToken.objects.find(raw) if raw else None
        if found is not None and found.scope == scope:
            return raw
    elif token_file is None and admin.api_tokens.filter(name=name).exists():
        return None
    _token, raw = create_api_token(admin, name=name, scope=scope, by=SYSTEM)
    if token_file is not None:
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.touch(mode=0o600, exist_ok=True)
        token_file.chmod(0o600)
        token_file.write_text(raw + "\n")
    return raw


def _ensure_team(name: str, slug: str, private: bool, email: str) -> Team:
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        team = Team.objects.create(name=name, slug=slug, is_private=private, email=email)
    return team


def _ensure_agent(username: str, name: str, role: str, teams: list[Team]) -> Agent:
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username,
            email=f"{username}@voorbeeld-energie.nl",
            password=DEMO_PASSWORD,
            first_name=name.split()[0],
            last_name=name.split(" ", 1)[1],
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
    agent = Agent.objects.filter(user=user).first()
    if agent is None:
        agent = Agent.objects.create(user=user, display_name=name, role=role)
        agent.teams.set(teams)
    return agent


def _name(i: int) -> tuple[str, str]:
    first = FIRST_NAMES[(i * 7) % len(FIRST_NAMES)]
    last = LAST_NAMES[(i * 11 + i // len(LAST_NAMES)) % len(LAST_NAMES)]
    return first, last


def _customer_email(i: int) -> str:
    first, last = _name(i)
    local = f"{first}.{last}".lower().replace(" ", "")
    return f"{local}{'' if i < 30 else i}@{MAIL_DOMAINS[i % len(MAIL_DOMAINS)]}"


def _create_customer(rng: random.Random, i: int) -> Customer:
    first, last = _name(i)
    identities = [(IdentityKind.EMAIL, _customer_email(i))]
    if rng.random() < 0.6:
        identities.append((IdentityKind.PHONE, f"+316{rng.randint(10_000_000, 99_999_999)}"))
    tier = Tier.BUSINESS if i % 10 == 3 else Tier.VIP if i % 25 == 7 else Tier.STANDARD
    name = f"{first} {last}"
    customer = create_customer(name=name, tier=tier, identities=identities, by=SYSTEM)
    contracts = [f"VE{rng.randint(10_000_000, 99_999_999)}"]
    if rng.random() < 0.2:
        contracts.append(f"VE{rng.randint(10_000_000, 99_999_999)}")
    Customer.objects.filter(pk=customer.pk).update(contract_numbers=contracts)
    customer.contract_numbers = contracts
    return customer


def _slots(rng: random.Random, customer: Customer, now: datetime) -> dict[str, str]:
    when = now + timedelta(days=rng.randint(5, 45))
    return {
        "bedrag": f"{rng.randint(40, 900)},{rng.randint(0, 99):02d}",
        "nieuw_bedrag": str(rng.choice((95, 110, 125, 140, 160, 185, 210))),
        "maand": rng.choice(talk.MONTHS),
        "datum": f"{when.day} {talk.MONTHS[when.month - 1]}",
        "stand_normaal": str(rng.randint(10_000, 48_000)),
        "stand_dal": str(rng.randint(8_000, 39_000)),
        "gas": str(rng.randint(2_000, 14_000)),
        "plaats": rng.choice(talk.PLACES),
        "straat": rng.choice(talk.STREETS),
        "huisnummer": str(rng.randint(1, 180)),
        "storingscode": rng.choice(("E27", "F1", "A09", "H04")),
        "panelen": str(rng.randint(6, 24)),
        "termijnen": str(rng.choice((3, 4, 6, 10, 12))),
        "vergoeding": str(rng.choice((15, 25, 35, 50))),
        "voornaam": customer.name.split()[0],
    }


def _fill(text: str, slots: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: slots.get(m.group(1), m.group(0)), text)


def _customer_text(rng: random.Random, body: str, customer: Customer) -> str:
    return (
        f"{rng.choice(talk.GREETINGS)}\n\n{body}\n\n{rng.choice(talk.SIGN_OFFS)}\n{customer.name}\n"
        f"Klantnummer {customer.number}"
    )


def _agent_text(rng: random.Random, body: str, customer: Customer, agent: Agent) -> str:
    return (
        f"Beste {customer.name},\n\n{rng.choice(talk.THANKS)} {body}\n\n"
        f"{rng.choice(talk.CLOSINGS)}\n\nMet vriendelijke groet,\n"
        f"{agent.display_name.split()[0]}\nKlantenservice Voorbeeld Energie"
    )


def _final_status(rng: random.Random, age_days: float) -> str:
    if age_days > 21:
        return rng.choices((Status.CLOSED, Status.SOLVED, Status.PENDING), (55, 40, 5))[0]
    if age_days > 7:
        return rng.choices(
            (Status.SOLVED, Status.CLOSED, Status.PENDING, Status.ON_HOLD, Status.OPEN),
            (40, 15, 20, 10, 15),
        )[0]
    return rng.choices(
        (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED),
        (30, 35, 15, 5, 15),
    )[0]


def _create_tickets(rng, customers, teams, agents, account) -> None:
    now = timezone.now()
    starts = []
    for _i in range(TICKET_COUNT):
        day = now - timedelta(days=rng.uniform(0.05, DAYS))
        start = day.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59), second=0)
        starts.append(min(start, now - timedelta(minutes=30)))
    for n, start in enumerate(sorted(starts)):
        _create_ticket(rng, n, start, now, rng.choice(customers), teams, agents, account)


def _create_ticket(rng, n, start, now, customer, teams, agents, account) -> None:
    topic = rng.choice(talk.TOPICS)
    team = teams[topic.team]
    team_agents = [a for a in agents.values() if team.pk in a.team_ids()]
    agent = rng.choice(team_agents)
    slots = _slots(rng, customer, start)
    channel = rng.choices([c for c, _w in CHANNEL_WEIGHTS], [w for _c, w in CHANNEL_WEIGHTS])[0]
    phone = (
        customer.identities.filter(kind=IdentityKind.PHONE).values_list("value", flat=True).first()
    )
    email = customer.primary_email
    if channel == Channel.WHATSAPP and not phone:
        channel = Channel.EMAIL
    subject = _fill(rng.choice(topic.subjects), slots)
    opening = _fill(rng.choice(topic.openings), slots)
    priority = rng.choices(("low", "normal", "high", "urgent"), (15, 60, 20, 5))[0]
    if topic.key == "storing":
        priority = rng.choice(("high", "urgent"))
    age_days = (now - start).total_seconds() / 86400
    status = _final_status(rng, age_days)
    moments = _moments(rng, start, now)

    with clock_at(next(moments)):
        if channel in (Channel.PHONE, Channel.WALK_IN, Channel.LETTER):
            intro = {
                Channel.PHONE: "Klant belde: ",
                Channel.WALK_IN: "Klant aan de balie: ",
                Channel.LETTER: "Brief ontvangen: ",
            }[channel]
            ticket = log_contact(
                customer,
                by=agent,
                channel=channel,
                subject=subject,
                text=intro + opening,
                team=team,
                type=topic.type,
                priority=priority,
            )
        else:
            ticket = create_ticket(
                customer=customer,
                subject=subject,
                channel=channel,
                by=SYSTEM,
                team=team,
                priority=priority,
                type=topic.type,
                account=account if channel == Channel.EMAIL else None,
            )
            customer_message(
                ticket,
                customer,
                channel,
                subject,
                _customer_text(rng, opening, customer),
                f"demo-{n}-0",
                email,
                phone,
            )
    if status == Status.NEW:
        update_ticket(ticket, by=SYSTEM, tags=list(topic.tags))
        return
    if rng.random() < 0.45:
        with clock_at(next(moments)):
            add_note(ticket, by=agent, text=_fill(rng.choice(topic.notes), slots))
    with clock_at(next(moments)):
        _sent_reply(
            ticket,
            agent,
            _agent_text(rng, _fill(rng.choice(topic.replies), slots), customer, agent),
        )
    if rng.random() < 0.55:
        with clock_at(next(moments)):
            if ticket.status == Status.OPEN and rng.random() < 0.5:
                update_ticket(ticket, by=agent, status=Status.PENDING)
        with clock_at(next(moments)):
            follow = _customer_text(rng, _fill(rng.choice(topic.follow_ups), slots), customer)
            follow_channel = (
                channel
                if channel in (Channel.EMAIL, Channel.CHAT, Channel.WHATSAPP)
                else Channel.EMAIL
            )
            customer_message(
                ticket,
                customer,
                follow_channel,
                "Re: " + subject,
                follow,
                f"demo-{n}-1",
                email,
                phone,
            )
        if status != Status.OPEN or rng.random() < 0.5:
            with clock_at(next(moments)):
                _sent_reply(
                    ticket,
                    agent,
                    _agent_text(rng, _fill(rng.choice(topic.replies), slots), customer, agent),
                )
    tags = list(topic.tags)
    if priority == "urgent":
        tags.append("spoed")
    if rng.random() < 0.1:
        tags.append("terugbellen")
    with clock_at(next(moments)):
        update_ticket(ticket, by=agent, status=status, tags=tags, assignee=agent)


DEMO_MACROS = [
    (
        "Voorschot aangepast",
        "nl",
        "Beste {{ klant.naam }},\n\nWe hebben uw maandelijkse voorschot aangepast aan uw verwachte "
        "verbruik. U ziet het nieuwe bedrag op uw volgende factuur.\n\nMet vriendelijke groet,\n"
        "{{ medewerker.naam }}\n{{ bedrijf.naam }}",
        "pending",
        ["voorschot"],
    ),
    (
        "Meterstanden opvragen",
        "nl",
        "Beste {{ klant.naam }},\n\nOm uw vraag (ticket #{{ ticket.nummer }}) te beantwoorden "
        "hebben we uw actuele meterstanden nodig. Wilt u een foto van uw meter sturen als antwoord "
        "op deze e-mail?\n\nMet vriendelijke groet,\n{{ medewerker.naam }}",
        "pending",
        ["meterstand"],
    ),
    (
        "Advance payment adjusted",
        "en",
        "Dear {{ customer.name }},\n\nWe have adjusted your monthly advance payment to your "
        "expected usage. Your next invoice shows the new amount.\n\nKind regards,\n"
        "{{ agent.name }}\n{{ company.name }}",
        "pending",
        ["voorschot"],
    ),
]


def _create_automation(admin: Agent) -> None:
    """A few canned replies and one rule, so the demo shows what they do."""
    from balie.automation.actions import create_rule, save_macro

    for name, language, body, status, tags in DEMO_MACROS:
        save_macro(
            None, by=admin, name=name, language=language, body=body, status=status, add_tags=tags
        )
    create_rule(
        by=admin,
        name="Klachten herkennen",
        event="ticket.created",
        conditions=[{"field": "subject", "op": "contains", "value": "klacht"}],
        actions=[
            {"type": "set_field", "field": "type", "value": "complaint"},
            {"type": "add_tag", "tag": "klacht"},
        ],
    )


def _moments(rng: random.Random, start: datetime, now: datetime) -> Iterator[datetime]:
    """Later and later moments after `start`, never reaching `now`."""
    moment = start
    yield moment
    while True:
        step = timedelta(minutes=rng.randint(20, 26 * 60))
        moment = moment + min(step, (now - moment) / 4)
        yield moment


def _sent_reply(ticket: Ticket, agent: Agent, text: str) -> Message:
    """An agent's answer that was sent and delivered: the message add_reply would write, with
    its audit entry, but without an outbox row (nothing of the demo is ever sent)."""
    channel = reply_channel(ticket)
    if channel == Channel.EMAIL:
        to, cc = reply_recipients(ticket)
    else:  # on WhatsApp or in a chat: to where the customer wrote from on that channel
        wrote_from = (
            ticket.messages.filter(direction=Direction.INBOUND, channel=channel)
            .exclude(sender_address="")
            .values_list("sender_address", flat=True)
            .last()
        )
        to, cc = ([wrote_from] if wrote_from else []), []
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        direction=Direction.OUTBOUND,
        channel=channel,
        subject=outbound_subject(ticket),
        body_text=text,
        full_text=text,
        author=agent,
        sender_name=agent.display_name,
        message_id=new_message_id(ticket) if channel == Channel.EMAIL else "",
        recipients={"to": to, "cc": cc},
        delivery_status=DeliveryStatus.READ if channel == Channel.WHATSAPP else DeliveryStatus.SENT,
        created_at=now,
    )
    fields = ["last_message_at", "updated_at"]
    ticket.last_message_at = now
    if not ticket.first_response_at:
        ticket.first_response_at = now
        fields.append("first_response_at")
    if ticket.status == Status.NEW:
        ticket.status = Status.OPEN
        fields.append("status")
    ticket.save(update_fields=fields)
    sla_actions.record_agent_response(ticket, by=agent, at=now)
    if ticket.assignee_id is None:
        update_ticket(ticket, by=agent, assignee=agent)
    emit(
        ticket,
        ticket_events.MESSAGE_SENT,
        by=agent,
        data={"message": message.pk, "channel": channel, "to": to, "cc": cc, "demo": True},
    )
    return message
