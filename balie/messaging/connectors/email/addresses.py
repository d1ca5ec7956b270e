"""Our own e-mail accounts, read on every inbound mail (loop detection, choosing the mailbox,
the recipients of a reply) and changed rarely: kept per process (see `ProcessCache`)."""

from __future__ import annotations

import copy

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from balie.core.process_cache import ProcessCache
from balie.messaging.models import ChannelAccount


def _load() -> list[ChannelAccount]:
    return list(ChannelAccount.objects.filter(kind="email").order_by("id"))


email_accounts: ProcessCache[list[ChannelAccount]] = ProcessCache("email-accounts", _load)
post_save.connect(email_accounts.forget, sender=ChannelAccount, dispatch_uid="email-accounts")
post_delete.connect(email_accounts.forget, sender=ChannelAccount, dispatch_uid="email-accounts")


def own_email_addresses() -> set[str]:
    """Every address we send from or receive on (lower case), active or not."""
    own = {a.address.lower() for a in email_accounts.get()}
    own.add(settings.DEFAULT_FROM_EMAIL.lower())
    return own


def active_email_account(address: str) -> ChannelAccount | None:
    """The active e-mail account with this address (any case), as a copy of its own."""
    wanted = address.strip().lower()
    found = next(
        (a for a in email_accounts.get() if a.is_active and a.address.lower() == wanted), None
    )
    return copy.copy(found) if found else None
