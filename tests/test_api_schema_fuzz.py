"""Fuzz the REST API against its own OpenAPI schema (schemathesis): whatever a client sends —
wrong types, huge numbers, NUL bytes, overlong strings, unknown ids — the answer is never a
server error, and every answer has the status code, content type and shape the schema
promises. Requests run in-process through Django's WSGI handler, authenticated with a real
API token of an agent of the shared cast."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from balie.accounts.actions import create_api_token
from balie.accounts.models import TokenScope
from balie.core.actors import SYSTEM
from balie.tickets.actions import add_note
from balie.tickets.tests.factories import MessageFactory, TicketFactory
from config.api import api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast's users get a password; a fast hasher keeps the setup of each test short."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the plain WSGI handler, which closes the database connection after
    each request; the test's transaction must survive, as with Django's own test client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# A raw mail is bytes, sent as they are, like an octet-stream body.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")

whole = schemathesis.openapi.from_dict(api.get_openapi_schema())
whole.app = get_wsgi_application()
# The people's API with an agent's token; the mail servers' endpoint (raw MIME bytes) with an
# ingest token of its own, below. Together: every path of the schema.
schema = whole.exclude(path="/api/v1/inbound/email")
mail_server = whole.include(path="/api/v1/inbound/email")


@pytest.fixture
def auth_header(cast) -> dict[str, str]:
    # Something to find: a ticket of anna's team with a message and a note, and one of the
    # private team techniek that she must not see.
    ticket = TicketFactory(customer=cast.carla, team=cast.klantenservice)
    MessageFactory(ticket=ticket, sender_address=cast.carla_email)
    add_note(ticket, by=cast.anna, text="Klant belt morgen terug.")
    TicketFactory(customer=cast.carla, team=cast.techniek)
    _token, raw = create_api_token(cast.anna, name="schemathesis", by=SYSTEM)
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_answers_every_request_within_its_schema(case, auth_header):
    # Every check except "a schema-valid request is accepted": a well-formed but unknown team id
    # or a cursor of random characters is rightly refused with a 4xx and a reason.
    case.call_and_validate(headers=auth_header, excluded_checks=[positive_data_acceptance])


@pytest.fixture
def ingest_header(cast) -> dict[str, str]:
    _token, raw = create_api_token(cast.anna, name="postfix", scope=TokenScope.INGEST, by=SYSTEM)
    return {"Authorization": f"Bearer {raw}"}


@mail_server.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_mail_servers_endpoint_answers_any_body_within_its_schema(case, ingest_header):
    # Random bytes are rightly refused (400, no From), so "a valid request is accepted" is off.
    case.call_and_validate(headers=ingest_header, excluded_checks=[positive_data_acceptance])


def test_the_fuzzed_schema_is_the_whole_api():
    every = set(api.get_openapi_schema()["paths"])
    fuzzed = {o.ok().path for part in (schema, mail_server) for o in part.get_all_operations()}
    assert fuzzed == every
