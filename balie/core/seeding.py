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
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from .seed_text import TextFactory, Topic, person

COMPANY = "Voorbeeld Energie"
DAY = 86_400.0

# Teams and agents of the demo company: created when missing.
DEMO_TEAMS = (
    ("Klantenservice", "klantenservice", False),
    ("Facturatie", "facturatie", False),
    ("Techniek", "techniek", True),
)
DEMO_AGENTS = (
    ("anna", "Anna de Vries", "klantenservice"),
    ("bram", "Bram Bakker", "techniek"),
    ("chantal", "Chantal Kuipers", "klantenservice"),
    ("dennis", "Dennis Hoekstra", "klantenservice"),
    ("esra", "Esra Demir", "klantenservice"),
    ("frank", "Frank Mulder", "facturatie"),
    ("gwen", "Gwen Peeters", "facturatie"),
    ("hamza", "Hamza Ouali", "facturatie"),
    ("ilse", "Ilse Verbeek", "techniek"),
    ("joost", "Joost van Rijn", "techniek"),
    ("kim", "Kim Tran", "klantenservice"),
    ("lieke", "Lieke Smeets", "klantenservice"),
)

CHANNELS = (
    ("email", 42),
    ("webform", 14),
    ("telefoon", 12),
    ("chat", 10),
    ("whatsapp", 9),
    ("portaal", 4),
    ("messenger", 2),
    ("x", 2),
    ("instagram", 1.5),
    ("sms", 1.5),
    ("brief", 1),
    ("balie", 1),
)
CHATTY = {"chat", "whatsapp", "messenger", "x", "instagram", "sms"}
EMAIL_LIKE = {"email", "webform", "portaal"}
REPLY_BY_EMAIL = {"webform", "portaal", "telefoon", "brief", "balie"}
PRIORITIES = (("laag", 15), ("normaal", 64), ("hoog", 16), ("urgent", 5))


def _status_weights(age_days: float) -> tuple[tuple[str, float], ...]:
    """Young tickets are mostly open; old ones mostly closed, with a backlog left open."""
    if age_days < 2:
        return (
            ("nieuw", 35),
            ("open", 40),
            ("wacht_op_klant", 15),
            ("in_de_wacht", 3),
            ("opgelost", 7),
        )
    if age_days < 14:
        return (
            ("nieuw", 5),
            ("open", 30),
            ("wacht_op_klant", 20),
            ("in_de_wacht", 5),
            ("opgelost", 25),
            ("gesloten", 15),
        )
    if age_days < 60:
        return (
            ("open", 10),
            ("wacht_op_klant", 8),
            ("in_de_wacht", 4),
            ("opgelost", 18),
            ("gesloten", 60),
        )
    return (
        ("open", 3),
        ("wacht_op_klant", 3),
        ("in_de_wacht", 2),
        ("opgelost", 2),
        ("gesloten", 90),
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
    first_ticket: int = 0
    last_ticket: int = 0
    seconds: float = 0.0


# --- writing rows -----------------------------------------------------------------------------


class TableWriter:
    """Writes rows (tuples in the order of `fields`) into a model's table. Columns the generator
    does not know (added later by another app) get their field default."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.table = model._meta.db_table
        meta = model._meta
        self.columns = [meta.get_field(name).column for name in fields]
        extras: list[Any] = []
        for field in meta.concrete_fields:
            if field.column in self.columns or getattr(field, "generated", False):
                continue
            if field.primary_key:
                continue
            if field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            elif isinstance(field, models.DateTimeField):
                value = timezone.now()
            else:
                raise RuntimeError(f"seed: no value for {self.table}.{field.column}")
            if isinstance(field, models.JSONField):
                value = json.dumps(value)
            elif isinstance(value, datetime):
                value = dt(value.timestamp())
            self.columns.append(field.column)
            extras.append(value)
        self.extras = tuple(extras)

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        extras = self.extras
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        table = connection.ops.quote_name(self.table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + extras if extras else row)
            else:
                marks = ", ".join("?" * len(self.columns))
                if extras:
                    rows = [row + extras for row in rows]
                # The plain sqlite3 connection, inside the batch's transaction.
                connection.connection.executemany(
                    f"INSERT INTO {table} ({cols}) VALUES ({marks})",  # noqa: S608
                    rows,
                )


def dt(epoch: float) -> Any:
    """A timestamp in the form the database driver takes fastest."""
    if connection.vendor == "postgresql":
        return datetime.fromtimestamp(epoch, UTC)
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None).isoformat(" ")


def allocate_ids(model: type[models.Model], count: int, *, minimum: int = 1) -> list[int]:
    """Take `count` ids for rows of `model` from its sequence, so that the application's next
    insert does not collide. Call inside the batch's transaction."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT last_value, is_called FROM " + sequence)  # noqa: S608
            last_value, is_called = cursor.fetchone()
            if (last_value if is_called else last_value - 1) < minimum - 1:
                cursor.execute("SELECT setval(%s, %s, true)", [sequence, minimum - 1])
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the batch holds the write lock (BEGIN IMMEDIATE), so max(id) is ours.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0, minimum - 1) + 1
        return list(range(start, start + count))


