"""The contact page offers a channel only while an account for it is active, and tells the
phone number with what a call costs, from the phone account's settings."""

from __future__ import annotations

import re
from html import unescape

import pytest

from balie.messaging.models import ChannelAccount

pytestmark = pytest.mark.django_db


def aside_text(client, **headers) -> str:
    html = client.get("/contact/", **headers).content.decode()
    aside = html[html.index("<aside") : html.index("</aside>")]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", aside))).strip()


def account(kind: str, address: str, *, active: bool = True, **config) -> ChannelAccount:
    return ChannelAccount.objects.create(
        kind=kind, name=kind, address=address, is_active=active, config=config
    )


def test_without_a_chat_account_the_contact_page_offers_no_chat(client):
    account("email", "klantenservice@example.nl")
    account("phone", "+31 20 555 0100", call_costs="standard")
    account("whatsapp", "+31 6 5555 0100", active=False)

    text = aside_text(client)

    assert "E-mail" in text and "klantenservice@example.nl" in text
    assert "Contactformulier" in text
    assert "Telefoon" in text
    assert "Chat" not in text
    assert "WhatsApp" not in text  # its account is switched off


def test_without_any_account_only_the_form_is_offered(client):
    text = aside_text(client)

    assert "Contactformulier" in text
    for name in ("E-mail", "Telefoon", "Chat", "WhatsApp"):
        assert name not in text


def test_the_phone_number_comes_with_the_usual_call_costs(client):
    account("phone", "+31 20 555 0100", call_costs="standard")

    html = client.get("/contact/").content.decode()

    assert 'href="tel:+31205550100"' in html
    assert "Bellen kost: gebruikelijke belkosten" in aside_text(client)


def test_a_paid_line_says_its_price_per_minute_and_per_call(client):
    account("phone", "0900 123 4567", cost_per_minute="0.10", cost_per_call="0,45")

    dutch = aside_text(client)
    english = aside_text(client, HTTP_ACCEPT_LANGUAGE="en")

    assert (
        "Bellen kost: € 0,45 per gesprek en € 0,10 per minuut, plus uw gebruikelijke belkosten"
        in dutch
    )
    assert (
        "Calling costs: € 0.45 per call and € 0.10 per minute, plus your usual call charges"
        in english
    )


def test_an_admin_cannot_save_a_phone_line_without_its_costs_or_with_a_bad_price(admin_client):
    form = {"kind": "phone", "name": "Servicelijn", "address": "0900 123 4567", "is_active": "on"}

    silent = admin_client.post("/admin/messaging/channelaccount/add/", {**form, "config": "{}"})
    bad = admin_client.post(
        "/admin/messaging/channelaccount/add/",
        {**form, "config": '{"cost_per_minute": "tien cent"}'},
    )
    good = admin_client.post(
        "/admin/messaging/channelaccount/add/",
        {**form, "config": '{"cost_per_minute": "0.10"}'},
    )

    assert silent.status_code == 200 and "Vermeld wat een gesprek kost" in silent.content.decode()
    assert bad.status_code == 200 and "niet tien cent" in bad.content.decode()
    assert good.status_code == 302
    assert ChannelAccount.objects.get().config == {"cost_per_minute": "0.10"}


def test_with_an_active_chat_account_the_chat_card_has_a_button_that_opens_the_widget(client):
    account("chat", "website", origins=["self"])

    html = client.get("/contact/").content.decode()
    card = html[html.index("channel-card-chat") :]
    card = card[: card.index("</li>")]

    assert re.search(r"<button[^>]*data-balie-chat-open[^>]*>\s*Start een chat\s*</button>", card)
    assert '<script src="/chat/widget.js" data-account="website" async></script>' in card
    # the account's key is for the widget, not something to show the visitor
    assert "channel-address" not in card
    assert "<script>" not in html  # no inline script: the page's CSP allows none


def test_a_switched_off_chat_account_gives_no_chat_button(client):
    account("chat", "website", active=False, origins=["self"])

    html = client.get("/contact/").content.decode()

    assert "data-balie-chat-open" not in html and "/chat/widget.js" not in html
