"""What is new in an e-mail: quoted history and signatures told apart from the customer's words.

Agents read `visible_text()`; the whole mail stays available as `full_text`. The rules are
conservative: a line is only dropped when it clearly belongs to a quote header, a `>`-quoted
block, the history below a quote header, or a short signature block. When nothing would be
left (a forward without a note of its own), everything is kept.
"""

from __future__ import annotations

import re

# --- plain text -----------------------------------------------------------------------------

# "-----Original Message-----" and its translations: everything below is history.
SEPARATOR = re.compile(
    r"^\s*[-_=]{2,}\s*(?:original message|oorspronkelijk bericht|oorspronkelijk e-?mailbericht|"
    r"ursprüngliche nachricht|originalnachricht|message d'origine|mensaje original)\s*[-_=]{2,}\s*$",
    re.IGNORECASE,
)
# "On … wrote:", "Op … schreef … (het volgende):", "Op … heeft … het volgende geschreven:",
# "Am … schrieb …:", "Le … a écrit :". The opener is checked on the first line of the window.
OPENER = re.compile(r"^\s*(on|op|am|le|el)\s", re.IGNORECASE)
QUOTE_HEADER = re.compile(
    r"^\s*(?:"
    r"on\s.{4,250}?\swrote"
    r"|op\s.{4,250}?\s(?:schreef|heeft\s.{1,250}?\sgeschreven)"
    r"|am\s.{4,250}?\sschrieb"
    r"|le\s.{4,250}?\sa\s+écrit"
    r"|el\s.{4,250}?\sescribió"
    r")[^:]{0,250}:\s*$",
    re.IGNORECASE | re.DOTALL,
)
# Header lines of a quoted mail as Outlook, GMX and others write them (optionally *bold*).
HEADER_LINE = re.compile(
    r"^\s*\*?(van|from|von|de|aan|to|an|à|cc|verzonden|sent|gesendet|envoyé|datum|date|"
    r"onderwerp|subject|betreff|objet)\s*:\*?\s*(\S.*)?$",
    re.IGNORECASE,
)
FROM_KEYS = {"van", "from", "von", "de"}
OTHER_KEYS = {"verzonden", "sent", "gesendet", "envoyé", "onderwerp", "subject", "betreff", "objet"}
# "-- " (RFC 3676), also without its trailing space as many clients send it.
SIGNATURE_DASHES = re.compile(r"^--\s*$")
CLOSING = re.compile(
    r"^\s*(met\s+)?(vriendelijke|hartelijke|beste)\s+groet(en)?\b|^\s*groet(en|jes)?\s*,?\s*$|"
    r"^\s*mvg\b|^\s*(kind|best|warm)\s+regards\b|^\s*regards\s*,?\s*$|^\s*cheers\s*,?\s*$|"
    r"^\s*(mit\s+)?freundliche[nm]?\s+grüße?n?\b|^\s*(viele|liebe|beste)\s+grüße?\b|"
    r"^\s*cordialement\b",
    re.IGNORECASE,
)
MOBILE_FOOTER = re.compile(
    r"^\s*(verzonden (vanaf|met|vanuit) mijn|sent from my|von meinem .{1,40} gesendet|"
    r"envoyé de mon)\b.{0,60}$",
    re.IGNORECASE,
)
RULE = re.compile(r"^\s*[-_=*~ ]{3,}\s*$")
MAX_SIGNATURE_LINES = 6
MAX_SIGNATURE_LINE = 80


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join the soft line breaks of `format=flowed` text (RFC 3676)."""
    out: list[str] = []
    pending = ""
    for line in text.split("\n"):
        if line == "-- " or not line.endswith(" "):
            out.append(pending + line)
            pending = ""
        else:
            pending += line[:-1] if delsp else line
    if pending:
        out.append(pending)
    return "\n".join(out)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _quote_header_end(lines: list[str], i: int) -> int | None:
    """If a quote header ("Op … schreef …:") starts at line i, the index after it."""
    if not OPENER.match(lines[i]):
        return None
    opener = OPENER.match(lines[i]).group(1).lower()  # type: ignore[union-attr]
    for width in range(1, 5):
        window = lines[i : i + width]
        if len(window) < width or any(not line.strip() for line in window):
            return None
        # A wrapped header never contains the start of another one.
        if any((m := OPENER.match(line)) and m.group(1).lower() == opener for line in window[1:]):
            return None
        joined = " ".join(line.strip() for line in window)
        if QUOTE_HEADER.match(joined) and re.search(r"\d", joined):
            return i + width
    return None


def _header_block_at(lines: list[str], i: int) -> bool:
    """An Outlook/GMX style "Van: … Verzonden: … Onderwerp:" block starts at line i."""
    first = HEADER_LINE.match(lines[i])
    if not first:
        return False
    keys = []
    j = i
    while j < len(lines) and j < i + 12:
        m = HEADER_LINE.match(lines[j])
        if m:
            keys.append(m.group(1).lower())
        elif not lines[j].strip() and len(keys) >= 3:
            break
        elif lines[j].startswith((" ", "\t")) or not lines[j].strip():
            pass  # a wrapped Cc line or a blank line in the block
        else:
            # a continuation of a long header value (wrapped without indent) is allowed once
            # a from-key has been seen
            if not keys or keys[-1] not in {"cc", "aan", "to", "an", "à"}:
                break
        j += 1
    found = set(keys)
    return len(keys) >= 3 and bool(found & FROM_KEYS) and bool(found & OTHER_KEYS)


def _strip_signature(lines: list[str]) -> list[str]:
    """Drop a short signature block at the end: after "-- ", or after a closing such as
    "Met vriendelijke groet" when only a few short lines follow."""
    for i in range(len(lines) - 1, -1, -1):
        if SIGNATURE_DASHES.match(lines[i]):
            rest = [line for line in lines[i + 1 :] if line.strip()]
            if len(rest) <= 10:
                return lines[:i]
            break
    for i, line in enumerate(lines):
        if i == 0 or not CLOSING.match(line):
            continue
        rest = [r for r in lines[i + 1 :] if r.strip()]
        if len(rest) <= MAX_SIGNATURE_LINES and all(
            len(r) <= MAX_SIGNATURE_LINE and "?" not in r for r in rest
        ):
            return lines[:i]
    return lines


def _trim(lines: list[str]) -> list[str]:
    while lines and (not lines[-1].strip() or RULE.match(lines[-1])):
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def visible_text(text: str) -> str:
    """The new part of a mail's text: without quoted history and signature. Returns the whole
    text when nothing would be left."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        end = _quote_header_end(lines, i)
        if end is not None:
            j = end
            while j < n and not lines[j].strip():
                j += 1
            if j < n and _is_quoted(lines[j]):
                i = j  # an interleaved or bottom-posted reply: drop header and quote, go on
                continue
            break  # top-posted reply: the rest is history
        if SEPARATOR.match(line) or _header_block_at(lines, i):
            break
        if _is_quoted(line):
            while i < n and (
                _is_quoted(lines[i])
                or (not lines[i].strip() and i + 1 < n and _is_quoted(lines[i + 1]))
            ):
                i += 1
            continue
        out.append(line)
        i += 1
    out = _trim(out)
    while out and MOBILE_FOOTER.match(out[-1]):
        out = _trim(out[:-1])
    out = _trim(_strip_signature(out))
    result = "\n".join(out).strip("\n")
    if not result.strip():
        return text.strip("\n")
    return result


