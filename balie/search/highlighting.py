"""Search snippets as safe HTML: the backend marks matched terms with two control characters
that cannot occur in a cleaned query; everything else is escaped before the marks become
<mark> elements."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .backends import query_words

START_MARK = "\x02"
STOP_MARK = "\x03"
SNIPPET_CHARS = 240


def render_snippet(raw: str) -> SafeString:
    """Escape a marked snippet and turn its marks into <mark>…</mark>, always balanced."""
    parts: list[str] = []
    open_mark = False
    for piece in re.split(f"([{START_MARK}{STOP_MARK}])", raw):
        if piece == START_MARK:
            if not open_mark:
                parts.append("<mark>")
                open_mark = True
        elif piece == STOP_MARK:
            if open_mark:
                parts.append("</mark>")
                open_mark = False
        else:
            parts.append(str(escape(piece)))
    if open_mark:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text is escaped above


def mark_words(text: str, q: str, *, width: int = SNIPPET_CHARS) -> str:
    """A plain-text excerpt around the first query word, the words marked with the sentinels
    (for backends whose database cannot make snippets itself)."""
    text = text.replace(START_MARK, "").replace(STOP_MARK, "")
    words = query_words(q)
    if not words:
        return text[:width]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - width // 3)
    excerpt = text[start : start + width]
    marked = pattern.sub(lambda m: f"{START_MARK}{m.group(0)}{STOP_MARK}", excerpt)
    return ("…" if start else "") + marked + ("…" if start + width < len(text) else "")
