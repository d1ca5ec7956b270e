"""GET /healthz as a load balancer or `make run` calls it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.utils import OperationalError

from balie.core.tasks import record_worker_heartbeat

pytestmark = pytest.mark.django_db


def test_healthy_embedded_defaults(client):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["channel_layer"]["status"] == "ok"
    assert body["channel_layer"]["backend"] in ("in-memory", "redis")
    assert body["worker"]["status"] == "ok"


def test_no_login_needed_and_no_secrets(client, settings):
    settings.SECRET_KEY = "geheim-sleutel-die-niet-mag-lekken"

    text = client.get("/healthz").content.decode()

    assert "geheim" not in text
    assert "password" not in text.lower()
    assert "redis://" not in text and "unix://" not in text


def test_database_down_gives_503(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("could not connect to server: password=hunter2")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == {
        "status": "error",
        "vendor": connection.vendor,
        "error": "OperationalError",
    }
    assert "hunter2" not in response.content.decode()


def test_worker_heartbeat_counts_as_alive(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    record_worker_heartbeat()

    worker = client.get("/healthz").json()["worker"]

    assert worker["status"] == "ok"
    assert worker["mode"] == "celery"
    assert worker["heartbeat_age_seconds"] < 5


def test_worker_without_heartbeat_or_ping_is_down(client, settings, monkeypatch):
    from django.core.cache import cache

    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.clear()
    monkeypatch.setattr(app.control, "ping", lambda timeout=1.0: [])

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["worker"]["status"] == "down"
