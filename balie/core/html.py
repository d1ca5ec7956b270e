"""Escaping for markup built in Python on hot paths (the inbox rows, long selects)."""

from __future__ import annotations

from html import escape
from typing import Any


def escaped(value: Any) -> str:
    """HTML-escaped text, as a template's autoescaping gives it (safe strings stay as they
    are), without Django's per-call wrapping, which `format_html` pays for every argument."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return escape(str(value), quote=True)
