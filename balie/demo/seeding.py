"""Bulk generator of realistic demo and benchmark data (`balie seed`).

Writes customers (with e-mail and phone identities), tickets, their messages, the customer
participant and the `ticket.created` audit entry of each ticket straight into the tables:
COPY on PostgreSQL, executemany on SQLite, one transaction per batch, so that memory stays
bounded and a million tickets load in minutes. It calls no actions: nothing is sent, nothing
goes to the outbox and no live events are published.

Invariants kept: every ticket has a customer; a ticket's messages are in time order, the first
one at the ticket's creation; `last_message_at`, `last_inbound_at` and `first_response_at`
match the messages; solved and closed tickets have their times; ticket numbers are ≥ 10001 and
rise with creation time within one run. Ids of customers, identities and tickets come from the
tables' own sequences (so the application's next insert gets a fresh id); the others' ids are
left to the database.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from balie.core.bulk_tables import TableWriter, allocate_ids, bulk_load, dt

from .seed_clocks import clock_planner
from .seed_text import TextFactory, Topic, person

COMPANY = "Voorbeeld Energie"
DAY = 86_400.0

# Teams and agents of the demo company: created when missing.
DEMO_TEAMS = (
    ("Klantenservice", "klantenservice", False),
    ("Facturen", "facturen", False),
    ("Techniek", "techniek", True),
)
DEMO_AGENTS = (
    ("anna", "Anna de Vries", "klantenservice"),
    ("bram", "Bram Bakker", "techniek"),
    ("chantal", "Chantal Kuipers", "klantenservice"),
    ("dennis", "Dennis Hoekstra", "klantenservice"),
    ("esra", "Esra Demir", "klantenservice"),
    ("frank", "Frank Mulder", "facturen"),
    ("gwen", "Gwen Peeters", "facturen"),
    ("hamza", "Hamza Ouali", "facturen"),
    ("ilse", "Ilse Verbeek", "techniek"),
    ("joost", "Joost van Rijn", "techniek"),
    ("kim", "Kim Tran", "klantenservice"),
    ("lieke", "Lieke Smeets", "klantenservice"),
)

CHANNELS = (
    ("email", 42),
    ("webform", 14),
    ("phone", 12),
    ("chat", 10),
    ("whatsapp", 9),
    ("portal", 4),
    ("messenger", 2),
    ("x", 2),
    ("instagram", 1.5),
    ("sms", 1.5),
    ("letter", 1),
    ("visit", 1),
)
CHATTY = {"chat", "whatsapp", "messenger", "x", "instagram", "sms"}
EMAIL_LIKE = {"email", "webform", "portal"}
REPLY_BY_EMAIL = {"webform", "portal", "phone", "letter", "visit"}
PRIORITIES = (("low", 15), ("normal", 64), ("high", 16), ("urgent", 5))


def _status_weights(age_days: float) -> tuple[tuple[str, float], ...]:
    """Young tickets are mostly open; old ones mostly closed, with a backlog left open."""
    if age_days < 2:
        return (
            ("new", 35),
            ("open", 40),
            ("pending", 15),
            ("on_hold", 3),
            ("solved", 7),
        )
    if age_days < 14:
        return (
            ("new", 5),
            ("open", 30),
            ("pending", 20),
            ("on_hold", 5),
            ("solved", 25),
            ("closed", 15),
        )
    if age_days < 60:
        return (
            ("open", 10),
            ("pending", 8),
            ("on_hold", 4),
            ("solved", 18),
            ("closed", 60),
        )
    return (
        ("open", 3),
        ("pending", 3),
        ("on_hold", 2),
        ("solved", 2),
        ("closed", 90),
    )


def _hour_rate(t: float) -> float:
    """Relative arrival rate at epoch second t (local-ish time): office hours are busy."""
    hour = int((t + 3600) // 3600) % 24
    weekday = int((t + 3600) // DAY + 3) % 7  # 0 = Monday
    if weekday >= 5:
        return 0.3 if 9 <= hour < 20 else 0.05
    if 8 <= hour < 18:
        return 1.0
    if 18 <= hour < 23:
        return 0.4
    return 0.06


_MEAN_RATE = sum(_hour_rate(h * 3600.0) for h in range(7 * 24)) / (7 * 24)


@dataclass
class SeedReport:
    customers: int = 0
    identities: int = 0
    tickets: int = 0
    messages: int = 0
    clocks: int = 0
    first_ticket: int = 0
    last_ticket: int = 0
    seconds: float = 0.0


# --- the cast: teams and agents -----------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    team_ids: dict[str, int]
    agents_by_team: dict[str, list[tuple[int, str]]]


def ensure_staff() -> Staff:
    """The demo teams and a dozen agents, created when missing (login disabled: these are
    generated people; give one a password with `changepassword` to log in as them)."""
    from django.contrib.auth import get_user_model

    from balie.accounts.models import Agent, Team

    user_model = get_user_model()
    team_ids: dict[str, int] = {}
    for name, slug, private in DEMO_TEAMS:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            team = Team.objects.create(name=name, slug=slug, is_private=private)
        team_ids[slug] = team.pk
    agents_by_team: dict[str, list[tuple[int, str]]] = {slug: [] for slug in team_ids}
    for username, display_name, slug in DEMO_AGENTS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(username=username, email=f"{username}@voorbeeld-energie.nl")
            user.set_unusable_password()
            user.save()
        agent = Agent.objects.filter(user=user).first()
        if agent is None:
            agent = Agent.objects.create(user=user, display_name=display_name)
            agent.teams.add(team_ids[slug])
        for team_slug in agent.teams.values_list("slug", flat=True):
            if team_slug in agents_by_team:
                agents_by_team[team_slug].append((agent.pk, agent.display_name))
    for slug, members in agents_by_team.items():
        if not members:
            raise RuntimeError(f"seed: team {slug} has no agents")
    return Staff(team_ids=team_ids, agents_by_team=agents_by_team)


# --- the generator --------------------------------------------------------------------------

MESSAGE_FIELDS = (
    "ticket", "direction", "channel", "subject", "body_text", "full_text", "sender_identity",
    "sender_name", "sender_address", "author", "message_id", "in_reply_to", "recipients",
    "delivery_status", "thread_reason", "created_at",
)  # fmt: skip


def _message(
    number: int,
    direction: str,
    channel: str,
    body: str,
    at: float,
    *,
    subject: str = "",
    identity: int | None = None,
    name: str = "",
    address: str = "",
    author: int | None = None,
    message_id: str = "",
    in_reply_to: str = "",
    recipients: str = "{}",
    status: str = "",
    reason: str = "",
) -> tuple[Any, ...]:
    return (
        number, direction, channel, subject, body, body, identity, name, address, author,
        message_id, in_reply_to, recipients, status, reason, dt(at),
    )  # fmt: skip


def tier_of(customer_id: int) -> str:
    bucket = (customer_id * 2654435761) % 1000
    return "vip" if bucket < 8 else ("business" if bucket < 70 else "standard")


class Generator:
    def __init__(self, *, staff: Staff, messages_per_ticket: float, seed: int, now: float) -> None:
        from balie.customers.models import Customer, Identity
        from balie.tickets.models import Activity, Message, Participant, Ticket

        self.rng = random.Random(seed)
        self.text = TextFactory(random.Random(seed + 1))
        self.staff = staff
        self.messages_per_ticket = max(1.0, messages_per_ticket)
        self.now = now
        self.span = 365 * DAY
        self.channels = [c for c, _w in CHANNELS]
        self.channel_cum = _cumulative([w for _c, w in CHANNELS])
        self.sla = clock_planner()
        self.customer_model, self.identity_model = Customer, Identity
        self.customers = TableWriter(
            Customer,
            ["id", "number", "name", "language", "tier", "contract_numbers", "created_at",
             "updated_at"],
        )  # fmt: skip
        self.identities = TableWriter(
            Identity,
            ["id", "customer", "kind", "value", "display_name", "verified", "created_at",
             "updated_at"],
        )  # fmt: skip
        self.tickets = TableWriter(
            Ticket,
            ["id", "subject", "status", "priority", "type", "channel", "team", "assignee",
             "customer", "language", "last_message_at", "last_inbound_at", "first_response_at",
             "solved_at", "closed_at", "created_at", "updated_at",
             *(["sla_policy"] if self.sla else [])],
        )  # fmt: skip
        self.messages = TableWriter(Message, MESSAGE_FIELDS)
        self.participants = TableWriter(Participant, ["ticket", "kind", "value", "role"])
        self.activities = TableWriter(
            Activity, ["ticket", "kind", "actor_label", "data", "created_at"]
        )
        self.clock_count = 0

    # customers -----------------------------------------------------------------------------
    def add_customers(self, count: int) -> tuple[int, list[int], list[int]]:
        """Customers with an e-mail identity each (and a phone for a third of them). Returns
        (identities written, customer ids, their e-mail identity ids)."""
        rng = self.rng
        ids = allocate_ids(self.customer_model, count)
        identity_ids = iter(allocate_ids(self.identity_model, count * 2))
        customers, identities, email_ids = [], [], []
        for cid in ids:
            _first, name, email = person(cid)
            stamp = dt(self.now - self.span - rng.uniform(30, 1500) * DAY)
            contracts = json.dumps([f"C{rng.randint(10**6, 10**7 - 1)}"])
            customers.append(
                (cid, f"K{100000 + cid}", name, "nl", tier_of(cid), contracts, stamp, stamp)
            )
            email_ids.append(next(identity_ids))
            verified = rng.random() < 0.4
            identities.append((email_ids[-1], cid, "email", email, name, verified, stamp, stamp))
            if rng.random() < 0.33:
                phone = f"+316{(cid * 7 + 10_000_000) % 100_000_000:08d}"
                identities.append(
                    (next(identity_ids), cid, "phone", phone, name, False, stamp, stamp)
                )
        self.customers.write(customers)
        self.identities.write(identities)
        return len(identities), ids, email_ids

    # tickets -------------------------------------------------------------------------------
    def message_count(self) -> int:
        mean = self.messages_per_ticket
        return max(1, min(12, round(self.rng.gammavariate(2.0, mean / 2.0))))

    def gap(self, mean_hours: float) -> float:
        return self.rng.expovariate(1.0 / (mean_hours * 3600.0)) + 60.0

    def directions(self, status: str) -> list[str]:
        """Customer and agent take turns; "new" tickets have no answer yet, "waiting for the
        customer" ends with the agent, "open" mostly with the customer."""
        rng = self.rng
        if status == "new":
            return ["inbound"] * (1 if rng.random() < 0.7 else self.message_count())
        turns = ["inbound" if i % 2 == 0 else "outbound" for i in range(self.message_count())]
        if status == "pending" and turns[-1] == "inbound":
            turns.append("outbound")
        elif status == "open" and turns[-1] == "outbound" and rng.random() < 0.7:
            turns.append("inbound")
        return turns

    def add_tickets(
        self, numbers: Sequence[int], created: Sequence[float], customers: Sequence[int],
        email_identity: dict[int, int],
    ) -> int:  # fmt: skip
        rng, text = self.rng, self.text
        tickets: list[tuple[Any, ...]] = []
        messages: list[tuple[Any, ...]] = []
        participants: list[tuple[Any, ...]] = []
        activities: list[tuple[Any, ...]] = []
        clocks: list[tuple[Any, ...]] = []
        for number, t0 in zip(numbers, created, strict=True):
            cid = customers[int(len(customers) * rng.random() ** 1.6)]
            first, name, email = person(cid)
            topic: Topic = text.topic()
            channel = self.channels[_pick(rng, self.channel_cum)]
            ticket_type = _weighted(rng, topic.types)
            priority = _weighted(rng, PRIORITIES)
            if ticket_type == "incident" and rng.random() < 0.5:
                priority = "high" if rng.random() < 0.7 else "urgent"
            slug = topic.team if rng.random() < 0.92 else "klantenservice"
            team_id = self.staff.team_ids[slug] if rng.random() > 0.03 else None
            agents = self.staff.agents_by_team[slug]
            status = _weighted(rng, _status_weights((self.now - t0) / DAY))
            turns = self.directions(status)
            assignee = None
            if "outbound" in turns or (status != "new" and rng.random() < 0.93):
                assignee = rng.choice(agents)
            subject = text.subject(topic)
            chatty = channel in CHATTY
            mail_in = channel in EMAIL_LIKE
            reply_channel = "email" if channel in REPLY_BY_EMAIL else channel
            domain = email.rpartition("@")[2]
            t = last = t0
            last_inbound = first_response = None
            previous = ""  # Message-ID of the last mail, for In-Reply-To
            for index, direction in enumerate(turns):
                if index:
                    t += self.gap(20.0 if direction == "inbound" else 5.0)
                    if t > self.now - 60:
                        break
                last = t
                if direction == "inbound":
                    last_inbound = t
                    body = text.customer_message(
                        topic, first=first, name=name, chatty=chatty, follow_up=index > 0
                    )
                    message_id = f"seed.{number}.{index}@{domain}" if channel == "email" else ""
                    messages.append(_message(
                        number, "inbound", channel, body, t,
                        subject=subject if mail_in else "",
                        identity=email_identity[cid] if mail_in else None, name=name,
                        address=email if mail_in else "", message_id=message_id,
                        in_reply_to=previous, status="received",
                        reason="nieuw ticket" if index == 0 else "",
                    ))  # fmt: skip
                    previous = message_id or previous
                    continue
                agent_id, agent_name = assignee or rng.choice(agents)
                first_response = first_response or t
                if rng.random() < 0.08:
                    messages.append(_message(
                        number, "note", channel, text.note(), t - 30, name=agent_name,
                        author=agent_id,
                    ))  # fmt: skip
                body = text.agent_message(
                    topic, customer_first=first, customer_name=name, agent=agent_name,
                    company=COMPANY, chatty=chatty,
                )  # fmt: skip
                is_mail = reply_channel == "email"
                message_id = (
                    f"balie.{number}.{rng.getrandbits(48):x}@voorbeeld-energie.nl"
                    if is_mail
                    else ""
                )
                messages.append(_message(
                    number, "outbound", reply_channel, body, t,
                    subject=f"Re: {subject} [#{number}]" if is_mail else "", name=agent_name,
                    author=agent_id, message_id=message_id, in_reply_to=previous,
                    recipients=json.dumps({"to": [email], "cc": []}) if is_mail else "{}",
                    status="delivered",
                ))  # fmt: skip
                previous = message_id or previous
            solved_at = closed_at = None
            if status in ("solved", "closed"):
                solved_at = min(last + self.gap(6.0), self.now - 30)
                closed_at = solved_at + 7 * DAY if status == "closed" else None
                if closed_at is not None and closed_at > self.now - 10:
                    status, closed_at = "solved", None
            plan = None
            if self.sla and status not in ("solved", "closed"):
                plan = self.sla.plan(
                    channel=channel, priority=priority, type=ticket_type, tier=tier_of(cid),
                    team_id=team_id,
                )  # fmt: skip
            if plan is not None and self.sla is not None:
                kinds = [("resolution", t0)]
                if first_response is None:
                    kinds.append(("first_response", t0))
                elif last_inbound and last_inbound > first_response and status == "open":
                    kinds.append(("next_response", last_inbound))
                clocks += self.sla.clocks(number, plan, status=status, kinds=kinds)
            stamp = dt(t0)
            tickets.append((
                number, subject, status, priority, ticket_type, channel, team_id,
                assignee[0] if assignee else None, cid, "nl", dt(last),
                dt(last_inbound) if last_inbound else None,
                dt(first_response) if first_response else None,
                dt(solved_at) if solved_at else None, dt(closed_at) if closed_at else None,
                stamp, dt(max(last, solved_at or 0, closed_at or 0)),
                *([plan[0].pk if plan else None] if self.sla else []),
            ))  # fmt: skip
            participants.append((number, "customer", str(cid), "customer"))
            data = json.dumps({"channel": channel, "subject": subject, "seeded": True})
            activities.append((number, "ticket.created", name, data, stamp))
        self.tickets.write(tickets)
        self.messages.write(messages)
        self.participants.write(participants)
        self.activities.write(activities)
        if self.sla:
            self.sla.writer.write(clocks)
            self.clock_count += len(clocks)
        return len(messages)

    def arrival_times(self, count: int) -> Iterator[float]:
        """`count` creation times over the last year, rising, busier in office hours: arrival
        i sits at the (i + u)/count quantile of the cumulative hourly rate."""
        end = self.now - 120
        start = end - self.span
        hours = int(self.span // 3600)
        total = sum(_hour_rate(start + h * 3600.0) for h in range(hours)) * 3600.0
        hour, mass_before = 0, 0.0
        rate = _hour_rate(start)
        for i in range(count):
            target = (i + self.rng.random()) / count * total
            while hour < hours - 1 and mass_before + rate * 3600.0 < target:
                mass_before += rate * 3600.0
                hour += 1
                rate = _hour_rate(start + hour * 3600.0)
            yield min(start + hour * 3600.0 + (target - mass_before) / rate, end)


def _cumulative(weights: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rng: random.Random, cum: Sequence[float]) -> int:
    x = rng.random() * cum[-1]
    for i, c in enumerate(cum):
        if x < c:
            return i
    return len(cum) - 1


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    x = rng.random() * sum(w for _v, w in pairs)
    for value, w in pairs:
        x -= w
        if x < 0:
            return value
    return pairs[-1][0]


def seed(
    *,
    tickets: int,
    messages_per_ticket: float = 3.0,
    customers: int | None = None,
    batch: int = 10_000,
    random_seed: int = 20240601,
    drop_indexes: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    """Generate `tickets` tickets (about `messages_per_ticket` messages each) for `customers`
    new customers (default: one per three tickets)."""
    from balie.tickets.models import Activity, Message, Participant, Ticket

    started = time.monotonic()
    report = SeedReport()
    customers = customers if customers is not None else max(1, math.ceil(tickets / 3))
    batch = max(100, batch)
    gen = Generator(
        staff=ensure_staff(), messages_per_ticket=messages_per_ticket, seed=random_seed,
        now=time.time(),
    )  # fmt: skip
    models_ = [Ticket, Message, Participant, Activity]
    if gen.sla:
        models_.append(gen.sla.model)
    tables = [m._meta.db_table for m in models_]
    if drop_indexes is None:
        drop_indexes = tickets >= 100_000

    def say(line: str) -> None:
        if progress:
            progress(f"{line} ({time.monotonic() - started:.0f} s)")

    with bulk_load(tables, drop_indexes=drop_indexes, progress=say):
        customer_ids: list[int] = []
        email_identity: dict[int, int] = {}
        while len(customer_ids) < customers:
            size = min(max(batch, 20_000), customers - len(customer_ids))
            with transaction.atomic():
                written, ids, email_ids = gen.add_customers(size)
            customer_ids.extend(ids)
            email_identity.update(zip(ids, email_ids, strict=True))
            report.customers += size
            report.identities += written
            say(f"klanten {report.customers}/{customers}")
        times = gen.arrival_times(tickets)
        while report.tickets < tickets:
            size = min(batch, tickets - report.tickets)
            created = [next(times) for _ in range(size)]
            with transaction.atomic():
                ids = allocate_ids(Ticket, size, minimum=10_001)
                report.messages += gen.add_tickets(ids, created, customer_ids, email_identity)
            report.first_ticket = report.first_ticket or ids[0]
            report.last_ticket = ids[-1]
            report.tickets += size
            say(f"tickets {report.tickets}/{tickets}, berichten {report.messages}")
        if drop_indexes:
            say("indexen opbouwen")
    if gen.sla and gen.clock_count:
        say(f"SLA-klokken {gen.clock_count}: deadlines berekenen")
        report.clocks = gen.clock_count
        gen.sla.finish()
    report.seconds = time.monotonic() - started
    return report
