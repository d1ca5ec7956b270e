"""Quoted history and signatures: what the agent reads first is only what is new."""

from __future__ import annotations

from pathlib import Path

import pytest

from balie.messaging.connectors.email.quotes import unflow, visible_html, visible_text

BODIES = Path(__file__).parent / "fixtures" / "email" / "bodies"


def body(name: str) -> str:
    return (BODIES / name).read_text(encoding="utf-8")


def test_dutch_outlook_van_verzonden_block_in_bold():
    assert (
        visible_text(body("mail-parser-reply_email_nl_1_2_outlook_van-verzonden.txt"))
        == "Outlook met een antwoord"
    )


def test_german_am_schrieb_wrapped_over_several_lines():
    assert (
        visible_text(body("mail-parser-reply_multiline_on_de_am-schrieb.txt")) == "Am heutigen Tage"
    )


def test_german_urspruengliche_nachricht():
    text = visible_text(
        body("crisp-email-reply-parser_email_german_outlook_urspruengliche-nachricht.txt")
    )
    assert text.endswith("Fusce sed odio id arcu varius aliquet nec nec nibh.")
    assert "Ursprüngliche" not in text and "original message content" not in text


@pytest.mark.parametrize(
    "header",
    [
        "Op 18 juli 2013 10:23 schreef Sander Datema het volgende:",
        "Op 18 juli 2013 10:23 schreef Sander Datema <sander@example.nl>:",
        "Op ma 3 mrt. 2025 om 09:12 heeft Klantenservice <ks@voorbeeld-energie.nl> het volgende geschreven:",
        "Op 03-03-2025 09:12 schreef Klantenservice\n<ks@voorbeeld-energie.nl>:",
        "On Mon, Mar 3, 2025 at 9:12 AM Klantenservice <ks@voorbeeld-energie.nl> wrote:",
        "On 3 Mar 2025, at 09:12, Klantenservice\n<ks@voorbeeld-energie.nl> wrote:",
        "Am Mo., 3. März 2025 um 09:12 Uhr schrieb Klantenservice <ks@voorbeeld-energie.nl>:",
        "-----Oorspronkelijk bericht-----\nVan: Klantenservice\nOnderwerp: Re: x",
        "-----Original Message-----\nFrom: Klantenservice",
        "Van: Klantenservice <ks@voorbeeld-energie.nl>\nVerzonden: maandag 3 maart 2025 09:12\n"
        "Aan: Carla Jansen <carla.jansen@example.nl>\nOnderwerp: Re: Uw voorschot [#12]",
        "*Van:* Klantenservice <ks@voorbeeld-energie.nl>\n*Verzonden:* maandag 3 maart 2025\n"
        "*Aan:* Carla\n*Onderwerp:* Re: Uw voorschot",
        "From: Klantenservice [mailto:ks@voorbeeld-energie.nl]\nSent: Monday, March 3, 2025\n"
        "To: Carla\nSubject: RE: Your advance",
        "Von: Klantenservice\nGesendet: Montag, 3. März 2025 09:12\nAn: Carla\nBetreff: AW: x",
        "Gesendet: Montag, 3. März 2025 um 09:12 Uhr\nVon: Klantenservice\nAn: Carla\nBetreff: x",
    ],
)
def test_top_posted_reply_keeps_only_the_new_part(header):
    mail = (
        "Dank u, het klopt nu.\nNog één vraag: wanneer komt de nota?\n\n"
        f"{header}\n\nGeachte mevrouw Jansen,\n\nUw voorschot is aangepast.\n"
    )
    assert visible_text(mail) == "Dank u, het klopt nu.\nNog één vraag: wanneer komt de nota?"


def test_inline_answers_between_quotes_are_all_kept():
    mail = (
        "Op 3 maart 2025 schreef Klantenservice <ks@voorbeeld-energie.nl>:\n"
        "> Wat is uw meterstand?\n"
        "12345\n"
        "> En uw klantnummer?\n"
        ">\n"
        "> Met vriendelijke groet\n"
        "987654\n"
    )
    assert visible_text(mail) == "12345\n987654"


def test_signature_after_dashes_and_short_closing_block_are_stripped():
    assert visible_text("De meter is vervangen.\n\n-- \nCarla Jansen\n06 12345678") == (
        "De meter is vervangen."
    )
    assert visible_text(
        "Kunt u mij terugbellen?\n\nMet vriendelijke groet,\n\nCarla Jansen\nDorpsstraat 1"
    ) == ("Kunt u mij terugbellen?")
    assert visible_text("Thanks!\n\nKind regards,\nCarla\n\nSent from my iPhone") == "Thanks!"


def test_closing_followed_by_more_than_a_signature_is_kept():
    mail = (
        "Hierbij mijn vraag.\n\nMet vriendelijke groet,\nCarla\n\n"
        "PS: kunt u ook kijken naar de aansluiting van mijn moeder? Zij woont op nummer 3.\n"
        "Haar klantnummer heb ik niet.\nZij is slecht bereikbaar.\nBel liever mij.\n"
        "Dat is 06 12345678.\nAlvast bedankt.\nEn nog iets.\n"
    )
    assert visible_text(mail) == mail.strip("\n")


def test_words_that_only_look_like_a_header_are_kept():
    mail = (
        "Op maandag schreef ik u al over mijn meter.\n"
        "Van: mijn oude adres naar het nieuwe.\n"
        "Groeten uit Zwolle, en graag snel antwoord want de verhuizing is morgen.\n"
    )
    assert visible_text(mail) == mail.strip("\n")


def test_a_forward_without_own_words_keeps_everything():
    mail = "-----Original Message-----\nFrom: GitHub\nSubject: hi\n\nHello there!"
    assert visible_text(mail) == mail


def test_format_flowed_soft_breaks_are_joined():
    assert unflow("Dit is een lange \nregel.\n-- \nsig") == "Dit is een lange regel.\n-- \nsig"
    assert unflow("Dit is een lange \nregel.", delsp=True) == "Dit is een langeregel."


@pytest.mark.parametrize(
    "quote",
    [
        '<div class="gmail_quote">Op ma 3 mrt schreef…<blockquote>oud</blockquote></div>',
        '<blockquote type="cite">oud</blockquote>',
        '<div id="divRplyFwdMsg"><b>Van:</b> ks</div><div>oud</div>',
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt"><p><b>Van:</b> ks</p></div>oud',
        "<p><b><span lang=NL>Van:</span></b> ks</p><p>oud</p>",
    ],
)
def test_html_is_cut_at_the_quote(quote):
    html = f"<div><p>Dank u, het klopt nu.</p></div>{quote}"
    cut = visible_html(html)
    assert "Dank u, het klopt nu." in cut and "oud" not in cut
