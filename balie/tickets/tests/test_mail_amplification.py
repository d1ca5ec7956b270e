"""Mail amplification: a mail must not make Balie write to people who did not write to it. The
acknowledgement (and every automatic message) goes to the sender alone; a flood of Cc's is
kept to a few participants, and those get an agent's answer only when the agent keeps them;
a Reply-To is where the agent's answers go, never the automatic ones."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from balie.automation import lifecycle
from balie.tickets.models import Direction, ParticipantRole, Ticket

CARLA = "carla.jansen@example.nl"


def mail(
    *, cc: list[str] = (), reply_to: str = "", subject: str = "Mijn voorschot", to: str = ""
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Carla Jansen <{CARLA}>"
    msg["To"] = to or "klantenservice@voorbeeld-energie.nl"
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.nl")
    msg.set_content("Mijn voorschot is te hoog. Kunt u het verlagen?\n\nGroet, Carla")
    raw = bytes(msg)
    if cc:  # folded by hand: the e-mail package takes seconds to fold 10,000 addresses
        return b"Cc: " + ",\r\n ".join(cc).encode() + b"\r\n" + raw
    return raw


def everyone_mailed(mailoutbox) -> set[str]:
    return {address.lower() for sent in mailoutbox for address in sent.recipients()}


@pytest.fixture
def agent_client(client, cast):
    client.force_login(cast.anna.user)
    return client


def reply(agent_client, ticket, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            f"/tickets/{ticket.pk}/antwoord/",
            {"mode": "antwoord", "text": "Dat regelen we.", **data},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ticket.messages.filter(direction=Direction.OUTBOUND, is_automatic=False).latest("id")


def test_a_mail_with_ten_thousand_cc_is_acknowledged_to_its_sender_alone(
    cast, deliver, mailoutbox, agent_client, django_capture_on_commit_callbacks
):
    flood = [f"slachtoffer{i}@example.org" for i in range(10_000)]

    # when one mail arrives with 10,000 addresses in Cc
    deliver(mail(cc=flood))

    # then the acknowledgement went to the sender and to nobody else
    ticket = Ticket.objects.get()
    assert everyone_mailed(mailoutbox) == {CARLA}
    ack = ticket.messages.get(direction=Direction.OUTBOUND, is_automatic=True)
    assert ack.recipients["to"] == [CARLA] and ack.recipients["cc"] == []
    # and 20 of the Cc's are kept as participants; the message keeps the first 100 addresses
    # read and how many there were, the rest is only counted, never parsed or stored
    kept = list(ticket.participants.filter(role=ParticipantRole.CC).values_list("value", flat=True))
    assert kept == flood[:20]
    first = ticket.messages.get(direction=Direction.INBOUND)
    assert first.recipients["cc"] == flood[:100]
    assert first.recipients["cc_listed"] == 10_000 and first.recipients["cc_not_kept"] == 9_980
    assert "to_listed" not in first.recipients

    # and the agent is told on the ticket page, with a choice for each kept Cc
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Deze mail had 10000 adressen in Cc. 9980 daarvan zijn niet als deelnemer" in page
    assert "alleen de eerste 100 zijn gelezen en staan in dit bericht" in page
    assert page.count('name="keep_cc"') == 20
    assert f'value="{flood[0]}" checked' in page and "slachtoffer20@" not in page

    # when the agent keeps two of them on the answer
    mailoutbox.clear()
    answer = reply(
        agent_client,
        ticket,
        django_capture_on_commit_callbacks,
        cc_shown="1",
        keep_cc=[flood[3], flood[7], "indringer@example.net"],
    )

    # then the answer goes to the customer and those two only
    assert answer.recipients == {"to": [CARLA], "cc": [flood[3], flood[7]]}
    assert everyone_mailed(mailoutbox) == {CARLA, flood[3], flood[7]}


def test_a_long_to_and_cc_are_read_in_part_and_names_with_commas_count_once(
    cast, deliver, agent_client, settings
):
    settings.BALIE_MAX_RECIPIENTS_READ = 3
    to = ", ".join(
        [
            "klantenservice@voorbeeld-energie.nl",
            *(f'"Buur, nr {i}" <buur{i}@example.org>' for i in range(5)),
        ]
    )
    cc = [
        '"Jansen, Piet" <piet@example.nl>',
        "collega@example.nl",
        "(wie?) x@example.nl",
        "y@example.nl",
    ]

    deliver(mail(to=to, cc=cc))

    first = Ticket.objects.get().messages.get(direction=Direction.INBOUND)
    assert first.recipients["to"] == [
        "klantenservice@voorbeeld-energie.nl",
        "buur0@example.org",
        "buur1@example.org",
    ]
    assert first.recipients["to_listed"] == 6
    assert first.recipients["cc"] == ["piet@example.nl", "collega@example.nl", "x@example.nl"]
    assert first.recipients["cc_listed"] == 4
    page = agent_client.get(f"/tickets/{first.ticket_id}/").content.decode()
    # the three read are kept as participants, the fourth was never read, and the page says so
    participants = set(first.ticket.participants.values_list("value", flat=True))
    assert {"piet@example.nl", "collega@example.nl", "x@example.nl"} <= participants
    assert "y@example.nl" not in participants
    assert (
        "Deze mail had 4 adressen in Cc. 1 daarvan zijn niet als deelnemer bewaard" in page
        and "alleen de eerste 3 zijn gelezen en staan in dit bericht" in page
    )


def test_an_answer_with_every_cc_unticked_goes_to_the_customer_alone(
    cast, deliver, mailoutbox, agent_client, django_capture_on_commit_callbacks
):
    deliver(mail(cc=["collega@example.nl", "buurman@example.nl"]))
    ticket = Ticket.objects.get()
    mailoutbox.clear()

    answer = reply(agent_client, ticket, django_capture_on_commit_callbacks, cc_shown="1")

    assert answer.recipients["cc"] == []
    assert everyone_mailed(mailoutbox) == {CARLA}


def test_a_reply_to_a_third_party_gets_no_acknowledgement_but_the_agents_answer(
    cast, deliver, mailoutbox, agent_client, django_capture_on_commit_callbacks
):
    # when a mail asks for answers to go to someone else
    deliver(mail(reply_to="Derde <derde@example.net>"))

    # then the acknowledgement goes to the sender, not to the third party
    ticket = Ticket.objects.get()
    assert everyone_mailed(mailoutbox) == {CARLA}

    # and the agent sees where their answer will go, and why
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Vraagt antwoord aan derde@example.net (Reply-To, niet de afzender)" in page
    assert "<strong>derde@example.net</strong>" in page
    assert f"de afzender is {CARLA}, die automatische berichten krijgt" in page

    # when the agent answers, it goes where the customer asked
    mailoutbox.clear()
    answer = reply(agent_client, ticket, django_capture_on_commit_callbacks)
    assert answer.recipients["to"] == ["derde@example.net"]
    assert everyone_mailed(mailoutbox) == {"derde@example.net"}


def test_a_reminder_goes_to_the_requester_alone(
    cast, deliver, mailoutbox, agent_client, django_capture_on_commit_callbacks
):
    deliver(mail(cc=["collega@example.nl"], reply_to="derde@example.net"))
    ticket = Ticket.objects.get()
    reply(agent_client, ticket, django_capture_on_commit_callbacks, status_after="pending")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        run = lifecycle.run_lifecycle(now=ticket.updated_at + timedelta(days=10))
    assert run.reminded + run.final_notices >= 1

    reminder = ticket.messages.filter(is_automatic=True).latest("id")
    assert reminder.recipients == {"to": [CARLA], "cc": []}
    assert everyone_mailed(mailoutbox) == {CARLA}
