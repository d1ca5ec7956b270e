"""The fixed cast shared by all tests: agents anna and bram, customer carla, teams
klantenservice and techniek (private), and a fixture that captures published events."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import pytest

from balie.accounts.models import Agent, Role, Team

# Real mail servers (`smtp_server`, `dovecot`) for any test that sends or polls mail.
pytest_plugins = ["balie.messaging.tests.mailservers"]


@pytest.fixture(autouse=True)
def _block_network(monkeypatch):
    """Only loopback connections: a test that talks to the internet fails loudly."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and host not in ("127.0.0.1", "::1", "localhost")
            and not host.startswith("/")
        ):
            raise RuntimeError(f"network access blocked in tests: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Password hashing is deliberately slow; tests need no protection against brute force."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits, presence and used magic links live in the cache: start every test empty."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Rules, teams and own mailboxes are cached per process (ProcessCache); each test starts
    from what its database holds."""
    from balie.core.process_cache import drop_process_caches
    from balie.intake import pipeline as ingest

    drop_process_caches()
    ingest._all_awake_until = 0.0


@pytest.fixture(autouse=True)
def _fresh_sla_calendars():
    """Compiled business-hours calendars and SLA policies are cached per process; each test
    starts from what its database holds."""
    from balie.sla.calendars import forget_calendars

    forget_calendars()


@pytest.fixture(autouse=True)
def _dutch_to_start_with():
    """Every test starts in Dutch: a request in English leaves English active in the thread
    (LocaleMiddleware activates and never resets), which would leak into the next test."""
    from django.utils import translation

    translation.activate("nl")
    yield
    translation.deactivate()


@dataclass
class Cast:
    klantenservice: Team
    techniek: Team
    anna: Agent
    bram: Agent
    carla: object  # Customer

    @property
    def carla_email(self) -> str:
        return "carla.jansen@example.nl"


@pytest.fixture
def cast(db) -> Cast:
    from balie.accounts.tests.factories import AgentFactory, TeamFactory, UserFactory
    from balie.core.actors import SYSTEM
    from balie.customers.actions import create_customer

    klantenservice = TeamFactory(
        name="Klantenservice", slug="klantenservice", email="klantenservice@voorbeeld-energie.nl"
    )
    techniek = TeamFactory(name="Techniek", slug="techniek", is_private=True)
    anna = AgentFactory(
        user=UserFactory(username="anna", email="anna@voorbeeld-energie.nl"),
        display_name="Anna de Vries",
        role=Role.AGENT,
        teams=[klantenservice],
    )
    bram = AgentFactory(
        user=UserFactory(username="bram", email="bram@voorbeeld-energie.nl"),
        display_name="Bram Bakker",
        role=Role.AGENT,
        teams=[techniek],
    )
    carla = create_customer(
        name="Carla Jansen",
        identities=[("email", "carla.jansen@example.nl"), ("phone", "06 12345678")],
        by=SYSTEM,
    )
    return Cast(klantenservice=klantenservice, techniek=techniek, anna=anna, bram=bram, carla=carla)


@pytest.fixture
def published(monkeypatch):
    """Every realtime event published during the test, as (groups, event, data)."""
    from balie.core import realtime

    sent: list[tuple[list[str], str, dict]] = []
    original = realtime.send

    def capture(groups, event, data):
        sent.append((list(groups), event, data))
        original(groups, event, data)

    monkeypatch.setattr(realtime, "send", capture)
    return sent


@pytest.fixture(scope="session", autouse=True)
def _release_test_database(django_db_setup, django_db_blocker):
    """At the end of the run, close the connection pools and end the sessions that the test
    server's request threads left open, so that the test database can be dropped."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for conn in connections.all():
            if conn.vendor != "postgresql":
                continue
            if hasattr(conn, "close_pool"):
                conn.close_pool()
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            conn.close()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Deliver a raw input through the whole pipeline, as a webhook or poller would, and return
    the processed envelope."""

    from balie.intake.pipeline import receive

    def _deliver(raw: bytes, channel: str = "email", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            envelope, _created = receive(channel=channel, raw=raw, **kwargs)
        envelope.refresh_from_db()
        return envelope

    return _deliver


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Django deletes the SQLite test database file at the end; its WAL and shared-memory files,
    kept open by threads' connections until then, are removed here so no run leaves any behind."""
    import glob
    import os

    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return
    name = database.get("TEST", {}).get("NAME") or ""
    if not name:
        return
    for leftover in glob.glob(f"{glob.escape(name)}*-wal") + glob.glob(f"{glob.escape(name)}*-shm"):
        if not os.path.exists(leftover.removesuffix("-wal").removesuffix("-shm")):
            os.remove(leftover)
