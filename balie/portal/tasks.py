"""Thin Celery tasks of the portal."""

from __future__ import annotations

from celery import shared_task

from . import magic_links


@shared_task
def send_magic_link(email: str) -> bool:
    """Looked up and mailed outside the request, so the answer page takes as long for a known
    address as for an unknown one (no probing by timing)."""
    return magic_links.send_magic_link(email)
