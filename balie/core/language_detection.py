"""The language a customer wrote in, for tickets whose channel does not say it (e-mail): the
acknowledgement and other automatic messages answer in it.

lingua's detector is built once per process and only for the languages Balie answers in or
recognises (nl, en, de, fr): a detector for all its languages holds about a gigabyte of models,
one for these four well under a tenth of that. It is built on first use, so a process that
never files mail (a beat scheduler, a management command) never loads it; the web server and
the worker build it at start (`warm_up`): loading the four models takes about 4 s of CPU, with
the interpreter lock held, and on first use that stalled every request of the process.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

DETECTED = ("nl", "en", "de", "fr")
# Shorter texts ("Hallo", a one-word subject) say too little; below this confidence the
# caller's default stands.
MIN_CHARS = 20
MIN_CONFIDENCE = 0.5
MAX_CHARS = 2000

_detector: Any = None
_lock = threading.Lock()


def _get_detector() -> Any:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [getattr(IsoCode639_1, code.upper()) for code in DETECTED]
                _detector = (
                    LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
                    .with_preloaded_language_models()
                    .build()
                )
    return _detector


def warm_up() -> None:
    """Build the detector and load its models now (a server or worker at start), not in the
    first request or mail that needs it."""
    _get_detector()


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language `text` is written in (one of `DETECTED`), or "" when
    the text is too short or too mixed to tell."""
    text = " ".join((text or "").split())[:MAX_CHARS]
    if len(text) < MIN_CHARS:
        return ""
    return _detect(text)


@lru_cache(maxsize=512)
def _detect(text: str) -> str:
    """A message's text is looked at twice when it opens a ticket for a new customer (the
    customer's language and the ticket's): the second time costs nothing. The worker files a
    burst of up to BALIE_INGEST_BATCH (100) messages, the customers of all of them before
    the tickets of all of them, so the cache holds several bursts (with 64 texts the second
    look of a burst of 100 found none of them: 0.5 ms of CPU each, again)."""
    values = _get_detector().compute_language_confidence_values(text)
    if not values or values[0].value < MIN_CONFIDENCE:
        return ""
    return str(values[0].language.iso_code_639_1.name).lower()


def answer_language(code: str) -> str:
    """The language an automatic message to a customer who writes `code` is sent in: theirs
    when Balie has its texts (settings.LANGUAGES), English for another language we recognise
    (German, French), Dutch when nothing is known."""
    from django.conf import settings

    code = (code or "").lower()
    if code in {lang for lang, _name in settings.LANGUAGES}:
        return code
    return "en" if code in DETECTED else settings.LANGUAGE_CODE
