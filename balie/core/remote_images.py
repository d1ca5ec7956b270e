"""Images in e-mail that live on the sender's server are not loaded when an agent opens a
ticket: a tracking pixel would tell the sender who read the mail, when and from where. The
sanitised HTML shows a placeholder instead, with a "show images" action; the agent's choice is
kept in the session per ticket, and only the responses that then show the images allow them in
their Content-Security-Policy (`request.allow_remote_images`)."""

from __future__ import annotations

import re
from html import escape, unescape

from django.http import HttpRequest

SESSION_KEY = "balie_remote_images"
SHOW_PARAMETER = "afbeeldingen"
SHOW_VALUE = "tonen"
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""\b(src|alt)\s*=\s*("([^"]*)"|'([^']*)')""", re.IGNORECASE)


def _is_remote(src: str) -> bool:
    source = unescape(src).strip().lower()
    return source.startswith(("http:", "https:", "//"))


def block_remote_images(html: str, *, label: str) -> tuple[str, int]:
    """The HTML with every remote <img> replaced by a placeholder; and how many there were."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        attributes = {
            name.lower(): (double if double is not None else single) or ""
            for name, _quoted, double, single in _ATTRIBUTE.findall(match.group(0))
        }
        if not _is_remote(attributes.get("src", "")):
            return match.group(0)
        count += 1
        alt = unescape(attributes.get("alt", "")).strip()
        text = f"{label}: {alt}" if alt else label
        return f'<span class="remote-image">{escape(text)}</span>'

    return _IMG.sub(replace, html), count


def shown_for(request: HttpRequest, ticket_id: int) -> bool:
    """Whether the agent asked to see this ticket's remote images (now or earlier)."""
    session = getattr(request, "session", None)
    if session is None:
        return False
    shown = [int(pk) for pk in session.get(SESSION_KEY, [])]
    if request.GET.get(SHOW_PARAMETER) == SHOW_VALUE and ticket_id not in shown:
        shown = [*shown[-199:], ticket_id]
        session[SESSION_KEY] = shown
    return ticket_id in shown
