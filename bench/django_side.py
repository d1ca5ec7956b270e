"""What the benchmark asks of Django itself, run as a child process in the bench database's
environment (never in the harness process, which must not touch the main database).

    python -m bench.django_side prepare   -> JSON: tokens, session cookie, ids to filter on
    python -m bench.django_side sla       -> JSON: SLA recomputation timed, or unavailable
    python -m bench.django_side counts    -> JSON: tickets and open tickets
    python -m bench.django_side live N    -> JSON: N agents with a session each, a ticket
    python -m bench.django_side chat N T  -> JSON: N visitor tokens, T of them talking to an agent
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

BENCH_USERNAME = "bench-agent"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def counts() -> dict[str, Any]:
    from balie.tickets.models import OPEN_STATUSES, Message, Ticket

    return {
        "tickets": Ticket.objects.count(),
        "open": Ticket.objects.filter(status__in=OPEN_STATUSES).count(),
        "messages": Message.objects.count(),
    }


def prepare() -> dict[str, Any]:
    """An agent of team Klantenservice (not an admin: the private team's tickets are filtered
    out, as for most agents), an API token that may also deliver mail, and a session."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from balie.accounts.actions import create_api_token
    from balie.accounts.models import Agent, Role, Team, TokenScope
    from balie.core.actors import SYSTEM
    from balie.demo.seeding import ensure_staff
    from balie.tickets.models import Ticket

    staff = ensure_staff()
    user_model = get_user_model()
    user = user_model.objects.filter(username=BENCH_USERNAME).first()
    if user is None:
        user = user_model(username=BENCH_USERNAME, email="bench-agent@voorbeeld-energie.nl")
        user.set_unusable_password()
        user.save()
    agent = Agent.objects.filter(user=user).first()
    if agent is None:
        agent = Agent.objects.create(user=user, display_name="Bench Agent", role=Role.AGENT)
    agent.teams.add(*Team.objects.filter(slug__in=["klantenservice", "facturen"]))
    _token, raw = create_api_token(agent, name="benchmark", scope=TokenScope.ADMIN, by=SYSTEM)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    busiest = staff.agents_by_team["klantenservice"][0][0]
    # Tickets to answer, with the address their customer writes from (a customer made by an
    # earlier run's mail has an address of its own, not the generator's for its id).
    sample = [
        (number, customer_id, address)
        for number, customer_id, address in Ticket.objects.filter(
            channel="email", customer__identities__kind="email"
        )
        .order_by("-id")
        .values_list("id", "customer_id", "customer__identities__value")[:2000]
    ]
    return {
        "token": raw,
        "session": session.session_key,
        "agent": agent.pk,
        "teams": staff.team_ids,
        "assignee": busiest,
        "reply_to": sample,
        **counts(),
    }


def sla() -> dict[str, Any]:
    """What makes Balie recompute every running SLA clock: an administrator enters a closing
    day (the next weekday but one) in the calendars the clocks run on. Timed once for the
    closure and once for taking it away again, which leaves the data as it was."""
    try:
        from balie.sla.actions import recompute_due_times
        from balie.sla.business_time import load_public_holidays
        from balie.sla.calendars import forget_calendars
        from balie.sla.models import Closure, ClosureKind, SlaClock
    except ImportError as exc:
        return {"available": False, "reason": str(exc)}
    from datetime import timedelta

    from django.utils import timezone

    from balie.tickets.models import OPEN_STATUSES, Ticket

    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    running = SlaClock.objects.filter(state="running")
    calendars = sorted(set(running.values_list("calendar_id", flat=True)))
    day = timezone.localdate() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    closures = Closure.objects.bulk_create(
        Closure(calendar_id=pk, kind=ClosureKind.DAY, date=day, reason_nl="Benchmark: sluitingsdag")
        for pk in calendars
    )
    # The worker that recomputes (sla.tasks) loaded the holidays when it started
    # (config/celery.py); this process does the same, outside the measurement.
    load_public_holidays()
    try:
        forget_calendars()
        started = time.perf_counter()
        recomputed = recompute_due_times()
        seconds = time.perf_counter() - started
        moved = running.filter(due_at__date__gt=day - timedelta(days=1)).count()
    finally:
        Closure.objects.filter(pk__in=[c.pk for c in closures]).delete()
        forget_calendars()
    started = time.perf_counter()
    recompute_due_times()
    undo_seconds = time.perf_counter() - started
    return {
        "available": True,
        "seconds": seconds,
        "undo_seconds": undo_seconds,
        "clocks": recomputed,
        "moved": moved,
        "closing_day": day.isoformat(),
        "open_tickets": open_tickets,
    }


