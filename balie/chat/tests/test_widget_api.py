"""The widget's HTTP endpoints as a company's page calls them: CORS for the account's origins
only, the pre-chat form's checks, the leave-a-message form, files, transcript and rating."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from balie.chat.models import ChatSession
from balie.chat.tests.conftest import TUESDAY_MORNING
from balie.core import rate_limits
from balie.tickets.models import Direction, Message, Ticket

SITE = "https://www.voorbeeld-energie.nl"
FORM = {
    "name": "Carla de Vries",
    "email": "Carla@Example.nl",
    "customer_number": "998877",
    "topic": "billing",
    "text": "Mijn factuur is te hoog",
    "cid": "first-1",
    "page": "https://www.voorbeeld-energie.nl/factuur",
    "title": "Uw factuur",
}


@pytest.fixture(autouse=True)
def _open_hours(clock):
    clock(TUESDAY_MORNING)


@pytest.fixture
def post(client, cast, chat_account, django_capture_on_commit_callbacks):
    def run(path, data=None, *, origin=SITE, token="", json=True, **extra):
        headers = {"HTTP_ORIGIN": origin} if origin else {}
        if token:
            headers["HTTP_X_CHAT_TOKEN"] = token
        with django_capture_on_commit_callbacks(execute=True):
            if json:
                return client.post(
                    f"/chat/api/demo/{path}",
                    data or {},
                    content_type="application/json",
                    **headers,
                    **extra,
                )
            return client.post(f"/chat/api/demo/{path}", data or {}, **headers, **extra)

    return run


def test_a_chat_starts_from_an_allowed_site_with_cors_for_it_only(post, cast):
    response = post("start", FORM)
    assert response.status_code == 201, response.content
    assert response["Access-Control-Allow-Origin"] == SITE
    session = ChatSession.objects.get()
    ticket = session.ticket
    assert ticket.channel == "chat" and ticket.claims["customer_number"] == "998877"
    assert session.email == "carla@example.nl" and session.page_url.endswith("/factuur")
    # The token is given once and stored only as its hash.
    assert response.json()["token"] not in session.token_hash
    refused = post("start", {**FORM, "cid": "x"}, origin="https://evil.example")
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


@pytest.mark.parametrize(
    "page", ["javascript:alert(document.cookie)", "data:text/html,<script>x</script>", "/relatief"]
)
def test_a_page_address_that_is_no_web_address_is_not_kept_for_the_agent_to_click(post, cast, page):
    """The workspace links the visitor's page beside the chat: only an http(s) address."""
    from balie.chat import desk

    response = post("start", {**FORM, "page": page})
    assert response.status_code == 201, response.content
    session = ChatSession.objects.get()
    assert session.page_url == ""
    assert desk.beside(session)["page"] == ""


def test_topics_are_english_codes_and_a_page_still_sending_a_dutch_one_is_understood(
    client, post, cast
):
    codes = [code for code, _label in client.get("/chat/api/demo/status").json()["topics"]]
    assert codes == [
        "question",
        "billing",
        "incident",
        "meter_reading",
        "moving",
        "complaint",
        "other",
    ]
    response = post("start", {**FORM, "topic": "storing"})
    assert response.status_code == 201, response.content
    ticket = ChatSession.objects.get().ticket
    assert ticket.claims["topic"] == "incident" and ticket.team == cast.techniek


def test_the_preflight_names_the_origin_and_the_token_header(client, chat_account):
    response = client.options("/chat/api/demo/start", HTTP_ORIGIN=SITE)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SITE
    assert "X-Chat-Token" in response["Access-Control-Allow-Headers"]


