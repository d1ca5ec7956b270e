"""Search is complete: an agent finds every matching ticket they may see, page after page,
however many newer matches teams they cannot see have (on SQLite by default, on PostgreSQL
when DATABASE_URL is set)."""

from __future__ import annotations

import re

import pytest

from balie.accounts.actions import create_api_token
from balie.core.actors import SYSTEM
from balie.search import backends, views
from balie.tickets.actions import update_ticket
from balie.tickets.models import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_rounds(monkeypatch):
    """Rounds of a few candidates, so that a handful of tickets needs several of them."""
    monkeypatch.setattr(backends, "CANDIDATES_PER_ROW", 1)
    monkeypatch.setattr(backends, "MIN_CANDIDATES", 2)
    monkeypatch.setattr(backends, "MAX_CANDIDATES", 8)


@pytest.fixture
def many_hidden_matches(write_in, cast):
    """Anna (Klantenservice) has 8 tickets about a heat pump; Techniek, a private team she is
    not in, has 25 newer ones among them; one of hers is about something else."""
    mine = [write_in("Warmtepomp", f"Mijn warmtepomp maakt lawaai ({i}).") for i in range(4)]
    hidden = [
        write_in("Warmtepomp", f"De warmtepomp valt uit ({i}).", team=cast.techniek)
        for i in range(25)
    ]
    mine += [write_in("Warmtepomp", f"Warmtepomp geeft foutcode E{i}.") for i in range(4)]
    other = write_in("Verhuizing", "Ik verhuis naar Zwolle.")
    return {"mine": mine, "hidden": hidden, "other": other}


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="[^"]+">#(\d+)</a></td>', html)]


def test_the_search_page_pages_through_every_visible_match(
    client, cast, many_hidden_matches, small_rounds, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    client.force_login(cast.anna.user)
    expected = sorted((t.pk for t in many_hidden_matches["mine"]), reverse=True)

    seen: list[int] = []
    url = "/zoeken/?q=warmtepomp"
    for _page in range(10):
        html = client.get(url).content.decode()
        seen += _numbers(html)
        older = re.search(r'href="(/zoeken/\?q=warmtepomp&amp;voor=\d+)"', html)
        if older is None:
            break
        url = older.group(1).replace("&amp;", "&")

    assert seen == expected
    assert "Nieuwste resultaten" in html  # a later page links back to the first


def test_the_first_page_shows_the_newest_visible_matches(client, cast, many_hidden_matches):
    client.force_login(cast.anna.user)

    html = client.get("/zoeken/", {"q": "warmtepomp"}).content.decode()

    assert _numbers(html) == sorted((t.pk for t in many_hidden_matches["mine"]), reverse=True)
    assert "Oudere resultaten" not in html
    for ticket in many_hidden_matches["hidden"]:
        assert f"#{ticket.pk}<" not in html


def test_a_bad_page_cursor_shows_the_first_page(client, cast, many_hidden_matches):
    client.force_login(cast.anna.user)

    for cursor in ("x", "-5", "9" * 40, ""):
        response = client.get("/zoeken/", {"q": "warmtepomp", "voor": cursor})
        assert response.status_code == 200
        assert len(_numbers(response.content.decode())) == 8


def _api_pages(client, params: dict) -> list[int]:
    seen: list[int] = []
    cursor = ""
    for _page in range(20):
        body = client.get("/api/v1/tickets", {**params, "cursor": cursor}).json()
        seen += [t["number"] for t in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    return seen


def test_the_apis_q_pages_through_every_visible_match(
    client, cast, many_hidden_matches, small_rounds
):
    token = create_api_token(cast.anna, name="integratie", by=SYSTEM)[1]
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    expected = sorted((t.pk for t in many_hidden_matches["mine"]), reverse=True)

    newest_first = _api_pages(client, {"view": "all", "q": "warmtepomp", "limit": 3})
    by_last_message = _api_pages(
        client, {"view": "all", "q": "warmtepomp", "limit": 3, "sort": "recent"}
    )

    assert newest_first == expected
    assert sorted(by_last_message, reverse=True) == expected
    assert len(by_last_message) == len(set(by_last_message))


def test_the_apis_q_applies_the_other_filters_before_the_page(
    client, cast, many_hidden_matches, small_rounds
):
    token = create_api_token(cast.anna, name="integratie", by=SYSTEM)[1]
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    mine = many_hidden_matches["mine"]
    for ticket in mine[4:]:
        update_ticket(ticket, by=cast.anna, status=Status.SOLVED)
    still_open = sorted((t.pk for t in mine[:4]), reverse=True)

    found = _api_pages(client, {"view": "all_open", "q": "warmtepomp", "limit": 2})

    assert found == still_open