# --- HTML -----------------------------------------------------------------------------------

HTML_QUOTE_MARKERS = re.compile(
    r"<blockquote\b[^>]*\btype=[\"']?cite"
    r"|<div\b[^>]*\b(?:class|id)=[\"']?(?:gmail_quote|yahoo_quoted|moz-cite-prefix|"
    r"divRplyFwdMsg|appendonsend|OLK_SRC_BODY_SECTION|mail-editor-reference-message-container)\b"
    r"|<div\b[^>]*\bname=[\"']?quote\b"
    r"|<hr\b[^>]*\bid=[\"']?stopSpelling"
    r"|<div\b[^>]*style=[\"'][^\"']*border-top:\s*solid\s+#(?:B5C4DF|E1E1E1)"
    r"|-{3,}\s*(?:original message|oorspronkelijk bericht|ursprüngliche nachricht)\s*-{3,}"
    r"|<b>(?:\s*<span[^>]*>)?\s*(?:van|from|von)\s*:\s*(?:</span>\s*)?</b>",
    re.IGNORECASE,
)


def visible_html(html: str) -> str:
    """The HTML cut at the first quote marker (a cited blockquote, Gmail's gmail_quote,
    Outlook's divRplyFwdMsg or its border-top block, a bold "Van:" header line). The result
    may have unclosed tags: it goes through the sanitiser, which closes them."""
    match = HTML_QUOTE_MARKERS.search(html)
    if not match:
        return html
    return html[: match.start()]
