"""Raw RFC 822 mail -> `InboundMessage`, robust against what real mailboxes receive.

The stdlib parser runs with the compat32 policy, which never raises on malformed headers; every
header and body part is decoded here with a charset fallback (a part labelled iso-8859-1 or
us-ascii that holds windows-1252 bytes shows its € and dashes). HTML is sanitised with nh3
before anyone sees it; an HTML-only mail gets a readable plain text derived from its HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from django.conf import settings
from django.utils.translation import gettext as _

from ...attachment_policy import check_attachment
from ..base import (
    Automatic,
    EmailDetails,
    InboundAttachment,
    InboundMessage,
    Party,
    RefusedAttachment,
    RejectedInput,
)
from . import quotes as email_quotes
from .html_body import html_to_text, sanitise_html

# Labels that in practice hold windows-1252 (a superset with € – “ ” in 0x80–0x9F).
CHARSET_ALIASES = {
    "iso-8859-1": "windows-1252",
    "iso8859-1": "windows-1252",
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "ansi_x3.4-1968": "windows-1252",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "x-unknown": "windows-1252",
    "unknown-8bit": "windows-1252",
}
HEADER_LINE = re.compile(rb"^(?:From |[!-9;-~]+:)")
MESSAGE_ID = re.compile(r"<([^<>\s]+)>|(\S+@\S+)")
DSN_CODE = re.compile(r"\b[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b.*")
AUTO_SUBJECT = re.compile(
    r"^\s*(automatisch antwoord|automatische? (antwort|reply)|automatic reply|auto(matic)?[- ]?reply|"
    r"out of (the )?office|afwezig|niet aanwezig|abwesenheit|absence|vacation|vakantie|"
    r"réponse automatique|autosvar)",
    re.IGNORECASE,
)
# What an out-of-office says in its subject when its mailer sets none of the headers: phrases
# no customer starts a question with. Words that a person might use ("Afwezig", "Vakantie",
# "Absence") count only when followed by a colon, as mailers write them.
# A mail gateway may put a tag in front ("[EXTERN]", "*EXTERNAL*"); Outlook writes "Automatic
# reply" in the language of the sender's mailbox, so the desk sees it in many languages.
AUTO_SUBJECT_ALONE = re.compile(
    r"^\s*(?:(?:\[[^\]]{1,30}\]|\*[^*]{1,30}\*)\s*)*("
    r"automatisch(e)? (antwoord|bericht|reactie)|auto(matic)?[- ]?(reply|response)|autoreply|"
    r"automatische (antwort|nachricht|rückantwort|abwesenheitsnotiz)|"
    r"abwesenheits(notiz|nachricht|meldung)|afwezigheidsassistent|"
    r"autosvar|automatisk svar|automaattinen vastaus|respuesta autom[áa]tica|"
    r"risposta automatica|resposta autom[áa]tica|automatyczna odpowied[źz]|otomatik yan[ıi]t|"
    r"automatick[áa] odpov[ěe]ď|automatikus v[áa]lasz|r[ăa]spuns automat|"
    r"автоматический ответ|αυτόματη απάντηση|"
    r"out[- ]of[- ](the[- ])?office|ooo\s*:|afwezigheids(bericht|melding)|"
    r"r[ée]ponse automatique|message d'absence|absent(e)? du bureau|absence du bureau|"
    r"(afwezig|niet aanwezig|met vakantie|vakantie|abwesend|urlaub|absent(e)?|absence|"
    r"vacation|niet op kantoor|nicht im b[üu]ro|au(ß|ss)er haus|fuera de la oficina|fuori sede|"
    r"vacances|cong[ée]s)\s*:"
    r")",
    re.IGNORECASE,
)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode text bytes, never failing: utf-8, the declared charset (iso-8859-1 read as
    windows-1252), windows-1252, then latin-1 with replacement."""
    charset = (declared or "").strip().strip('"').lower()
    candidates = ["utf-8", CHARSET_ALIASES.get(charset, charset), "windows-1252"]
    for candidate in dict.fromkeys(c for c in candidates if c):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1", errors="replace")


_SURROGATE = re.compile("[\udc80-\udcff]")


def _unsurrogate(text: str) -> str:
    """Raw 8-bit header bytes (kept by the parser as surrogates) decoded as text."""
    if _SURROGATE.search(text):
        return decode_bytes(text.encode("ascii", "surrogateescape"))
    return text


# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators, with the
# white space around them: what must never reach a stored header value or an outgoing one.
CONTROL_RUN = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]*[\x00-\x1f\x7f-\x9f\u2028\u2029]\s*")


def one_line(text: str) -> str:
    """`text` as a single header line: every run of control characters (CR, LF, NUL, ESC,
    tab, …) and the white space around it becomes one space."""
    return CONTROL_RUN.sub(" ", text).strip()


def decode_header_value(value: object) -> str:
    """An unfolded header with its RFC 2047 encoded words and raw 8-bit bytes decoded, on one
    line: an encoded word may hide a CR/LF or other control characters, which are stripped."""
    if value is None:
        return ""
    text = one_line(_unsurrogate(str(value)))
    if "=?" not in text:
        return text
    try:
        chunks = decode_header(text)
    except Exception:  # a malformed encoded word: show it as it is
        return text
    out = []
    for chunk, charset in chunks:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return one_line("".join(out))


def _headers_by_name(msg: Message) -> dict[str, list[str]]:
    """The message's raw header values by lower-case name, in order: made once per message
    (a mail's fifteen or so lookups each went through all its headers)."""
    index: dict[str, list[str]] | None = getattr(msg, "_balie_headers", None)
    if index is None:
        index = {}
        for key, value in msg.raw_items():
            index.setdefault(key.lower(), []).append(str(value))
        msg._balie_headers = index  # type: ignore[attr-defined]
    return index


def _raw_header(msg: Message, name: str) -> str | None:
    values = _headers_by_name(msg).get(name.lower())
    return values[0] if values else None


def header(msg: Message, name: str) -> str:
    return decode_header_value(_raw_header(msg, name))


def _all_raw(msg: Message, name: str) -> list[str]:
    return list(_headers_by_name(msg).get(name.lower(), ()))


def parties(msg: Message, name: str) -> tuple[Party, ...]:
    found: list[Party] = []
    raw = [re.sub(r"\r?\n[ \t]*", " ", _unsurrogate(v)) for v in _all_raw(msg, name)]
    for display, address in getaddresses(raw):
        address = address.strip().strip("<>").lower()
        if "@" not in address or CONTROL_RUN.search(address):
            continue
        found.append(Party("email", address, decode_header_value(display)[:200]))
    return tuple(dict.fromkeys(found))


# One address of a list: a quoted name, a comment or an <address> may hold a comma of its own.
_ADDRESS_PIECE = re.compile(r'"(?:[^"\\]|\\.)*"|\((?:[^()\\]|\\.)*\)|<[^>]*>|,')


def listed_parties(msg: Message, name: str, *, limit: int) -> tuple[tuple[Party, ...], int]:
    """The first `limit` addresses of a recipients header (To, Cc), and how many it lists in
    all. A mail can list ten thousand addresses; reading them all costs a second and keeping
    them serves nobody, so the rest is only counted (cheaply, without parsing it)."""
    raw = ", ".join(_all_raw(msg, name))
    cut, listed, start = len(raw), 0, 0
    for piece in _ADDRESS_PIECE.finditer(raw):
        if piece.group() != ",":
            continue
        if "@" in raw[start : piece.start()]:
            listed += 1
            if listed == limit:
                cut = piece.start()
        start = piece.end()
    if "@" in raw[start:]:
        listed += 1
    if listed <= limit:
        return parties(msg, name), listed
    found: list[Party] = []
    for display, address in getaddresses([re.sub(r"\r?\n[ \t]*", " ", _unsurrogate(raw[:cut]))]):
        address = address.strip().strip("<>").lower()
        if "@" in address and not CONTROL_RUN.search(address):
            found.append(Party("email", address, decode_header_value(display)[:200]))
    return tuple(dict.fromkeys(found)), listed


def message_ids(value: str) -> tuple[str, ...]:
    """Ids of In-Reply-To / References without <>, in order, without repeats."""
    ids = [a or b for a, b in MESSAGE_ID.findall(value or "")]
    return tuple(dict.fromkeys(i.strip("<>,;") for i in ids if i.strip("<>,;")))


# --- the MIME tree --------------------------------------------------------------------------


