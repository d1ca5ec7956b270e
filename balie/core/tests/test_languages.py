"""Dutch by default, English on request: the language switch, the English pages and e-mails, and
the English translation file kept complete (every string translated, committed compiled)."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from balie.core.actors import SYSTEM
from balie.customers.actions import create_customer
from balie.intake import pipeline as ingest
from balie.tickets import actions
from balie.tickets.models import Ticket

ENGLISH = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"


def choose_english(client, next_url: str):
    """What the EN button in the header does."""
    return client.post("/i18n/setlang/", {"language": "en", "next": next_url}, follow=True)


# --- pages ----------------------------------------------------------------------------------


def test_the_contact_form_is_dutch_until_the_visitor_chooses_english(cast, client):
    dutch = client.get("/contact/").content.decode()
    assert '<html lang="nl">' in dutch
    assert "Neem contact met ons op" in dutch
    assert "Uw bericht" in dutch

    english = choose_english(client, "/contact/").content.decode()

    assert '<html lang="en">' in english
    assert "<h1>Contact us</h1>" in english
    assert "Your message" in english
    assert "Other ways to reach us" in english
    assert "Neem contact met ons op" not in english
    # ...and it stays English on the next page the visitor opens.
    assert "Contact us" in client.get("/contact/").content.decode()


def test_a_browser_asking_for_english_gets_the_contact_form_in_english(cast, client):
    page = client.get("/contact/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").content.decode()

    assert "Contact us" in page
    assert "Neem contact met ons op" not in page


def test_the_agent_inbox_in_english(cast, client):
    client.force_login(cast.anna.user)
    assert "Mijn tickets" in client.get("/tickets/").content.decode()

    page = choose_english(client, "/tickets/").content.decode()

    assert "My tickets" in page
    assert "Waiting for customer" in page  # a view, and a status in the filter
    assert "Log a contact" in page
    assert "Mijn tickets" not in page
    assert "Wacht op klant" not in page


def test_the_ticket_page_writes_dates_the_english_way(cast, client):
    ticket = actions.create_ticket(
        customer=cast.carla,
        subject="Voorschot",
        channel="phone",
        by=SYSTEM,
        team=cast.klantenservice,
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=datetime(2025, 3, 3, 14, 5, tzinfo=AMSTERDAM)
    )
    client.force_login(cast.anna.user)
    dutch = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "3 mrt 2025 14:05" in dutch
    assert "Aangemaakt" in dutch

    english = choose_english(client, f"/tickets/{ticket.pk}/").content.decode()

    assert "3 Mar 2025 14:05" in english
    assert "Created" in english
    assert "Phone" in english  # the channel it came in through
    assert "Back to tickets" in english


# --- e-mail ---------------------------------------------------------------------------------


def write_in(sender: str, text: str, mailoutbox, capture) -> EmailMessage:
    """A customer mails the service desk; returns the acknowledgement they get back."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "klantenservice@voorbeeld-energie.nl"
    mail["Subject"] = "Advance payment"
    mail.set_content(text)
    with capture(execute=True):
        ingest.receive(channel="email", raw=bytes(mail))
    sent = [m for m in mailoutbox if sender in m.to]
    assert len(sent) == 1, f"expected one acknowledgement to {sender}, got {len(sent)}"
    return sent[0].message()


