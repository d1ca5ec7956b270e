import time

import pytest
from django.core.cache import cache

from balie.portal.forms import sign_started


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and used links live in the cache; every test starts without any."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def contact_data():
    """What a person types into the contact form, having taken their time."""

    def _data(**overrides):
        data = {
            "name": "Piet de Boer",
            "email": "piet.deboer@example.nl",
            "phone": "",
            "customer_number": "",
            "order_number": "",
            "topic": "question",
            "subject": "",
            "message": "Wanneer wordt mijn voorschot aangepast?",
            "website": "",
            "started": sign_started(time.time() - 30),
        }
        data.update(overrides)
        return data

    return _data
