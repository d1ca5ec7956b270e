"""The SLA report on a small known data set: compliance, median and p90 in business and wall
time, per team and channel, on screen and as CSV; only team leads and admins."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from balie.accounts.models import Role
from balie.accounts.tests.factories import AgentFactory, UserFactory
from balie.sla.models import Calendar, SlaClock, SlaPolicy
from balie.tickets.models import Ticket
from balie.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
PERIOD = {"van": "2027-03-01", "tot": "2027-03-31"}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=AMS)


def ticket(cast, *, team, channel, created, first_response=None, solved=None, clocks=()):
    made = TicketFactory(customer=cast.carla, team=team, channel=channel)
    Ticket.objects.filter(pk=made.pk).update(
        created_at=created, first_response_at=first_response, solved_at=solved
    )
    policy, calendar = SlaPolicy.objects.first(), Calendar.objects.first()
    for kind, state, breached in clocks:
        SlaClock.objects.create(
            ticket=made,
            policy=policy,
            calendar=calendar,
            kind=kind,
            state=state,
            target_seconds=3600,
            warn_seconds=2700,
            started_at=created,
            resumed_at=created,
            breached_at=created if breached else None,
        )
    return made


@pytest.fixture
def known_data(cast):
    ks, tech = cast.klantenservice, cast.techniek
    met, breached = ("met", False), ("met", True)
    fr = "first_response"
    ticket(
        cast,
        team=ks,
        channel="email",
        created=at(1, 9),
        first_response=at(1, 9, 10),
        solved=at(1, 11),
        clocks=[(fr, *met), ("resolution", *met)],
    )
    ticket(
        cast,
        team=ks,
        channel="email",
        created=at(2, 9),
        first_response=at(2, 9, 20),
        solved=at(2, 13),
        clocks=[(fr, *met), ("resolution", *met)],
    )
    ticket(
        cast,
        team=ks,
        channel="email",
        created=at(3, 9),
        first_response=at(3, 9, 30),
        clocks=[(fr, *breached), ("resolution", "running", False)],
    )
    ticket(
        cast,
        team=ks,
        channel="email",
        created=at(4, 9),
        first_response=at(4, 9, 40),
        clocks=[(fr, *met)],
    )
    # Friday 17:00 to Monday 09:00: chat is open Fri 17-18, Sat 10-14 and Mon 8-9 = 6 hours.
    ticket(
        cast,
        team=tech,
        channel="chat",
        created=at(5, 17),
        first_response=at(8, 9),
        clocks=[(fr, *breached)],
    )
    ticket(
        cast, team=ks, channel="email", created=at(2, 9, month=4), first_response=at(2, 10, month=4)
    )


@pytest.fixture
def admin_client(client, cast):
    admin = AgentFactory(user=UserFactory(username="dirk"), display_name="Dirk", role=Role.ADMIN)
    client.force_login(admin.user)
    return client


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_csv_has_the_known_figures_in_business_time(admin_client, known_data):
    response = admin_client.get("/rapportages/sla/export.csv", PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="sla-20270301-20270331.csv"' in response["Content-Disposition"]
    rows = {(r["indeling"], r["groep"]): r for r in csv_rows(response)}
    assert set(rows) == {
        ("team", "Klantenservice"),
        ("team", "Techniek"),
        ("kanaal", "E-mail"),
        ("kanaal", "Chat"),
    }
    ks = rows[("team", "Klantenservice")]
    assert ks["tickets"] == "4"
    assert (ks["eerste reactie gehaald"], ks["eerste reactie overschreden"]) == ("3", "1")
    assert ks["eerste reactie naleving (%)"] == "75.0"
    assert ks["oplossing naleving (%)"] == "100.0"
    assert (ks["eerste reactie mediaan (min)"], ks["eerste reactie p90 (min)"]) == ("25.0", "37.0")
    assert (ks["oplossing mediaan (min)"], ks["oplossing p90 (min)"]) == ("180.0", "228.0")
    assert ks["tijd"] == "zakelijke tijd"
    chat = rows[("kanaal", "Chat")]
    assert chat["eerste reactie mediaan (min)"] == "360.0"
    assert chat["eerste reactie naleving (%)"] == "0.0"
    assert rows[("kanaal", "E-mail")]["tickets"] == "4"


def test_wall_clock_time_counts_the_weekend(admin_client, known_data):
    response = admin_client.get("/rapportages/sla/export.csv", {**PERIOD, "tijd": "klok"})

    rows = {(r["indeling"], r["groep"]): r for r in csv_rows(response)}
    assert rows[("kanaal", "Chat")]["eerste reactie mediaan (min)"] == str(64 * 60) + ".0"
    assert rows[("kanaal", "Chat")]["tijd"] == "kloktijd"
    assert rows[("team", "Klantenservice")]["eerste reactie p90 (min)"] == "37.0"


def test_report_page_shows_both_tables(admin_client, known_data):
    response = admin_client.get("/rapportages/sla/", PERIOD)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Per team" in page and "Per kanaal" in page
    assert '75,0% <span class="muted">(3/4)</span>' in page
    assert "6 u 0 min" in page  # the chat's business-time first response
    assert "export.csv?" in page


def test_team_lead_sees_only_teams_they_may_see_and_agents_not_at_all(client, cast, known_data):
    lead = AgentFactory(
        user=UserFactory(username="lotte"),
        display_name="Lotte",
        role=Role.TEAM_LEAD,
        teams=[cast.klantenservice],
    )
    client.force_login(cast.anna.user)
    assert client.get("/rapportages/sla/", PERIOD).status_code == 403

    client.force_login(lead.user)
    rows = csv_rows(client.get("/rapportages/sla/export.csv", PERIOD))
    assert {(r["indeling"], r["groep"]) for r in rows} == {
        ("team", "Klantenservice"),
        ("kanaal", "E-mail"),
    }


def test_a_reversed_period_is_refused(admin_client):
    response = admin_client.get("/rapportages/sla/", {"van": "2027-03-31", "tot": "2027-03-01"})
    assert response.status_code == 400
    assert "De einddatum ligt vóór de begindatum." in response.content.decode()


def test_report_runs_a_fixed_number_of_queries(
    admin_client, known_data, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        admin_client.get("/rapportages/sla/export.csv", {**PERIOD, "tijd": "klok"})