@dataclass
class Body:
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[InboundAttachment] = field(default_factory=list)
    refused: list[RefusedAttachment] = field(default_factory=list)
    reports: list[Message] = field(default_factory=list)  # delivery-status / MDN parts
    returned: list[Message] = field(default_factory=list)  # headers of a returned message


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def part_text(part: Message) -> str:
    text = decode_bytes(_payload_bytes(part), part.get_content_charset())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    params = {k.lower(): v.lower() for k, v in part.get_params(header="content-type") or []}
    if params.get("format") == "flowed" and part.get_content_subtype() == "plain":
        text = email_quotes.unflow(text, delsp=params.get("delsp") == "yes")
    return text


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value the stdlib left undecoded
        name = decode_bytes(str(name[2]).encode("latin-1", "replace"), name[0])
    return decode_header_value(str(name))


def _add_attachment(body: Body, part: Message, *, filename: str, inline: bool) -> None:
    content_type = part.get_content_type()
    if part.get_content_maintype() == "message":
        content = part.as_bytes() if not part.is_multipart() else _as_bytes(part.get_payload(0))
        filename = filename or _("doorgestuurd-bericht.eml")
    else:
        content = _payload_bytes(part)
    filename = filename or _("bijlage")
    reason = check_attachment(filename, content_type, len(content))
    if reason:
        body.refused.append(RefusedAttachment(filename, content_type, len(content), reason))
        return
    content_id = decode_header_value(part.get("Content-ID", "")).strip().strip("<>")
    body.attachments.append(
        InboundAttachment(
            filename=filename,
            content_type=content_type,
            content=content,
            content_id=content_id,
            inline=inline,
        )
    )


def _as_bytes(msg: Message) -> bytes:
    try:
        return msg.as_bytes(policy=compat32)
    except Exception:
        return str(msg).encode("utf-8", "replace")


def walk(part: Message, body: Body, *, report_type: str = "") -> None:
    ctype = part.get_content_type()
    if ctype == "multipart/report":
        report_type = (part.get_param("report-type") or "").lower()
    if part.get_content_maintype() == "multipart":
        children = part.get_payload() if part.is_multipart() else []
        for child in children:
            if isinstance(child, Message):
                walk(child, body, report_type=report_type)
        if not children:  # declared multipart without parts: its text is all there is
            text = part.preamble or (part.get_payload() if not part.is_multipart() else "")
            if isinstance(text, str) and text.strip():
                body.texts.append(decode_bytes(text.encode("utf-8", "surrogateescape")))
        return
    disposition = (part.get_content_disposition() or "").lower()
    filename = _filename(part)
    if ctype in (
        "message/delivery-status",
        "message/disposition-notification",
        "message/global-delivery-status",
    ):
        body.reports.append(part)
        return
    if report_type and ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
        if ctype == "message/rfc822" and part.is_multipart():
            body.returned.append(part.get_payload(0))
        else:
            body.returned.append(message_from_bytes(_payload_bytes(part), policy=compat32))
        return
    # An attachment, or a named part that is not the text itself (a named inline image).
    if disposition == "attachment" or (
        filename and (disposition != "inline" or ctype not in ("text/plain", "text/html"))
    ):
        _add_attachment(body, part, filename=filename, inline=disposition == "inline")
        return
    if ctype == "text/plain":
        body.texts.append(part_text(part))
    elif ctype == "text/html":
        body.htmls.append(part_text(part))
    elif part.get_content_maintype() == "message":
        _add_attachment(body, part, filename=filename, inline=False)
    elif part.get_content_maintype() in ("image", "application", "audio", "video"):
        _add_attachment(body, part, filename=filename, inline=bool(part.get("Content-ID")))
    elif part.get_content_maintype() == "text":
        body.texts.append(part_text(part))


# --- automatic mail -------------------------------------------------------------------------


@dataclass
class AutomaticVerdict:
    kind: str = Automatic.NONE
    reason: str = ""
    bounced_ids: tuple[str, ...] = ()
    detail: str = ""
    permanent: bool = True
    receipt_for: str = ""


