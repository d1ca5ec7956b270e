from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from balie.intake import pipeline as ingest

AMS = ZoneInfo("Europe/Amsterdam")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


@pytest.fixture
def now_is(monkeypatch):
    """Set the wall clock Balie reads (django.utils.timezone.now) to a given moment."""

    def _set(moment: datetime) -> datetime:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return _set


def mail(
    *,
    sender: str = "carla.jansen@example.nl",
    subject: str = "Vraag over mijn voorschot",
    body: str = "Mijn voorschot is te hoog.",
    in_reply_to: str = "",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Carla Jansen <{sender}>"
    msg["To"] = "klantenservice@voorbeeld-energie.nl"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.nl")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(body)
    return bytes(msg)


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """A raw input through the whole ingestion pipeline, as a webhook or poller delivers it."""

    def _deliver(raw: bytes, channel: str = "email", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            envelope, _created = ingest.receive(channel=channel, raw=raw, **kwargs)
        envelope.refresh_from_db()
        return envelope

    return _deliver