def test_a_customer_whose_language_is_english_gets_the_acknowledgement_in_english(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    create_customer(
        name="Jane Smith", language="en", identities=[("email", "jane@example.com")], by=SYSTEM
    )

    ack = write_in(
        "jane@example.com",
        "Is my advance too high?",
        mailoutbox,
        django_capture_on_commit_callbacks,
    )

    ticket = Ticket.objects.get(customer__name="Jane Smith")
    body = ack.get_content()
    assert ack["Content-Language"] == "en"
    assert body.startswith("Dear Jane Smith,")
    assert (
        f"Thank you for your message. We have received it under ticket number #{ticket.pk}." in body
    )
    assert re.search(
        rf"You will have our answer by ({WEEKDAYS}) \d{{1,2}} ({MONTHS}) at \d\d:\d\d\.", body
    ), body
    assert "Kind regards,\nVoorbeeld Energie" in body
    assert "Bedankt" not in body


def test_a_dutch_customer_still_gets_the_acknowledgement_in_dutch(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    ack = write_in(
        cast.carla_email,
        "Is mijn voorschot te hoog?",
        mailoutbox,
        django_capture_on_commit_callbacks,
    )

    body = ack.get_content()
    assert body.startswith("Beste Carla Jansen,")
    assert "Bedankt voor uw bericht." in body
    assert "Thank you" not in body


# --- the translation file -------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return f"{self.msgctxt}|{self.msgid}" if self.msgctxt else self.msgid


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (obsolete #~ entries and the header left out)."""
    entries: list[Entry] = []
    entry, target = Entry(), None

    def finish() -> None:
        nonlocal entry, target
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry, target = Entry(), None

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):  # comments open the next entry
            if target is not None:
                finish()
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith('"'):
            kind, index = target
            value = ast.literal_eval(line)
            if kind == "msgstr":
                entry.msgstr[index] += value
            else:
                setattr(entry, kind, (getattr(entry, kind) or "") + value)
        else:
            keyword, _, literal = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                finish()
            value = ast.literal_eval(literal)
            if keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if "[" in keyword else 0
                entry.msgstr[index] = value
                target = ("msgstr", index)
            else:
                setattr(entry, keyword, value)
                target = (keyword, 0)
    finish()
    return [e for e in entries if e.msgid]


@pytest.fixture(scope="module")
def english_entries() -> list[Entry]:
    return read_po(ENGLISH / "django.po")


def test_the_po_reader_sees_the_whole_english_file(english_entries):
    source = (ENGLISH / "django.po").read_text(encoding="utf-8")
    live = len(re.findall(r"^msgid ", source, flags=re.MULTILINE)) - 1  # minus the header
    assert len(english_entries) == live
    assert any(e.msgid_plural for e in english_entries)
    ack = next(
        e for e in english_entries if e.msgid == "U krijgt uiterlijk %(day)s om %(time)s antwoord."
    )
    assert ack.msgstr == {0: "You will have our answer by %(day)s at %(time)s."}


def test_every_english_entry_is_translated_and_none_is_fuzzy(english_entries):
    """New Dutch strings need an English translation: run `make messages` and translate what
    it lists here."""
    missing = [
        e.name
        for e in english_entries
        if "fuzzy" in e.flags
        or not e.msgstr
        or not all(e.msgstr.values())
        or (e.msgid_plural and len(e.msgstr) < 2)
    ]

    assert not missing, f"{len(missing)} English entries untranslated or fuzzy:\n" + "\n".join(
        missing
    )


PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\{[^}]*\}\}")


def test_english_keeps_every_placeholder(english_entries):
    broken = []
    for e in english_entries:
        sources = [e.msgid] if not e.msgid_plural else [e.msgid, e.msgid_plural]
        for index, text in e.msgstr.items():
            source = sources[min(index, len(sources) - 1)]
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                broken.append(f"{e.name!r} -> {text!r}")

    assert not broken, "placeholders differ:\n" + "\n".join(broken)


def test_the_committed_mo_file_matches_the_po_file(english_entries):
    """`make run` shows English without compiling: the .mo must hold what the .po says."""
    with (ENGLISH / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    stale = []
    for e in english_entries:
        if e.msgid_plural:
            got = [catalog.ngettext(e.msgid, e.msgid_plural, n) for n in (1, 2)]
            want = [e.msgstr.get(0), e.msgstr.get(1)]
        elif e.msgctxt:
            got, want = catalog.pgettext(e.msgctxt, e.msgid), e.msgstr[0]
        else:
            got, want = catalog.gettext(e.msgid), e.msgstr[0]
        if got != want:
            stale.append(e.name)

    assert not stale, "recompile with `make messages`; stale in django.mo:\n" + "\n".join(stale)


def test_the_language_models_are_loaded_at_start_not_by_the_first_mail():
    """The web server and the worker call `warm_up` when they start (config/asgi.py, the
    worker's init): afterwards the detector is there, and it reads English and Dutch."""
    from balie.core import language_detection
    from config.celery import _warm_up

    _warm_up()
    assert language_detection._detector is not None
    assert (
        language_detection.detect_language(
            "Dear customer service, my meter reading on the last bill is wrong."
        )
        == "en"
    )
    assert (
        language_detection.detect_language(
            "Beste klantenservice, de meterstand op mijn laatste rekening klopt niet."
        )
        == "nl"
    )