def _report_fields(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    # Some MTAs put the fields in a single text block: parse them as header blocks.
    blocks = re.split(r"\r?\n\r?\n", decode_bytes(_payload_bytes(part)))
    return [message_from_bytes(b.strip().encode("utf-8"), policy=compat32) for b in blocks]


def _bounce(msg: Message, body: Body, reason: str) -> AutomaticVerdict:
    ids: list[str] = []
    details: list[str] = []
    actions: list[str] = []
    for returned in body.returned:
        ids += message_ids(header(returned, "Message-ID"))
    for report in body.reports:
        for block in _report_fields(report):
            ids += message_ids(header(block, "X-Original-Message-ID"))
            action = header(block, "Action").lower()
            if not action and not header(block, "Final-Recipient"):
                continue
            actions.append(action)
            recipient = header(block, "Final-Recipient") or header(block, "Original-Recipient")
            recipient = recipient.split(";", 1)[-1].strip()
            status = header(block, "Status")
            diagnostic = header(block, "Diagnostic-Code")
            details.append(
                " ".join(x for x in (f"{recipient}:" if recipient else "", status, diagnostic) if x)
            )
    if not details:
        failed = header(msg, "X-Failed-Recipients")
        code = next((m.group(0).strip() for t in body.texts for m in [DSN_CODE.search(t)] if m), "")
        details.append(" ".join(x for x in (f"{failed}:" if failed else "", code) if x))
    ids += message_ids(header(msg, "In-Reply-To")) + message_ids(header(msg, "References"))
    permanent = not actions or any(a.startswith("failed") for a in actions)
    if not actions and "delay" in header(msg, "Subject").lower():
        permanent = False
    return AutomaticVerdict(
        kind=Automatic.BOUNCE,
        reason=reason,
        bounced_ids=tuple(dict.fromkeys(i for i in ids if i)),
        detail="; ".join(d for d in details if d)[:1000],
        permanent=permanent,
    )


def classify(msg: Message, body: Body) -> AutomaticVerdict:
    """Is this mail written by a machine, and what kind? The reason names the header or part
    that showed it."""
    ctype = msg.get_content_type()
    report_type = (
        (msg.get_param("report-type") or "").lower() if ctype == "multipart/report" else ""
    )
    if report_type in ("delivery-status", "global-delivery-status"):
        return _bounce(msg, body, f"multipart/report; report-type={report_type}")
    if report_type in ("disposition-notification", "global-disposition-notification"):
        original = ""
        for report in body.reports:
            for block in _report_fields(report):
                original = (
                    original or (message_ids(header(block, "Original-Message-ID")) or ("",))[0]
                )
        return AutomaticVerdict(
            kind=Automatic.RECEIPT,
            reason=f"multipart/report; report-type={report_type}",
            receipt_for=original,
        )
    return_path = header(msg, "Return-Path").replace(" ", "")
    sender = header(msg, "From").lower()
    if (return_path == "<>" or "mailer-daemon" in sender or "postmaster@" in sender) and (
        body.returned or body.reports
    ):
        return _bounce(
            msg, body, "Return-Path: <>" if return_path == "<>" else "From: mailer-daemon"
        )
    auto_submitted = header(msg, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        kind = (
            Automatic.BULK if auto_submitted.startswith("auto-generated") else Automatic.AUTO_REPLY
        )
        return AutomaticVerdict(kind=kind, reason=f"Auto-Submitted: {auto_submitted}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = header(msg, name)
        if value and value.lower() not in ("no", "false", "0"):
            return AutomaticVerdict(kind=Automatic.AUTO_REPLY, reason=f"{name}: {value}")
    precedence = header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list"):
        return AutomaticVerdict(kind=Automatic.BULK, reason=f"Precedence: {precedence}")
    if precedence == "auto_reply":
        return AutomaticVerdict(kind=Automatic.AUTO_REPLY, reason=f"Precedence: {precedence}")
    suppress = header(msg, "X-Auto-Response-Suppress")
    if suppress and AUTO_SUBJECT.match(header(msg, "Subject")):
        return AutomaticVerdict(
            kind=Automatic.AUTO_REPLY, reason=f"X-Auto-Response-Suppress: {suppress}"
        )
    for name in ("List-Id", "List-Unsubscribe"):
        if _raw_header(msg, name):
            return AutomaticVerdict(kind=Automatic.BULK, reason=name)
    if return_path == "<>":
        return AutomaticVerdict(kind=Automatic.AUTO_REPLY, reason="Return-Path: <>")
    subject = header(msg, "Subject")
    if AUTO_SUBJECT_ALONE.match(subject):
        return AutomaticVerdict(kind=Automatic.AUTO_REPLY, reason=f"Subject: {subject[:80]}")
    return AutomaticVerdict()


# --- the whole mail -------------------------------------------------------------------------


def repair_headers(raw: bytes) -> bytes:
    """Drop blank lines and a stray non-header line before the headers (some exports start
    with an empty line or "---- Original email message ----"), and fold header lines that a
    broken mailer wrapped without indenting, so that From and friends stay headers."""
    raw = raw.lstrip(b"\r\n\t ")
    first, sep, rest = raw.partition(b"\n")
    if sep and not HEADER_LINE.match(first) and HEADER_LINE.match(rest.lstrip(b"\r\n")):
        raw = rest.lstrip(b"\r\n")
    end = re.search(rb"\r?\n\r?\n", raw)
    if end is None:
        return raw
    head, body = raw[: end.start()], raw[end.start() :]
    lines = head.split(b"\n")
    repaired = [
        line if i == 0 or HEADER_LINE.match(line) or line[:1] in (b" ", b"\t") else b" " + line
        for i, line in enumerate(lines)
    ]
    return b"\n".join(repaired) + body


def _sent_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(re.sub(r"\([^)]*\)", " ", value))
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def parse_message(raw: bytes) -> Message:
    return message_from_bytes(repair_headers(raw), policy=compat32)


def parse_email(raw: bytes, *, fallback_id: str) -> InboundMessage:
    """The whole mail as the pipeline needs it. Raises RejectedInput when it is not a mail."""
    msg = parse_message(raw)
    senders = parties(msg, "From") or parties(msg, "Sender")
    if not senders:
        raise RejectedInput(_("e-mail zonder geldig From-adres"))
    body = Body()
    walk(msg, body)
    verdict = classify(msg, body)

    full_text = "\n\n".join(t.strip("\n") for t in body.texts if t.strip())
    raw_html = "\n".join(body.htmls)
    if not full_text.strip() and raw_html:
        full_text = html_to_text(raw_html)
    text = email_quotes.visible_text(full_text) if full_text else ""
    full_html = sanitise_html(raw_html) if raw_html else ""
    html = ""
    if full_html:
        if text == full_text.strip("\n"):
            html = full_html  # nothing was stripped (or nothing would have been left)
        else:
            cut = sanitise_html(email_quotes.visible_html(raw_html))
            html = cut if html_to_text(cut).strip() else ""

    message_id = (message_ids(header(msg, "Message-ID")) or ("",))[0][:255]
    in_reply_to = (message_ids(header(msg, "In-Reply-To")) or ("",))[0]
    if not in_reply_to and verdict.receipt_for:
        in_reply_to = verdict.receipt_for
    sender = senders[0]
    claims: dict[str, str] = {}
    reply_to = parties(msg, "Reply-To")
    if reply_to and reply_to[0].value != sender.value:
        claims["reply_to"] = reply_to[0].value
    subject = header(msg, "Subject")
    limit = int(settings.BALIE_MAX_RECIPIENTS_READ)
    to, to_listed = listed_parties(msg, "To", limit=limit)
    cc, cc_listed = listed_parties(msg, "Cc", limit=limit)
    return InboundMessage(
        channel="email",
        external_id=message_id or fallback_id,
        sender=sender,
        subject=subject[:255],
        text=text,
        html=html,
        full_text=full_text,
        sent_at=_sent_at(header(msg, "Date")),
        attachments=tuple(body.attachments),
        refused_attachments=tuple(body.refused),
        automatic=verdict.kind,
        automatic_reason=verdict.reason,
        email=EmailDetails(
            message_id=message_id,
            in_reply_to=in_reply_to[:255],
            references=message_ids(header(msg, "References")),
            to=to,
            cc=cc,
            to_listed=to_listed if to_listed > len(to) else 0,
            cc_listed=cc_listed if cc_listed > len(cc) else 0,
            full_html=full_html,
            bounced_message_ids=verdict.bounced_ids,
            bounce_detail=verdict.detail,
            bounce_permanent=verdict.permanent,
            loop_marker=header(msg, "X-Balie-Instance"),
        ),
        claims=claims,
    )
