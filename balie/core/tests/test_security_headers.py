"""What a browser is told on every page: a Content-Security-Policy without inline script (the
portal and the contact page included), no framing, a short Referer; HSTS and the redirect to
HTTPS behind TLS; and no tracking pixel loads when an agent opens a mail."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.conf import settings as django_settings

from balie.tickets.models import Ticket

PAGES = [
    "/inloggen/",
    "/tickets/",
    "/tickets/nieuw/",
    "/klanten/",
    "/contact/",
    "/portaal/",
    "/admin/login/",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_forbids_inline_script_and_framing(cast, client, path):
    client.force_login(cast.anna.user)

    response = client.get(path, follow=True)

    policy = directives(response)
    assert policy["script-src"] == "'self'" and "unsafe" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["img-src"] == "'self' data:"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_HANDLER.search(html)
    assert "hx-on" not in html


def test_the_api_docs_run_under_the_policy_from_local_scripts(client):
    response = client.get("/api/v1/docs")

    policy = directives(response)
    assert policy["script-src"] == "'self'"
    assert response.status_code == 200


def test_behind_tls_plain_http_is_redirected_and_hsts_is_sent(cast, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

    plain = client.get("/inloggen/")
    secure = client.get("/inloggen/", HTTP_X_FORWARDED_PROTO="https")

    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert client.get("/healthz").status_code in (200, 503)  # the load balancer's probe


def test_check_deploy_passes_with_the_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        SECRET_KEY="k" + os.urandom(32).hex(),
        DATABASE_URL="postgres://balie@127.0.0.1:1/balie",
        ALLOWED_HOSTS="balie.example.nl",
        BALIE_SECURE="1",
        BALIE_DEBUG="0",
        BALIE_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def html_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Carla Jansen <carla.jansen@example.nl>"
    msg["To"] = "klantenservice@voorbeeld-energie.nl"
    msg["Subject"] = "Foto van mijn meter"
    msg["Message-ID"] = make_msgid(domain="example.nl")
    msg.set_content("Zie de foto.")
    msg.add_alternative(
        '<p>Zie de foto.</p><img src="https://tracker.example/p.gif?lezer=carla" width="1" '
        'height="1"><img src="https://foto.example/meter.jpg" alt="meterstand">',
        subtype="html",
    )
    return bytes(msg)


def test_a_tracking_pixel_is_not_loaded_until_the_agent_asks(cast, client, deliver):
    # given a mail with a tracking pixel and a photo on the sender's servers
    deliver(html_mail())
    ticket = Ticket.objects.get()
    client.force_login(cast.anna.user)

    # when the agent opens the ticket
    response = client.get(f"/tickets/{ticket.pk}/")

    # then neither is referenced, the policy forbids remote images, and the agent can ask
    page = response.content.decode()
    assert "tracker.example" not in page and "foto.example" not in page
    assert "meterstand" in page and "Afbeeldingen tonen" in page
    assert directives(response)["img-src"] == "'self' data:"
    assert "tracker.example" not in client.get(f"/tickets/{ticket.pk}/gesprek/").content.decode()

    # when the agent asks for the images
    shown = client.get(f"/tickets/{ticket.pk}/?afbeeldingen=tonen")

    # then they load, on this ticket, and stay shown when the conversation refreshes
    assert 'src="https://foto.example/meter.jpg"' in shown.content.decode()
    assert "https:" in directives(shown)["img-src"]
    assert "foto.example" in client.get(f"/tickets/{ticket.pk}/").content.decode()
