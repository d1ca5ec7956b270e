"""Live events stay within one installation even when several share a Redis server."""

from __future__ import annotations

import pytest
from django.conf import settings

from config.settings import redis_database


@pytest.mark.parametrize(
    ("url", "number"),
    [
        ("redis://127.0.0.1:6379/3", 3),
        ("redis://127.0.0.1:6379", 0),
        ("redis://:secret@redis.intern:6379/12", 12),
        ("rediss://redis.intern:6380/0", 0),
        ("unix:///srv/balie/var/redis.sock?db=2", 2),
        ("unix:///srv/balie/var/redis.sock", 0),
    ],
)
def test_the_database_number_is_read_from_the_redis_url(url, number):
    assert redis_database(url) == number


@pytest.mark.skipif(not settings.REDIS_URL, reason="in-memory channel layer without Redis")
def test_channel_names_carry_the_redis_database():
    """Redis's publish/subscribe ignores the database number: without it in the channel names,
    agents of an installation on database 1 would receive the events of one on database 2."""
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    assert prefix == f"balie{redis_database(settings.REDIS_URL)}{settings.TEST_RUN_SUFFIX}"
