"""Inbox keyset pagination: every row exactly once, in order, for every sort."""

from datetime import timedelta

import pytest
from django.utils import timezone

from balie.tickets.inbox import BadCursor, Filters, filtered_tickets, page
from balie.tickets.models import Ticket
from balie.tickets.tests.factories import TicketFactory


@pytest.mark.parametrize("sort", ["recent", "oudste", "nieuw", "oud", "deadline"])
def test_paging_walks_every_ticket_once_in_order(cast, sort):
    now = timezone.now()
    for i in range(23):
        TicketFactory(
            customer=cast.carla,
            team=cast.klantenservice,
            # ties on purpose: several tickets share a time; some have no due time at all
            last_message_at=now - timedelta(minutes=i // 3),
            sla_next_due_at=None if i % 4 == 0 else now + timedelta(minutes=(i * 7) % 5),
        )
    qs = filtered_tickets(cast.anna, Filters(view="alle"))
    seen: list[int] = []
    cursor = ""
    while True:
        rows, cursor = page(qs, sort=sort, cursor=cursor, limit=5)
        seen += [t.pk for t in rows]
        if not cursor:
            break
    expected = list(page(qs, sort=sort, limit=1000)[0])
    assert seen == [t.pk for t in expected]
    assert len(seen) == len(set(seen)) == Ticket.objects.count() == 23
    if sort == "deadline":
        dues = [t.sla_next_due_at for t in expected]
        filled = [d for d in dues if d is not None]
        assert filled == sorted(filled) and dues[len(filled) :] == [None] * (
            len(dues) - len(filled)
        )


@pytest.mark.parametrize("cursor", ["!!!", "W10", "WyJ4IiwgMV0", "WzEsIDIsIDNd"])
def test_a_bad_cursor_is_refused(cast, cursor):
    with pytest.raises(BadCursor):
        page(Ticket.objects.all(), sort="recent", cursor=cursor)


def test_inbox_shows_the_deadline_countdown_and_sorts_by_it(cast, client):
    now = timezone.now()
    later = TicketFactory(
        customer=cast.carla,
        subject="Later aan de beurt",
        sla_next_due_at=now + timedelta(hours=5, minutes=10),
    )
    TicketFactory(customer=cast.carla, subject="Zonder deadline", sla_next_due_at=None)
    soon = TicketFactory(
        customer=cast.carla,
        subject="Eerst aan de beurt",
        sla_next_due_at=now - timedelta(minutes=3, seconds=30),
    )
    client.force_login(cast.anna.user)

    html = client.get("/tickets/", {"view": "alle", "sort": "deadline"}).content.decode()

    assert html.index(soon.subject) < html.index(later.subject) < html.index("Zonder deadline")
    assert "te laat" in html and "nog 5 u" in html
