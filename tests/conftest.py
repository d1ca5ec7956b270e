"""Fixtures of the project-wide tests: a real headless Chromium for browser tests."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"
)
# How long a browser test waits for what the user should see. Every wait ends as soon as the
# page shows it; the bound only decides how late a missing result fails. On a loaded machine
# (the suite beside other work on two cores) a chat's round trip took over 10 s.
WAIT_MS = 60_000
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def chromium():
    """A headless Chromium (Debian's); open contexts and pages on it. Playwright's sync API runs
    an event loop in this thread; Django's ORM calls made by the test itself are synchronous and
    safe here."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        yield page
    finally:
        context.close()


def signed_in(context, agent, server: str) -> None:
    """The browser context is logged in as the agent on the server."""
    from django.test import Client

    client = Client()
    client.force_login(agent.user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}]
    )


@pytest.fixture
def asgi_server():
    """The ASGI application (HTTP and WebSockets) served by uvicorn in a thread of this process
    (tests/asgi_server.py): the same test database and in-memory channel layer. Use it with
    `django_db(transaction=True)`."""
    from config.asgi import application
    from tests.asgi_server import serving

    with serving(application, ws="auto") as port:
        yield f"http://127.0.0.1:{port}"
