import pytest

from balie.messaging import ingest


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Deliver a raw input through the whole pipeline, as a webhook or poller would, and return
    the processed envelope."""

    def _deliver(raw: bytes, channel: str = "email", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            envelope, _created = ingest.receive(channel=channel, raw=raw, **kwargs)
        envelope.refresh_from_db()
        return envelope

    return _deliver
