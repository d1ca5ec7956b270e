"""Search as agents use it, on whichever database the suite runs (SQLite by default,
PostgreSQL when DATABASE_URL is set)."""

from __future__ import annotations

import pytest
from django.db import connection

from balie.core.actors import SYSTEM
from balie.customers.actions import create_customer
from balie.search.backends import filter_tickets, search_customers, search_ticket_ids
from balie.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "factuur*",
    "NEAR(",
    "NEAR(factuur meter, 2)",
    "body_text:factuur",
    "subject : x",
    "a OR",
    "AND",
    "-",
    "- - -",
    "()",
    "(((",
    "^factuur",
    "factuur\x00meter",
    "\x00",
    "!!!???",
    "\\",
    "%_%",
    "'; DROP TABLE tickets_message; --",
    "x" * 5000,
    "factuur " * 500,
    "😀 emoji",
    "\u202e\u200b",
    "#",
    "#-1",
    "99999999999999999999999",
]


def test_a_word_in_a_customer_message_finds_the_ticket(write_in):
    meter = write_in("Meterstand doorgeven", "Mijn meterstand is 12345, klopt de jaarafrekening?")
    write_in("Verhuizing", "Ik verhuis per 1 mei naar Utrecht.")

    assert search_ticket_ids("jaarafrekening") == [meter.pk]


def test_all_words_must_match_and_results_are_newest_first(write_in):
    older = write_in("Storing", "Sinds vanochtend geen stroom in de hele straat.")
    newer = write_in("Weer storing", "Opnieuw geen stroom, al twee uur.")
    write_in("Gas", "Geen warm water, de ketel doet het niet.")

    assert search_ticket_ids("stroom") == [newer.pk, older.pk]
    assert search_ticket_ids("geen stroom straat") == [older.pk]


def test_the_ticket_subject_is_searched(write_in):
    ticket = write_in("Teruglevering zonnepanelen", "Zie onderwerp.")

    assert search_ticket_ids("zonnepanelen") == [ticket.pk]


def test_internal_notes_are_searched_for_agents(write_in, note_on, cast):
    ticket = write_in("Vraag", "Wanneer komt de monteur?")
    note_on(ticket, cast.anna, "Netbeheerder gebeld, afspraak ingepland.")

    assert search_ticket_ids("netbeheerder") == [ticket.pk]


def test_ticket_number_with_or_without_hash(write_in):
    ticket = write_in("Vraag", "Tekst zonder dat nummer.")

    assert search_ticket_ids(f"#{ticket.pk}") == [ticket.pk]
    assert search_ticket_ids(str(ticket.pk)) == [ticket.pk]
    assert search_ticket_ids("#1") == []


def test_customer_name_number_and_address_find_their_tickets(write_in, cast):
    daan = create_customer(
        name="Daan Visser",
        identities=[("email", "daan.visser@example.nl"), ("phone", "+31612345000")],
        by=SYSTEM,
    )
    daan.contract_numbers = ["EL-2024-0042"]
    daan.save(update_fields=["contract_numbers"])
    ticket = write_in("Betalingsregeling", "Kan ik in termijnen betalen?", customer=daan)
    write_in("Andere vraag", "Niets met Daan te maken.")  # carla's; "daan" in text only

    assert ticket.pk in search_ticket_ids("Visser")
    assert search_ticket_ids(daan.number) == [ticket.pk]
    assert search_ticket_ids("daan.visser@example.nl") == [ticket.pk]
    assert search_ticket_ids("06 12345000") == [ticket.pk]
    assert search_ticket_ids("EL-2024-0042") == [ticket.pk]
    assert [c.pk for c in search_customers("visser", 10)] == [daan.pk]


def test_accents_and_case_do_not_matter(write_in):
    ticket = write_in("Café", "Ons café heeft een zakelijk contract.")

    assert search_ticket_ids("CAFÉ") == [ticket.pk]


def test_a_quoted_phrase_must_occur_as_written(write_in):
    ticket = write_in("Slimme meter", "De slimme meter geeft een foutcode.")
    write_in("Meter", "Is de meter slim genoeg?")

    assert search_ticket_ids('"slimme meter"') == [ticket.pk]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(write_in, query):
    write_in("Factuur", "De factuur van de meter klopt niet.")

    result = search_ticket_ids(query)

    assert isinstance(result, list)
    assert search_customers(query, 10) is not None
    assert Message.objects.count() == 1  # nothing dropped


def test_punctuation_only_finds_nothing(write_in):
    write_in("Factuur", "De factuur klopt niet.")

    assert search_ticket_ids("!!! ??? ...") == []
    assert search_ticket_ids("   ") == []


