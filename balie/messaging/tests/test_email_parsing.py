"""What an agent sees of each real-world mail: sender, subject, the new text, attachments and
whether a machine wrote it. One test per fixture in fixtures/email/."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from balie.messaging.connectors.base import Automatic, RejectedInput
from balie.messaging.connectors.email.html_body import html_to_text
from balie.messaging.connectors.email.parsing import decode_bytes, parse_email

FIXTURES = Path(__file__).parent / "fixtures" / "email"


def parse(name: str, *, prefix: bytes = b""):
    return parse_email(prefix + (FIXTURES / name).read_bytes(), fallback_id="sha256:envelope")


def test_every_fixture_parses_without_crashing():
    names = sorted(p.name for p in FIXTURES.glob("*.eml"))
    assert len(names) == 17
    for name in names:
        if name == "flanker_attached-pdf.eml":
            continue  # has no From header: refused, see below
        inbound = parse(name)
        assert inbound.sender.value and "@" in inbound.sender.value, name
        assert inbound.full_text.strip(), name


def test_dutch_reply_with_leading_blank_line_shows_only_the_answer():
    inbound = parse("discourse_dutch_reply_op-schreef.eml")

    assert inbound.sender.value == "walter.white@googlemail.com"
    assert inbound.sender.name == "Walter White"
    assert inbound.subject == "Re: [Discourse] new reply to your post in 'Crystal Blue'"
    assert inbound.text == "Dit is een antwoord in het Nederlands."
    assert "Dit is de originele post." in inbound.full_text
    assert inbound.mail.message_id == "4597127794206131679@unknownmsgid"
    assert inbound.mail.in_reply_to == "51efeb9b36c34_66dc2dfce6811866@discourse.mail"
    assert inbound.mail.references == (
        "topic/5043@discourse.org",
        "51efeb9b36c34_66dc2dfce6811866@discourse.mail",
    )
    assert inbound.sent_at == datetime.fromisoformat("2013-07-24T15:59:10+01:00")
    assert (
        inbound.mail.to[0].value
        == "reply+cd480e301683c9902891f15968bf07a5@appmail.adventuretime.ooo"
    )
    assert not inbound.automatic


def test_thunderbird_quote_above_the_answer_is_dropped_and_flowed_text_joined():
    inbound = parse("zammad_mail005_thunderbird_de_reply_am-schrieb_quoted.eml")

    assert inbound.sender.value == "marc.smith@example.com"
    assert inbound.sender.name == "Marc Smith"
    assert inbound.subject == "Re: XXXX Betatest Ticket Templates [Ticket#11162]"
    assert inbound.text.startswith("Hallo Martin,")
    assert "John und ich könnten leider nur am Freitag, da wir Donnerstag und nächste Woche" in (
        inbound.text
    )
    assert "Grüße aus Bonn" in inbound.text
    assert "schrieb" not in inbound.text and "super! Ich freu mich!" not in inbound.text
    assert "super! Ich freu mich!" in inbound.full_text


def test_outlook_german_reply_cuts_at_the_von_gesendet_block():
    inbound = parse("zammad_mail003_outlook-exchange_de_reply_von-gesendet_iso-8859-1.eml")

    assert inbound.sender.name == "Günther John | Example GmbH"
    assert inbound.text.startswith("Hallo Fritz,\n\nich möchte mich gern für den Beta-Test")
    assert "Gesendet:" not in inbound.text and "ich versuche an den Punkten" not in inbound.text
    assert "ich versuche an den Punkten anzuknüpfen" in inbound.full_text
    # the HTML part is cut at the same place and sanitised
    assert "Hallo Martin" in inbound.html or "Beta-Test" in inbound.html
    assert "Gesendet" not in inbound.html and "<style" not in inbound.mail.full_html
    assert len(inbound.mail.references) == 4


def test_html_only_forward_gets_readable_text_and_keeps_the_forwarded_content():
    inbound = parse("zammad_mail036_html-only_de_forward_webde.eml")

    assert inbound.subject == "Fw: Zugangsdaten"
    # A forward without a note of its own: nothing is hidden from the agent.
    assert "Um noch vertrauter zu werden" in inbound.text
    assert "<div" not in inbound.text and "&nbsp;" not in inbound.text
    assert "“spielen”" in inbound.text
    assert 'href="http://web.de"' in inbound.html and 'rel="noopener' in inbound.html


def test_postfix_bounce_names_the_returned_message_and_the_reason():
    inbound = parse("zammad_mail033_postfix_bounce_dsn_multipart-report.eml")

    assert inbound.automatic == Automatic.BOUNCE
    assert inbound.automatic_reason == "multipart/report; report-type=delivery-status"
    assert inbound.mail.bounced_message_ids[0] == "20150830145601.30.608881@edenhofer.zammad.com"
    assert "not_existing@znuny.com" in inbound.mail.bounce_detail
    assert "5.1.1" in inbound.mail.bounce_detail and "User unknown" in inbound.mail.bounce_detail
    assert inbound.mail.bounce_permanent is True
    assert "is somebody there?" not in inbound.text  # the returned mail is not the body
    assert inbound.attachments == ()


def test_gmail_delay_notice_is_not_permanent():
    inbound = parse("zammad_mail078_gmail_dsn_delay.eml")

    assert inbound.automatic == Automatic.BOUNCE
    assert inbound.mail.bounce_permanent is False
    assert (
        "bob.smith@example.de" in inbound.mail.bounce_detail
        and "4.4.1" in inbound.mail.bounce_detail
    )
    assert "20150830145601.30.608881@example.com" in inbound.mail.bounced_message_ids
    assert "vorübergehendes Problem" in inbound.text


def test_gmail_hard_bounce_with_empty_report_uses_failed_recipients_and_smtp_answer():
    inbound = parse("chatwoot_bounced_gmail_dsn.eml")

    assert inbound.automatic == Automatic.BOUNCE
    assert inbound.mail.bounced_message_ids == (
        "conversation/93775311-9416-4428-964b-862001f8a8b2/messages/27855337@gmail.com",
    )
    assert inbound.mail.bounce_detail.startswith("alex.jones@fictionalcorp.com: 550 5.1.1")
    assert inbound.mail.bounce_permanent is True


def test_machine_notification_is_bulk():
    inbound = parse("zammad_mail089_servicenow_auto-submitted_precedence-bulk.eml")

    assert inbound.automatic == Automatic.BULK
    assert inbound.automatic_reason == "Auto-Submitted: auto-generated"
    assert inbound.text == "Incident content"


def test_auto_reply_with_encoded_arabic_sender_and_subject():
    inbound = parse("chatwoot_auto-reply_x-autoreply_auto-submitted_precedence.eml")

    assert inbound.automatic == Automatic.AUTO_REPLY
    assert inbound.automatic_reason == "Auto-Submitted: auto-replied"
    assert inbound.sender.name == "متجر سوق نت"
    assert inbound.subject.startswith("أهلين عميلنا الكريم")
    assert inbound.text.startswith("أنظروا")
    # The same id twice, comma separated: one id
    assert inbound.mail.in_reply_to == "4e6e35f5a38b4_479f13bb90078178@small-app-01.mail"


def test_read_receipt_is_a_receipt_for_the_original_message():
    inbound = parse("flanker_disposition-notification_read-receipt.eml")

    assert inbound.automatic == Automatic.RECEIPT
    assert inbound.mail.in_reply_to == "199509192301.23456@example.org"
    assert "has been displayed" in inbound.text
    assert inbound.sent_at is not None and inbound.sent_at.tzinfo is not None


def test_invoice_attachment_is_kept():
    inbound = parse("zammad_mail026_de_invoice_with_attachment.eml")

    assert inbound.subject == "Ihre Rechnung als PDF-Dokument"
    assert [(a.filename, a.content_type, a.content) for a in inbound.attachments] == [
        ("invoice_gatede_B181347.txt", "text/plain", b"some text")
    ]
    assert "Düsseldorf" in inbound.text


def test_encoded_subject_with_umlauts_and_signature_after_dashes():
    inbound = parse("zammad_mail002_apple_iso-8859-1_qp_encoded-subject.eml")

    assert inbound.subject == "aaäöüßad asd"
    assert inbound.text == "äöüß ad asd\n\n-Martin"
    assert "Old programmers never die" in inbound.full_text


def test_raw_8bit_windows_1250_contact_form_without_mime_version():
    inbound = parse("zammad_mail068_contact-form_windows-1250_raw-8bit_crlf.eml")

    assert inbound.sender.value == "xxxxx@xxxxx.cz"
    assert inbound.subject == "Contact from Server"
    assert inbound.mail.message_id == "20180802145828.58E7387959@mail.xxxxxx.cz"
    assert "Čtvrtek 2. srpna 2018" in inbound.text
    assert "garáž není jeho, ale strýce" in inbound.text
    assert "<span" not in inbound.text


def test_windows_1258_french_complaint():
    inbound = parse("zammad_mail072_windows-1258_fr_complaint.eml")

    assert inbound.sender.name == "Valérie Oury"
    assert inbound.subject == "Réclamation commande n° 018255977840"
    assert "ma commande du 14 août 2018 référencée ci-dessus" in inbound.text


def test_english_outlook_reply_shows_only_hello():
    inbound = parse("talon_standard_replies_outlook_en_from-sent-to.eml")

    assert inbound.sender.value == "me@example.com"
    assert inbound.text == "Hello"
    assert "The manager has commented" in inbound.full_text


def test_original_message_block_is_history():
    inbound = parse("django-helpdesk_forwarded-message.eml")

    assert inbound.text == "This is email body"
    assert "GitHub API" in inbound.full_text


def test_mail_without_from_is_refused_and_its_pdf_is_kept_once_it_has_a_sender():
    with pytest.raises(RejectedInput, match="From"):
        parse("flanker_attached-pdf.eml")

    inbound = parse("flanker_attached-pdf.eml", prefix=b"From: klant@example.nl\n")
    assert inbound.text == "Test - body content"
    (pdf,) = inbound.attachments
    assert pdf.filename == "test.pdf" and pdf.content_type == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.3")


# --- constructed cases ----------------------------------------------------------------------


def test_wrongly_labelled_windows_1252_shows_euro_and_dashes():
    raw = (
        b"From: Carla Jansen <carla.jansen@example.nl>\r\n"
        b"Subject: =?iso-8859-1?Q?Voorschot_=80_120_=96_te_hoog?=\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"Mijn voorschot is \x80 120 \x96 dat is te hoog. \x93Graag\x94 aanpassen.\r\n"
    )
    inbound = parse_email(raw, fallback_id="sha256:x")

    assert inbound.subject == "Voorschot € 120 – te hoog"
    assert inbound.text == "Mijn voorschot is € 120 – dat is te hoog. “Graag” aanpassen."


def test_us_ascii_label_with_8bit_bytes_and_unknown_charset_never_crash():
    assert decode_bytes(b"\x80 5", "us-ascii") == "€ 5"
    assert decode_bytes("Straße".encode(), "iso-8859-1") == "Straße"  # really utf-8
    assert decode_bytes(b"caf\xe9", "x-no-such-charset") == "café"
    assert decode_bytes(b"\x81\x8d", "utf-8") == "\x81\x8d"  # latin-1 as the last resort


def test_missing_message_id_uses_the_envelope_id():
    raw = b"From: a@example.nl\r\nSubject: hoi\r\n\r\nTekst\r\n"
    inbound = parse_email(raw, fallback_id="sha256:abc")

    assert inbound.mail.message_id == "" and inbound.external_id == "sha256:abc"


def test_html_is_sanitised_before_anyone_sees_it():
    msg = EmailMessage()
    msg["From"] = "boef@example.com"
    msg["Subject"] = "Klik hier"
    msg.set_content(
        "<p onclick='steal()'>Hallo <b>daar</b><script>alert(1)</script>"
        "<img src=x onerror=alert(2)><a href='javascript:alert(3)'>klik</a>"
        "<a href='https://example.com/'>site</a><style>p{}</style></p>",
        subtype="html",
    )
    inbound = parse_email(bytes(msg), fallback_id="sha256:x")

    for html in (inbound.html, inbound.mail.full_html):
        assert "<script" not in html and "alert(1)" not in html
        assert "onerror" not in html and "onclick" not in html and "javascript:" not in html
        assert "<style" not in html
        assert "<b>daar</b>" in html
        assert 'href="https://example.com/"' in html and 'rel="noopener' in html
    assert inbound.text.startswith("Hallo daar")
    assert "alert" not in inbound.text


def test_oversized_and_blocked_attachments_are_refused_with_a_reason(settings):
    settings.BALIE_ATTACHMENT_MAX_BYTES = 1000
    msg = EmailMessage()
    msg["From"] = "carla.jansen@example.nl"
    msg["Subject"] = "=?utf-8?q?Meterstanden_=E2=82=AC?="
    msg.set_content("Zie bijlagen.")
    msg.add_attachment(b"x" * 5000, maintype="image", subtype="jpeg", filename="meter.jpg")
    msg.add_attachment(b"MZ..", maintype="application", subtype="octet-stream", filename="a.exe")
    msg.add_attachment(b"ok", maintype="text", subtype="plain", filename="stand.txt")
    inbound = parse_email(bytes(msg), fallback_id="sha256:x")

    assert inbound.subject == "Meterstanden €"
    assert [a.filename for a in inbound.attachments] == ["stand.txt"]
    refused = {r.filename: r for r in inbound.refused_attachments}
    assert refused["meter.jpg"].size == 5000 and "te groot" in refused["meter.jpg"].reason
    assert "niet toegestaan" in refused["a.exe"].reason


def test_encoded_filename_reply_to_cc_and_loop_marker():
    msg = EmailMessage()
    msg["From"] = "=?utf-8?q?Jo=C3=ABl_de_Wit?= <joel@example.nl>"
    msg["Reply-To"] = "antwoord@example.nl"
    msg["To"] = "klantenservice@voorbeeld-energie.nl"
    msg["Cc"] = "Partner <partner@example.nl>, tweede@example.nl"
    msg["X-Balie-Instance"] = "balie-test"
    msg.set_content("Hallo")
    msg.add_attachment(
        b"%PDF", maintype="application", subtype="pdf", filename="Jaarafrekening 2024 – €.pdf"
    )
    inbound = parse_email(bytes(msg), fallback_id="sha256:x")

    assert inbound.sender.name == "Joël de Wit"
    assert inbound.claims["reply_to"] == "antwoord@example.nl"
    assert [p.value for p in inbound.mail.cc] == ["partner@example.nl", "tweede@example.nl"]
    assert inbound.mail.loop_marker == "balie-test"
    assert inbound.attachments[0].filename == "Jaarafrekening 2024 – €.pdf"


@pytest.mark.parametrize(
    ("headers", "kind", "reason"),
    [
        ({"Precedence": "bulk"}, Automatic.BULK, "Precedence: bulk"),
        ({"Precedence": "auto_reply"}, Automatic.AUTO_REPLY, "Precedence: auto_reply"),
        ({"X-Autorespond": "yes"}, Automatic.AUTO_REPLY, "X-Autorespond: yes"),
        ({"List-Id": "<nieuws.example.nl>"}, Automatic.BULK, "List-Id"),
        ({"List-Unsubscribe": "<mailto:uit@example.nl>"}, Automatic.BULK, "List-Unsubscribe"),
        (
            {"X-Auto-Response-Suppress": "All", "Subject": "Automatisch antwoord: Vraag"},
            Automatic.AUTO_REPLY,
            "X-Auto-Response-Suppress: All",
        ),
        ({"X-Auto-Response-Suppress": "All", "Subject": "Vraag"}, Automatic.NONE, ""),
        ({"Auto-Submitted": "no"}, Automatic.NONE, ""),
        ({"Return-Path": "<>"}, Automatic.AUTO_REPLY, "Return-Path: <>"),
    ],
)
def test_automatic_mail_is_recognised_by_its_headers(headers, kind, reason):
    msg = EmailMessage()
    msg["From"] = "iemand@example.nl"
    if "Subject" not in headers:
        msg["Subject"] = "Onderwerp"
    for key, value in headers.items():
        msg[key] = value
    msg.set_content("Tekst")
    inbound = parse_email(bytes(msg), fallback_id="sha256:x")

    assert (inbound.automatic, inbound.automatic_reason) == (kind, reason)


def test_html_to_text_keeps_paragraphs_and_links():
    text = html_to_text(
        "<html><head><title>t</title><style>p{}</style></head><body><p>Beste klant,</p>"
        "<p>Zie <a href='https://example.nl/x'>hier</a>.<br>Groet</p><ul><li>een</li></ul></body>"
    )
    assert text == "Beste klant,\n\nZie hier <https://example.nl/x>.\nGroet\n\n- een"
