"""Dutch stemming for the embedded default, so that SQLite finds what PostgreSQL's `dutch`
configuration finds ("facturen" finds "factuur"). PostgreSQL's `dutch` is Snowball's original
Dutch (Porter-style) algorithm; `snowballstemmer` keeps it as `dutch_porter` (its newer `dutch`
gives other stems: "factuur", "thuisbat").

FTS5 in SQLite has no Dutch tokenizer, and Python's sqlite3 cannot add one, so the words are
stemmed before they reach FTS5: `stem_text` replaces every word by its stem in place, keeping
the separators, so the index holds one token per word of the original text at the same
position, and FTS5's `snippet()` (which reads the original text) marks the right words. The
index triggers call it as the SQL function `balie_stem`, registered on every SQLite
connection (`register`); queries stem their words with `stem_word`.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

import snowballstemmer

SQL_FUNCTION = "balie_stem"
# FTS5's unicode61 tokenizer: letters and digits make words, everything else separates them
# (the underscore too).
_WORD = re.compile(r"[^\W_]+")
_local = threading.local()


def _stemmer() -> Any:
    # A stemmer object keeps state while it works: one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("dutch_porter")
    return stemmer


@lru_cache(maxsize=100_000)
def stem_word(word: str) -> str:
    """The stem of one word, as PostgreSQL's `dutch` makes it ("facturen" -> "factur");
    a word the stemmer would empty stays as it is."""
    lowered = word.lower()
    if lowered.isdigit():
        return lowered
    return _stemmer().stemWord(unicodedata.normalize("NFC", lowered)) or lowered


def stem_text(text: str | None) -> str | None:
    """Every word of `text` replaced by its stem, separators kept."""
    if not text:
        return text
    return _WORD.sub(lambda m: stem_word(m.group(0)), text)


def register(sqlite_connection: Any) -> None:
    """Make `balie_stem(text)` available in SQL on a raw sqlite3 connection."""
    sqlite_connection.create_function(SQL_FUNCTION, 1, stem_text, deterministic=True)


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: every SQLite connection Django opens can run the FTS
    triggers (which call `balie_stem`)."""
    if connection.vendor == "sqlite":
        register(connection.connection)