def test_filter_tickets_restricts_a_queryset(write_in, cast):
    hit = write_in("Verhuizing", "Ik verhuis naar Zwolle.")
    hidden = write_in("Verhuizing", "Ik verhuis ook naar Zwolle.", team=cast.techniek)
    write_in("Anders", "Iets anders.")

    visible_to_anna = filter_tickets(Ticket.objects.visible_to(cast.anna), "zwolle")

    assert list(visible_to_anna.values_list("pk", flat=True)) == [hit.pk]
    assert set(filter_tickets(Ticket.objects.all(), "zwolle").values_list("pk", flat=True)) == {
        hit.pk,
        hidden.pk,
    }
    assert filter_tickets(Ticket.objects.all(), "").count() == 3


def test_edited_and_deleted_messages_leave_the_index(write_in):
    ticket = write_in("Vraag", "Het woord is kolibrie.")
    message = ticket.messages.get()

    Message.objects.filter(pk=message.pk).update(body_text="Het woord is merel.")
    assert search_ticket_ids("kolibrie") == []
    assert search_ticket_ids("merel") == [ticket.pk]

    ticket.messages.all().delete()
    assert search_ticket_ids("merel") == []


def test_dutch_stemming_finds_the_same_on_every_database(write_in):
    # The same queries on SQLite (the embedded default) and PostgreSQL (`dutch`).
    invoice = write_in("Vraag", "Ik heb de factuur van maart nog niet ontvangen.")
    invoices = write_in("Facturen", "Mijn facturen van dit jaar kloppen niet.")
    meters = write_in("Anders", "Mijn meterstanden kloppen niet.")
    battery = write_in("Opslag", "Wanneer wordt de thuisbatterij geplaatst?")

    both = sorted([invoice.pk, invoices.pk], reverse=True)
    assert search_ticket_ids("facturen") == both
    assert search_ticket_ids("factuur") == both
    assert search_ticket_ids("Facturen") == both
    assert search_ticket_ids("ontvangst factuur") == []  # different stem
    assert search_ticket_ids("ontvangen factuur") == [invoice.pk]
    assert search_ticket_ids("meterstand") == [meters.pk]
    assert search_ticket_ids("kloppen") == sorted([invoices.pk, meters.pk], reverse=True)
    assert search_ticket_ids("thuisbatterijen") == [battery.pk]


def test_a_stemmed_match_is_marked_on_the_word_the_customer_wrote(client, cast, write_in):
    write_in("Vraag", "Ik heb de factuur van maart nog niet ontvangen.")
    client.force_login(cast.anna.user)

    page = client.get("/zoeken/", {"q": "facturen"}).content.decode()

    assert "<mark>factuur</mark>" in page


@pytest.fixture(params=["roomy", "exhausted"])
def budgets(request, monkeypatch):
    """The PostgreSQL plans with roomy budgets, where no word is rare enough to skip the probe
    (plan None probes the newest rows first), or with budgets so small that each plan gives up
    after two rows (the slice after one key) and hands over."""
    from balie.search.backends import postgresql

    if request.param == "exhausted":
        monkeypatch.setattr(postgresql, "BUDGET_FACTOR", 0.0)
        monkeypatch.setattr(postgresql, "WALK_MIN_BUDGET", 2)
        monkeypatch.setattr(postgresql, "GIN_MIN_BUDGET", 2)
        monkeypatch.setattr(postgresql, "SLICE_MARGIN", 0.01)
    else:
        monkeypatch.setattr(postgresql, "RARE_HITS", -1.0)
    return request.param


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans of the PostgreSQL backend")
def test_both_postgresql_plans_find_the_same_newest_tickets(write_in, budgets):
    from balie.search.backends import postgresql

    tickets = [
        write_in(f"Vraag {i}", "Mijn meterstand klopt niet." if i % 3 else "Zonnepanelen?")
        for i in range(12)
    ]
    with_word = sorted((t.pk for i, t in enumerate(tickets) if i % 3), reverse=True)

    for plan in (None, "walk", "gin", "slice"):  # None: probe, then the cheapest plan
        assert postgresql.message_ticket_ids("meterstand", limit=5, plan=plan) == with_word[:5]
        # Fewer hits than asked for: the walk runs out and the GIN plan answers in full.
        assert postgresql.message_ticket_ids("meterstand", limit=50, plan=plan) == with_word
        assert postgresql.subject_ticket_ids("vraag", limit=3, plan=plan) == [
            t.pk for t in reversed(tickets[-3:])
        ]
        assert postgresql.message_ticket_ids("kolibrie", limit=5, plan=plan) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans of the PostgreSQL backend")