def test_the_pre_chat_form_says_what_is_missing(post, cast):
    response = post("start", {**FORM, "name": "", "email": "geen-adres", "topic": "verzonnen"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"name", "email", "topic"}
    assert not Ticket.objects.exists()


def test_status_lists_the_topics_in_the_pages_language(client, chat_account, cast):
    data = client.get("/chat/api/demo/status?lang=en", HTTP_ORIGIN=SITE).json()
    assert data["open"] is True
    assert ["billing", "Invoice and payment"] in data["topics"]


def test_a_left_message_files_as_the_contact_form_does(post, cast):
    response = post("bericht", {**FORM, "topic": "incident"})
    assert response.status_code == 201
    ticket = Ticket.objects.get(pk=response.json()["ticket"])
    assert ticket.channel == "webform" and ticket.claims["topic"] == "incident"
    assert ticket.team.slug == "techniek"


def _start(post):
    return post("start", FORM).json()["token"]


def test_a_file_is_checked_as_mail_attachments_are(post, cast):
    token = _start(post)
    ok = post(
        "bestand",
        {"cid": "f-1", "file": SimpleUploadedFile("meter.png", b"\x89PNG...", "image/png")},
        token=token,
        json=False,
    )
    assert ok.status_code == 201
    stored = Message.objects.get(pk=ok.json()["id"])
    assert stored.attachments.get().filename == "meter.png"
    bad = post(
        "bestand",
        {"cid": "f-2", "file": SimpleUploadedFile("virus.exe", b"MZ", "application/x-msdownload")},
        token=token,
        json=False,
    )
    assert bad.status_code == 400 and "niet toegestaan" in bad.json()["error"]
    no_token = post(
        "bestand", {"cid": "f-3", "file": SimpleUploadedFile("a.txt", b"a")}, json=False
    )
    assert no_token.status_code == 401


def test_transcript_by_mail_and_a_rating_stored_on_the_ticket(post, cast, mailoutbox):
    token = _start(post)
    response = post("transcript", {}, token=token)
    assert response.json() == {"sent_to": "carla@example.nl"}
    mail = mailoutbox[-1].message()
    assert "Mijn factuur is te hoog" in mail.as_string()
    ticket = ChatSession.objects.get().ticket
    assert f"[#{ticket.pk}]" in mail["Subject"]
    assert Message.objects.filter(
        ticket=ticket, direction=Direction.OUTBOUND, channel="email"
    ).exists()
    assert post("einde", {}, token=token).status_code == 200
    assert post("beoordeling", {"rating": 9}, token=token).status_code == 400
    assert (
        post("beoordeling", {"rating": 4, "comment": "Snel geholpen"}, token=token).status_code
        == 200
    )
    ticket.refresh_from_db()
    assert ticket.claims["satisfaction"] == "4/5: Snel geholpen"
    assert ChatSession.objects.get().rating == 4


def test_transcripts_to_one_address_are_bounded_so_nobody_mails_a_stranger_again_and_again(
    post, cast, mailoutbox
):
    """The pre-chat e-mail address is not verified: a chat started with someone else's address
    cannot make Balie mail them its transcript without end."""
    token = _start(post)
    answers = [post("transcript", {}, token=token) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Het gesprek is al een paar keer gemaild" in answers[-1].json()["error"]
    assert len(mailoutbox) == 3


def test_the_widget_script_and_the_demo_page_need_no_login(client, chat_account):
    script = client.get("/chat/widget.js")
    assert script.status_code == 200 and b'attachShadow({ mode: "open" })' in script.content
    page = client.get("/chat/demo/").content.decode()
    assert 'data-account="demo"' in page and "/chat/widget.js" in page


def test_the_widget_goes_out_gzipped_no_larger_than_the_readme_says(client, chat_account):
    """README: "(20 KB, 6.8 KB gzipped; …)". A browser asks for gzip and gets it; one that
    does not gets the plain script."""
    import gzip
    import re
    from pathlib import Path

    from django.conf import settings

    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    plain_kb, gzipped_kb = (
        float(n)
        for n in re.search(r"\((\d+(?:\.\d)?) KB, (\d+(?:\.\d)?) KB gzipped", readme).groups()
    )
    zipped = client.get("/chat/widget.js", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    plain = client.get("/chat/widget.js")

    assert zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content
    assert not plain.has_header("Content-Encoding")
    # What the README states is what goes over the wire (to within 0.5 KB below it).
    assert gzipped_kb - 0.5 <= len(zipped.content) / 1024 <= gzipped_kb + 0.05
    assert plain_kb - 1 <= len(plain.content) / 1024 <= plain_kb + 0.5


def test_files_sent_in_a_flood_are_refused_with_the_reason(post, cast, settings, monkeypatch):
    settings.BALIE_CHAT_UPLOAD_RATE_LIMIT = "3/60"
    # The flood falls within one window of the limit: on a slow machine the eight uploads
    # could straddle a minute boundary, where the fixed window starts counting afresh.
    now = time.time()
    monkeypatch.setattr(rate_limits, "time", SimpleNamespace(time=lambda: now))
    token = _start(post)
    answers = [
        post(
            "bestand",
            {"cid": f"u-{n}", "file": SimpleUploadedFile("meter.png", b"\x89PNG", "image/png")},
            token=token,
            json=False,
        )
        for n in range(8)
    ]
    assert [a.status_code for a in answers] == [201] * 3 + [429] * 5
    assert "Te veel bestanden" in answers[-1].json()["error"]
    files = Message.objects.filter(attachments__filename="meter.png").count()
    assert files == 3
