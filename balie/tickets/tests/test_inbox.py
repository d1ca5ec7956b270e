"""Inbox keyset pagination: every row exactly once, in order, for every sort."""

from datetime import timedelta

import pytest
from django.utils import dateformat, timezone, translation

from balie.tickets.inbox import (
    BadCursor,
    Filters,
    filtered_tickets,
    one_team,
    page,
    shown_statuses,
)
from balie.tickets.models import Ticket
from balie.tickets.tests.factories import TicketFactory


@pytest.mark.parametrize("sort", ["recent", "least_recent", "newest", "oldest", "deadline"])
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
    qs = filtered_tickets(cast.anna, Filters(view="all"))
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


@pytest.mark.parametrize("sort", ["recent", "least_recent", "newest", "oldest", "deadline"])
@pytest.mark.parametrize("view", ["all_open", "all", "unassigned", "solved"])
def test_one_team_pages_are_the_pages_of_the_general_query(cast, sort, view):
    """The numbers-first read of one team's tickets gives the same pages, in the same order
    and with the same cursors, as the one query it replaces: here with the other team's
    tickets newest, as after a flood of mail to one team."""
    now = timezone.now()
    statuses = ["new", "open", "pending", "solved", "closed"]
    for i in range(40):
        TicketFactory(
            customer=cast.carla,
            team=cast.klantenservice if i < 17 or i % 5 == 0 else cast.techniek,
            status=statuses[i % 5],
            assignee=cast.anna if i % 3 == 0 else None,
            last_message_at=now - timedelta(minutes=40 - i // 2),
        )
    filters = Filters(view=view, team=cast.klantenservice.pk)
    assert one_team(cast.anna, filters)
    qs = filtered_tickets(cast.bram, filters)  # bram may see both teams; the filter picks one

    def walk(single_team):
        pages, cursor = [], ""
        while True:
            rows, cursor = page(qs, sort=sort, cursor=cursor, limit=4, single_team=single_team)
            pages.append(([t.pk for t in rows], cursor))
            if not cursor:
                return pages

    pages = walk(single_team=True)
    assert pages == walk(single_team=False)
    shown = [pk for numbers, _cursor in pages for pk in numbers]
    assert shown and len(shown) == len(set(shown)) == qs.count()
    assert set(Ticket.objects.filter(pk__in=shown).values_list("team", flat=True)) == {
        cast.klantenservice.pk
    }


@pytest.mark.parametrize(
    "filters",
    [
        Filters(view="solved"),
        Filters(view="all", status=("solved", "closed")),
        Filters(view="solved", team=1),
    ],
    ids=["solved", "solved or closed", "solved of one team"],
)
def test_deadline_pages_read_status_by_status_are_the_pages_of_the_general_query(cast, filters):
    """Solved tickets sorted by deadline are read per status and merged: the same pages, in
    the same order and with the same cursors, as the one query, also when some of them do
    carry a due time (an old row, an import) and several share one."""
    now = timezone.now()
    statuses = ["solved", "closed", "pending", "open"]
    for i in range(30):
        TicketFactory(
            customer=cast.carla,
            team=cast.klantenservice if i % 2 else None,
            status=statuses[i % 4],
            sla_next_due_at=now + timedelta(minutes=i % 3) if i % 5 == 0 else None,
        )
    if filters.team is not None:
        filters = Filters(view=filters.view, team=cast.klantenservice.pk)
    statuses_shown = shown_statuses(filters)
    assert len(statuses_shown) > 1
    qs = filtered_tickets(cast.anna, filters)

    def walk(statuses):
        pages, cursor = [], ""
        while True:
            rows, cursor = page(qs, sort="deadline", cursor=cursor, limit=4, statuses=statuses)
            pages.append(([t.pk for t in rows], cursor))
            if not cursor:
                return pages

    pages = walk(statuses_shown)
    assert pages == walk(())
    shown = [pk for numbers, _cursor in pages for pk in numbers]
    assert shown and len(shown) == len(set(shown)) == qs.count()


def test_shown_statuses_follow_the_view_and_the_status_filter():
    assert shown_statuses(Filters(view="solved")) == ("solved", "closed")
    assert shown_statuses(Filters(view="all", status=("open",))) == ("open",)
    assert shown_statuses(Filters(view="all_open", status=("solved",))) == ()
    assert len(shown_statuses(Filters(view="all"))) == 6


def test_one_team_is_a_team_filter_or_the_teams_view_of_an_agent_in_one_team(cast):
    assert one_team(cast.anna, Filters(view="all", team=cast.techniek.pk))
    assert one_team(cast.anna, Filters(view="team"))  # anna is in Klantenservice only
    assert not one_team(cast.anna, Filters(view="all_open"))
    cast.anna.teams.add(cast.techniek)
    cast.anna._team_ids = None
    assert not one_team(cast.anna, Filters(view="team"))


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

    html = client.get("/tickets/", {"view": "all", "sort": "deadline"}).content.decode()

    assert html.index(soon.subject) < html.index(later.subject) < html.index("Zonder deadline")
    assert "te laat" in html and "nog 5 u" in html


def _row(html: str, number: int) -> str:
    start = html.index(f'<a href="/tickets/{number}/">#{number}</a>')
    return html[html.rindex("<tr", 0, start) : html.index("</tr>", start)]


def test_an_inbox_row_shows_each_cell_with_its_whole_text_and_exact_moments(cast, client):
    """Given an assigned ticket due in a little over two hours whose customer wrote five
    minutes ago, and an unassigned one of no team, due yesterday and last written to in an
    earlier year, when the inbox is shown in Dutch and in English, then each row shows its
    number, subject, customer, channel, status, priority, team, assignee, countdown and
    relative time, the exact moments in the titles."""
    now = timezone.now()
    due = now + timedelta(hours=2, minutes=15, seconds=30)
    wrote = now - timedelta(minutes=5, seconds=20)
    mine = TicketFactory(
        customer=cast.carla,
        subject='Meterstand <doorgeven> & "vraag"',
        team=cast.klantenservice,
        assignee=cast.anna,
        priority="high",
        status="open",
        sla_next_due_at=due,
        last_message_at=wrote,
    )
    old = timezone.localtime(now).replace(year=timezone.localtime(now).year - 1, month=3, day=2)
    loose = TicketFactory(
        customer=cast.carla,
        channel="whatsapp",
        sla_next_due_at=now - timedelta(days=1, hours=3, seconds=10),
        last_message_at=old,
    )
    client.force_login(cast.anna.user)

    html = client.get("/tickets/", {"view": "all", "sort": "newest"}).content.decode()

    row = _row(html, mine.pk)
    subject = "Meterstand &lt;doorgeven&gt; &amp; &quot;vraag&quot;"
    assert f'title="{subject}">{subject}</a>' in row
    assert 'title="Carla Jansen">Carla Jansen</td>' in row
    assert '<span class="badge status-open">Open</span>' in row
    assert '<span class="prio prio-high">Hoog</span>' in row
    assert 'title="Klantenservice">Klantenservice</td>' in row
    assert 'title="Anna de Vries">Anna de Vries</td>' in row
    with translation.override("nl"):
        exact_due = dateformat.format(timezone.localtime(due), "j b Y H:i")
    assert f'<span class="sla sla-ok" title="{exact_due}">nog 2 u 15 min</span>' in row
    local = timezone.localtime(wrote)
    assert f'<time datetime="{local.isoformat()}" title="' in row
    assert ">5 minuten geleden</time>" in row

    other = _row(html, loose.pk)
    assert "WhatsApp</span>" in other
    assert 'data-label="Team" title="—">—</td>' in other
    assert '<span class="muted">niet toegewezen</span>' in other
    assert ">1 d 3 u te laat</span>" in other and 'class="sla sla-late"' in other
    assert f">2 mrt {old.year}</time>" in other

    client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})
    english = client.get("/tickets/", {"view": "all", "sort": "newest"}).content.decode()
    assert ">5 minutes ago</time>" in _row(english, mine.pk)
    assert ">1 d 3 h overdue</span>" in _row(english, loose.pk)


