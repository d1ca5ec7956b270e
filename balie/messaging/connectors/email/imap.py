"""IMAP polling of a mailbox (`ChannelAccount` of kind "email" with an `imap_host`).

Each poll fetches the messages with a UID above the last one seen and hands every raw message
to the caller, which stores it as an envelope; only when it asks for the next one is the mail
marked \\Seen, so that a crash between the two never loses a mail (a second delivery of the
same bytes is recognised). The last UID
is kept in the account's config with the folder's UIDVALIDITY; when the server renumbers the
folder (UIDVALIDITY changes) the poller starts again from the unseen messages.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from balie.messaging.models import ChannelAccount

from ..base import RawInbound

logger = logging.getLogger(__name__)

BATCH = 25
FETCH_ITEM = b"BODY.PEEK[]"  # PEEK: fetching must not mark the mail \Seen before it is stored


def _connect(account: ChannelAccount) -> IMAPClient:
    host = str(account.setting("imap_host"))
    use_ssl = bool(account.setting("imap_ssl", True))
    port = int(account.setting("imap_port", 993 if use_ssl else 143))  # type: ignore[call-overload]
    client = IMAPClient(
        host,
        port=port,
        ssl=use_ssl,
        ssl_context=ssl.create_default_context() if use_ssl else None,
        timeout=30,
    )
    if not use_ssl and account.setting("imap_starttls", False):
        client.starttls(ssl.create_default_context())
    client.login(
        str(account.setting("imap_user") or account.address),
        str(account.setting("imap_password", "") or ""),
    )
    return client


def _save_state(account: ChannelAccount, *, error: str, **config: Any) -> None:
    """Written with an UPDATE of these fields only, so that an admin's concurrent edit of the
    account's other settings is not overwritten."""
    fresh = ChannelAccount.objects.filter(pk=account.pk).values_list("config", flat=True).first()
    merged = {**(fresh or {}), **config}
    ChannelAccount.objects.filter(pk=account.pk).update(
        config=merged, last_error=error[:2000], last_polled_at=timezone.now()
    )
    account.config, account.last_error = merged, error[:2000]


def _new_uids(client: IMAPClient, last_uid: int) -> list[int]:
    if last_uid:
        # "n:*" always matches the highest UID, even below n: filter.
        return sorted(uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)
    return sorted(client.search(["UNSEEN"]))


def fetch_new(account: ChannelAccount) -> Iterator[RawInbound]:
    """The new mail of one mailbox, one message at a time: each is marked \\Seen once the
    caller asks for the next (it has stored this one by then). Errors are recorded in
    `account.last_error` (and logged), never raised: the next poll tries again."""
    folder = str(account.setting("imap_folder", "INBOX") or "INBOX")
    state: dict[str, Any] = {}
    try:
        client = _connect(account)
    except (OSError, IMAPClientError) as exc:
        logger.warning("IMAP login to %s failed: %s", account, exc)
        _save_state(account, error=f"verbinden/aanmelden mislukt: {exc}")
        return
    try:
        selected = client.select_folder(folder)
        validity = int(selected.get(b"UIDVALIDITY", 0))
        last_uid = int(account.config.get("imap_last_uid", 0) or 0)
        if int(account.config.get("imap_uidvalidity", 0) or 0) != validity:
            last_uid = 0
        uids = _new_uids(client, last_uid)
        if not last_uid:
            # First poll (or a renumbered folder): the unseen mail is taken; from now on every
            # UID above what the folder held at SELECT, read by someone else or not.
            last_uid = max(int(selected.get(b"UIDNEXT", 1)) - 1, 0)
        state = {"imap_uidvalidity": validity, "imap_last_uid": last_uid}
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            fetched = client.fetch(batch, [FETCH_ITEM])
            for uid in batch:
                data = fetched.get(uid, {})
                raw = data.get(b"BODY[]") or data.get(FETCH_ITEM)
                if raw is None:
                    continue
                yield RawInbound(
                    external_id="",  # the connector's: a hash of the bytes
                    raw=bytes(raw),
                    meta={"imap_uid": uid, "imap_folder": folder, "uidvalidity": validity},
                )
                client.add_flags([uid], [b"\\Seen"])
                state["imap_last_uid"] = max(uid, state["imap_last_uid"])
            _save_state(account, error="", **state)
        _save_state(account, error="", **state)
    except (OSError, IMAPClientError) as exc:
        logger.warning("IMAP poll of %s failed: %s", account, exc)
        _save_state(account, error=f"ophalen mislukt: {exc}", **state)
    finally:
        with contextlib.suppress(OSError, IMAPClientError):
            client.logout()