@contextmanager
def bulk_load(
    tables: Sequence[str], *, drop_indexes: bool, progress: Callable[[str], None] | None = None
) -> Iterator[None]:
    """On PostgreSQL, optionally drop the plain (non-unique) indexes of the big tables during
    the load and build them again afterwards: one sort beats millions of index inserts."""
    saved: list[str] = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            if drop_indexes:
                cursor.execute(
                    """
                    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                    FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                    WHERE t.relname = ANY(%s) AND NOT i.indisunique AND NOT i.indisprimary
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                    """,
                    [list(tables)],
                )
                for name, definition in cursor.fetchall():
                    saved.append(definition)
                    cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if saved:
                cursor.execute("SET maintenance_work_mem = '512MB'")
                for definition in saved:
                    cursor.execute(definition)
                    if progress:
                        progress(definition.split(" USING ")[0])
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
                if progress:
                    progress(f"ANALYZE {table}")
            if connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = on")


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


class Generator:
    def __init__(
        self,
        *,
        staff: Staff,
        messages_per_ticket: float,
        seed: int,
        now: float,
        span_days: float = 365,
    ) -> None:
        self.rng = random.Random(seed)
        self.text = TextFactory(random.Random(seed + 1))
        self.staff = staff
        self.messages_per_ticket = max(1.0, messages_per_ticket)
        self.now = now
        self.span = span_days * DAY
        self.channels = [c for c, _w in CHANNELS]
        self.channel_cum = _cumulative([w for _c, w in CHANNELS])
        from balie.customers.models import Customer, Identity
        from balie.tickets.models import Activity, Message, Participant, Ticket

        self.customers = TableWriter(
            Customer,
            [
                "id",
                "number",
                "name",
                "language",
                "tier",
                "contract_numbers",
                "notes",
                "created_at",
                "updated_at",
            ],
        )
        self.identities = TableWriter(
            Identity,
            [
                "id",
                "customer",
                "kind",
                "value",
                "display_name",
                "verified",
                "created_at",
                "updated_at",
            ],
        )
        self.tickets = TableWriter(
            Ticket,
            [
                "id",
                "subject",
                "status",
                "priority",
                "type",
                "channel",
                "team",
                "assignee",
                "customer",
                "language",
                "claims",
                "last_message_at",
                "last_inbound_at",
                "first_response_at",
                "solved_at",
                "closed_at",
                "created_at",
                "updated_at",
            ],
        )
        self.messages = TableWriter(
            Message,
            [
                "ticket",
                "direction",
                "channel",
                "subject",
                "body_text",
                "body_html",
                "full_text",
                "full_html",
                "sender_identity",
                "sender_name",
                "sender_address",
                "author",
                "external_id",
                "message_id",
                "in_reply_to",
                "references",
                "recipients",
                "delivery_status",
                "delivery_error",
                "is_automatic",
                "thread_reason",
                "refused_attachments",
                "created_at",
            ],
        )
        self.participants = TableWriter(Participant, ["ticket", "kind", "value", "name", "role"])
        self.activities = TableWriter(
            Activity, ["ticket", "kind", "actor_label", "data", "created_at"]
        )
        self.models = {"customer": Customer, "identity": Identity, "ticket": Ticket}

    # customers -----------------------------------------------------------------------------
    def add_customers(self, count: int) -> tuple[int, list[int], list[int]]:
        """Customers with an e-mail identity each (and a phone for a third of them). Returns
        (identities written, customer ids, their e-mail identity ids)."""
        rng = self.rng
        ids = allocate_ids(self.models["customer"], count)
        identity_ids = iter(allocate_ids(self.models["identity"], count * 2))
        customer_rows, identity_rows, email_ids = [], [], []
        for cid in ids:
            first, name, email = person(cid)
            joined = self.now - self.span - rng.uniform(30, 1500) * DAY
            stamp = dt(joined)
            tier = (
                "zakelijk"
                if rng.random() < 0.06
                else ("vip" if rng.random() < 0.01 else "standaard")
            )
            contracts = json.dumps([f"C{rng.randint(10**6, 10**7 - 1)}"])
            customer_rows.append(
                (cid, f"K{100000 + cid}", name, "nl", tier, contracts, "", stamp, stamp)
            )
            email_id = next(identity_ids)
            email_ids.append(email_id)
            identity_rows.append(
                (email_id, cid, "email", email, name, rng.random() < 0.4, stamp, stamp)
            )
            if rng.random() < 0.33:
                phone = f"+316{(cid * 7 + 10_000_000) % 100_000_000:08d}"
                identity_rows.append(
                    (next(identity_ids), cid, "phone", phone, name, False, stamp, stamp)
                )
        self.customers.write(customer_rows)
        self.identities.write(identity_rows)
        return len(identity_rows), ids, email_ids

    # tickets -------------------------------------------------------------------------------
    def message_count(self) -> int:
        mean = self.messages_per_ticket
        return max(1, min(12, round(self.rng.gammavariate(2.0, mean / 2.0))))

    def gap(self, mean_hours: float) -> float:
        return self.rng.expovariate(1.0 / (mean_hours * 3600.0)) + 60.0

    def add_tickets(
        self,
        ticket_ids: Sequence[int],
        created: Sequence[float],
        customers: Sequence[int],
        email_identity: dict[int, int],
    ) -> int:
        rng = self.rng
        text = self.text
        ticket_rows, message_rows, participant_rows, activity_rows = [], [], [], []
        for number, t0 in zip(ticket_ids, created, strict=True):
            cid = customers[int(len(customers) * rng.random() ** 1.6)]
            first, name, email = person(cid)
            topic: Topic = text.topic()
            channel = self.channels[_pick(rng, self.channel_cum)]
            ticket_type = _weighted(rng, topic.types)
            priority = _weighted(rng, PRIORITIES)
            if ticket_type == "storing" and rng.random() < 0.5:
                priority = "hoog" if rng.random() < 0.7 else "urgent"
            slug = topic.team if rng.random() < 0.92 else "klantenservice"
            team_id: int | None = self.staff.team_ids[slug] if rng.random() > 0.03 else None
            agents = self.staff.agents_by_team[slug]
            status = _weighted(rng, _status_weights((self.now - t0) / DAY))
            assignee: tuple[int, str] | None = None
            if status != "nieuw" and rng.random() < 0.93:
                assignee = rng.choice(agents)
            subject = text.subject(topic)
            chatty = channel in CHATTY
            reply_channel = "email" if channel in REPLY_BY_EMAIL else channel
            count = 1 if status == "nieuw" and rng.random() < 0.7 else self.message_count()
            # Alternate customer and agent; "new" tickets have no answer yet, "waiting for
            # the customer" ends with the agent, "open" mostly with the customer.
            directions = ["inbound" if i % 2 == 0 else "outbound" for i in range(count)]
            if status == "nieuw":
                directions = ["inbound"] * count
            elif status == "wacht_op_klant" and directions[-1] == "inbound":
                directions.append("outbound")
            elif status == "open" and directions[-1] == "outbound" and rng.random() < 0.7:
                directions.append("inbound")
            if assignee is None and "outbound" in directions:
                assignee = rng.choice(agents)
            t = t0
            last_inbound = first_response = None
            previous_id = ""
            for index, direction in enumerate(directions):
                if index:
                    t += self.gap(20.0 if direction == "inbound" else 5.0)
                    if t > self.now - 60:
                        break
                if direction == "inbound":
                    last_inbound = t
                    body = text.customer_message(
                        topic, first=first, name=name, chatty=chatty, follow_up=index > 0
                    )
                    email_kind = channel in EMAIL_LIKE
                    message_id = (
                        f"seed.{number}.{index}@{email.rpartition('@')[2]}"
                        if channel == "email"
                        else ""
                    )
                    message_rows.append(
                        (
                            number,
                            "inbound",
                            channel,
                            subject if email_kind else "",
                            body,
                            "",
                            body,
                            "",
                            email_identity[cid] if email_kind else None,
                            name,
                            email if email_kind else "",
                            None,
                            "",
                            message_id,
                            previous_id,
                            "",
                            "{}",
                            "received",
                            "",
                            False,
                            "nieuw ticket" if index == 0 else "",
                            "[]",
                            dt(t),
                        )
                    )
                else:
                    agent_id, agent_name = assignee or rng.choice(agents)
                    if first_response is None:
                        first_response = t
                    if rng.random() < 0.08:
                        message_rows.append(
                            (
                                number,
                                "note",
                                channel,
                                "",
                                text.note(),
                                "",
                                text.note(),
                                "",
                                None,
                                agent_name,
                                "",
                                agent_id,
                                "",
                                "",
                                "",
                                "",
                                "{}",
                                "",
                                "",
                                False,
                                "",
                                "[]",
                                dt(t - 30),
                            )
                        )
                    body = text.agent_message(
                        topic,
                        customer_first=first,
                        customer_name=name,
                        agent=agent_name,
                        company=COMPANY,
                        chatty=chatty,
                    )
                    is_mail = reply_channel == "email"
                    message_id = (
                        f"balie.{number}.{index}{rng.getrandbits(40):x}@voorbeeld-energie.nl"
                        if is_mail
                        else ""
                    )
                    recipients = json.dumps({"to": [email], "cc": []}) if is_mail else "{}"
                    message_rows.append(
                        (
                            number,
                            "outbound",
                            reply_channel,
                            f"Re: {subject} [#{number}]" if is_mail else "",
                            body,
                            "",
                            body,
                            "",
                            None,
                            agent_name,
                            "",
                            agent_id,
                            "",
                            message_id,
                            previous_id,
                            "",
                            recipients,
                            "delivered",
                            "",
                            False,
                            "",
                            "[]",
                            dt(t),
                        )
                    )
                    if is_mail:
                        previous_id = message_id
                last = t
                if direction == "inbound" and channel == "email":
                    previous_id = message_rows[-1][13]
            solved_at = closed_at = None
            if status in ("opgelost", "gesloten"):
                solved_at = min(last + self.gap(6.0), self.now - 30)
                if status == "gesloten":
                    closed_at = min(solved_at + 7 * DAY, self.now - 10)
                    if closed_at <= solved_at:
                        status = "opgelost"
                        closed_at = None
            updated = max(x for x in (last, solved_at, closed_at) if x is not None)
            ticket_rows.append(
                (
                    number,
                    subject,
                    status,
                    priority,
                    ticket_type,
                    channel,
                    team_id,
                    assignee[0] if assignee else None,
                    cid,
                    "nl",
                    "{}",
                    dt(last),
                    dt(last_inbound) if last_inbound else None,
                    dt(first_response) if first_response else None,
                    dt(solved_at) if solved_at else None,
                    dt(closed_at) if closed_at else None,
                    dt(t0),
                    dt(updated),
                )
            )
            participant_rows.append((number, "customer", str(cid), "", "customer"))
            activity_rows.append(
                (
                    number,
                    "ticket.created",
                    name,
                    json.dumps({"channel": channel, "subject": subject, "seeded": True}),
                    dt(t0),
                )
            )
        self.tickets.write(ticket_rows)
        self.messages.write(message_rows)
        self.participants.write(participant_rows)
        self.activities.write(activity_rows)
        return len(message_rows)

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
    total = sum(w for _v, w in pairs)
    x = rng.random() * total
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
    """Generate `tickets` tickets (with about `messages_per_ticket` messages each) for
    `customers` new customers (default: one per three tickets)."""
    from balie.tickets.models import Activity, Message, Participant, Ticket

    started = time.monotonic()
    report = SeedReport()
    customers = customers if customers is not None else max(1, math.ceil(tickets / 3))
    batch = max(100, batch)
    staff = ensure_staff()
    gen = Generator(
        staff=staff,
        messages_per_ticket=messages_per_ticket,
        seed=random_seed,
        now=time.time(),
    )
    tables = [m._meta.db_table for m in (Ticket, Message, Participant, Activity)]
    if drop_indexes is None:
        drop_indexes = tickets >= 100_000

    def say(line: str) -> None:
        if progress:
            progress(f"{line} ({time.monotonic() - started:.0f} s)")

    with bulk_load(tables, drop_indexes=drop_indexes, progress=say):
        customer_ids: list[int] = []
        email_identity: dict[int, int] = {}
        customer_batch = max(batch, 20_000)
        while len(customer_ids) < customers:
            size = min(customer_batch, customers - len(customer_ids))
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
    report.seconds = time.monotonic() - started
    return report


def now_epoch() -> float:
    return datetime.now(UTC).timestamp()