def test_the_filters_list_the_teams_and_agents_as_they_are_after_each_change(cast, client):
    """Given anna, in Klantenservice only, when an admin adds her to the private team
    Techniek, renames a team, adds a team, deactivates bram or adds an agent, then her next
    inbox page lists the teams and agents as they now are (the lists are kept per process,
    and every change drops them)."""
    from balie.accounts.tests.factories import AgentFactory, TeamFactory, UserFactory

    client.force_login(cast.anna.user)

    def lists() -> tuple[list[str], list[str]]:
        response = client.get("/tickets/", {"view": "alle-open"})
        form = response.context["form"]
        teams = [label for value, label in form.fields["team"].choices if value]
        agents = [str(label) for value, label in form.fields["assignee"].choices]
        return teams, agents

    teams, agents = lists()
    assert teams == ["Klantenservice"] and "Bram Bakker" in agents

    cast.anna.teams.add(cast.techniek)
    assert lists()[0] == ["Klantenservice", "Techniek"]

    cast.klantenservice.name = "Klantcontact"
    cast.klantenservice.save(update_fields=["name"])
    TeamFactory(name="Facturen", slug="facturen")
    assert lists()[0] == ["Facturen", "Klantcontact", "Techniek"]

    cast.bram.user.is_active = False
    cast.bram.user.save(update_fields=["is_active"])
    AgentFactory(user=UserFactory(username="cees"), display_name="Cees Claassen")
    agents = lists()[1]
    assert "Bram Bakker" not in agents and "Cees Claassen" in agents

    cast.anna.teams.remove(cast.techniek)
    assert lists()[0] == ["Facturen", "Klantcontact"]