def test_every_postgresql_plan_leaves_out_the_tickets_of_hidden_teams(write_in, cast, budgets):
    from balie.search.backends import postgresql

    # Every other ticket is Techniek's, and the newest two of all are.
    tickets = [
        write_in(f"Vraag {i}", "Mijn meterstand klopt niet.", team=cast.techniek if i % 2 else None)
        for i in range(11)
    ] + [write_in("Vraag", "Meterstand?", team=cast.techniek) for _ in range(2)]
    visible = sorted((t.pk for t in tickets if t.team_id != cast.techniek.pk), reverse=True)
    assert len(visible) == 6
    hidden = [cast.techniek.pk]

    for plan in (None, "walk", "gin", "slice"):
        found = postgresql.message_ticket_ids("meterstand", limit=3, plan=plan, hidden=hidden)
        assert found == visible[:3]
        assert (
            postgresql.message_ticket_ids("meterstand", limit=50, plan=plan, hidden=hidden)
            == visible
        )
        assert (
            postgresql.subject_ticket_ids("vraag", limit=4, plan=plan, hidden=hidden) == visible[:4]
        )


def test_plan_follows_the_expected_number_of_hits():
    from balie.search.backends.postgresql import choose_plan

    million = 3_000_000.0
    assert choose_plan(estimated_hits=25, table_rows=million, limit=50) == "gin"
    assert choose_plan(estimated_hits=700_000, table_rows=million, limit=50) == "walk"
    assert choose_plan(estimated_hits=700_000, table_rows=million, limit=500) == "walk"
    # Neither walking 30,000 rows nor fetching 5,000 hits: the hits among the newest tickets.
    assert choose_plan(estimated_hits=5_000, table_rows=million, limit=50) == "slice"
    # A word in 1 of 30 rows: walking is cheapest while a row test only reads a stored vector,
    # not when every row recomputes it.
    assert choose_plan(estimated_hits=100_000, table_rows=million, limit=500) == "walk"
    assert (
        choose_plan(estimated_hits=100_000, table_rows=million, limit=500, walk_us_per_row=2.0)
        == "slice"
    )


def test_a_word_whose_hits_cost_less_than_a_probe_skips_the_probe():
    from balie.search.backends.postgresql import skips_probe

    def skips(planner: float, table_rows: float, words: int = 1) -> bool:
        return skips_probe(
            planner=planner, table_rows=table_rows, limit=51, per_key=1.7, probe_rows=4_000,
            words=words,
        )  # fmt: skip

    # 3.2M messages: a word outside ANALYZE's common lexemes (~1,700) skips it; a medium word
    # (37,000, 1 %) and a common one (700,000) are probed.
    assert skips(1_700, 3_200_000)
    assert not skips(37_000, 3_200_000)
    assert not skips(700_000, 3_200_000)
    # 31,500 messages: a medium word (315 hits) costs less through GIN than the probe; a common
    # word (7,000) fills the page after ~400 rows, and a word in 5 % after ~1,700: probed.
    assert skips(315, 31_500)
    assert not skips(7_000, 31_500)
    assert not skips(1_575, 31_500)
    # Several words: the planner assumes they occur independently, its estimate may be far too
    # low, so only the plain rule applies.
    assert not skips(315, 31_500, words=2)
    assert skips(100, 31_500, words=2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans of the PostgreSQL backend")
def test_a_plan_switched_off_for_one_statement_stays_on_for_the_next(write_in, budgets):
    """The walk and the slice plan their statement without bitmap or index scans; every
    statement after them, in the same transaction too, is planned with both again."""
    from django.db import transaction

    from balie.search.backends import postgresql

    write_in("Vraag", "Mijn meterstand klopt niet.")
    with transaction.atomic(), connection.cursor() as cursor:
        for plan in ("walk", "slice", None):
            postgresql.message_ticket_ids("meterstand", limit=5, plan=plan)
            cursor.execute(
                "SELECT current_setting('enable_indexscan'), current_setting('enable_bitmapscan')"
            )
            assert cursor.fetchone() == ("on", "on")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans of the PostgreSQL backend")
def test_the_planner_is_asked_once_for_messages_and_subjects(write_in):
    from django.test.utils import CaptureQueriesContext

    from balie.search.backends import postgresql, search_ticket_ids

    tickets = [write_in(f"Meterstand {i}", "Mijn meterstand klopt niet.") for i in range(3)]
    planned = postgresql.planned_hits("meterstand")

    with CaptureQueriesContext(connection) as captured:
        found = search_ticket_ids("meterstand", limit=10)

    assert planned is not None and set(planned) == {"tickets_message", "tickets_ticket"}
    assert found == sorted((t.pk for t in tickets), reverse=True)
    explains = [q for q in captured.captured_queries if q["sql"].startswith("EXPLAIN")]
    assert len(explains) == 1