LIVE_USERNAME = "bench-live-{:04d}"


def live(count: int) -> dict[str, Any]:
    """`count` agents of team Klantenservice, each with a fresh session (one browser each, as
    during an outage with every agent's inbox open), and a ticket of that team to add notes to.
    Made in bulk: a thousand agents one by one would take longer than the measurement."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from balie.accounts.models import Agent, Role, Team
    from balie.demo.seeding import ensure_staff
    from balie.tickets.models import OPEN_STATUSES, Ticket

    ensure_staff()
    team = Team.objects.get(slug="klantenservice")
    user_model = get_user_model()
    names = [LIVE_USERNAME.format(i) for i in range(count)]
    have = set(user_model.objects.filter(username__in=names).values_list("username", flat=True))
    new_users = []
    for name in names:
        if name not in have:
            user = user_model(username=name, email=f"{name}@voorbeeld-energie.nl")
            user.set_unusable_password()
            new_users.append(user)
    user_model.objects.bulk_create(new_users, batch_size=500)
    users = list(user_model.objects.filter(username__in=names).order_by("username"))
    with_agent = set(Agent.objects.filter(user__in=users).values_list("user_id", flat=True))
    Agent.objects.bulk_create(
        [
            Agent(user=u, display_name=f"Live {u.username[-4:]}", role=Role.AGENT)
            for u in users
            if u.pk not in with_agent
        ],
        batch_size=500,
    )
    agents = {a.user_id: a for a in Agent.objects.filter(user__in=users)}
    membership = Agent.teams.through
    in_team = set(
        membership.objects.filter(team=team, agent__in=agents.values()).values_list(
            "agent_id", flat=True
        )
    )
    membership.objects.bulk_create(
        [membership(agent=a, team=team) for a in agents.values() if a.pk not in in_team],
        batch_size=500,
    )
    expires = timezone.now() + timezone.timedelta(hours=2)
    sessions, result = [], []
    for user in users:
        store = SessionStore()
        key = store._get_new_session_key()
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(
            Session(session_key=key, session_data=store.encode(data), expire_date=expires)
        )
        result.append((agents[user.pk].pk, key))
    Session.objects.bulk_create(sessions, batch_size=500)
    ticket = (
        Ticket.objects.filter(team=team, status__in=OPEN_STATUSES)
        .order_by("-id")
        .values("id")
        .first()
    )
    layer = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
    return {
        "agents": result,
        "ticket": ticket["id"] if ticket else None,
        "channel_prefix": layer.get("prefix", ""),
    }


def main() -> None:
    _setup()
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    handlers = {"prepare": prepare, "sla": sla, "counts": counts}
    if command == "live":
        print(json.dumps(live(int(sys.argv[2]))))
        return
    if command == "chat":
        from .chat_setup import chat

        print(json.dumps(chat(int(sys.argv[2]), int(sys.argv[3]))))
        return
    if command not in handlers:
        sys.exit(f"usage: python -m bench.django_side {'|'.join(handlers)}|live N|chat N T")
    print(json.dumps(handlers[command]()))


if __name__ == "__main__":
    main()
