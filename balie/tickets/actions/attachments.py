"""Attachments of messages: checks, safe names, storage."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from balie.messaging.attachment_policy import check_attachment
from balie.messaging.connectors.base import InboundAttachment
from balie.tickets.models import (
    Attachment,
    Message,
)


@dataclass(frozen=True)
class UploadedFile:
    """A file an agent or customer uploads (form, API), before the size and type check."""

    filename: str
    content_type: str
    content: bytes


def safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ()]+", "_", name, flags=re.UNICODE).strip(" .") or "bijlage"
    return name[:200]


def store_attachments(
    message: Message, files: Iterable[InboundAttachment | UploadedFile]
) -> tuple[list[Attachment], list[dict[str, Any]]]:
    stored: list[Attachment] = []
    refused: list[dict[str, Any]] = []
    for item in files:
        filename, content_type = _name_and_type(item)
        reason = check_attachment(filename, content_type, len(item.content))
        if reason:
            refused.append(
                {
                    "filename": filename,
                    "content_type": content_type,
                    "size": len(item.content),
                    "reason": reason,
                }
            )
            continue
        attachment = Attachment(
            message=message,
            filename=filename,
            content_type=content_type,
            size=len(item.content),
            content_id=getattr(item, "content_id", ""),
            inline=getattr(item, "inline", False),
        )
        attachment.file.save(filename, ContentFile(item.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored, refused


def _name_and_type(item: InboundAttachment | UploadedFile) -> tuple[str, str]:
    filename = safe_filename(item.filename)
    return filename, (
        item.content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    )


def _refusal(refused: list[tuple[str, str]]) -> ValueError:
    return ValueError(
        _("Bijlage geweigerd: %(list)s")
        % {"list": ", ".join(f"{name} ({reason})" for name, reason in refused)}
    )


def check_uploads(files: Iterable[UploadedFile]) -> None:
    """Files an agent or customer uploads are taken all or none: a refused file raises
    ValueError with the reasons, before anything is written."""
    refused = []
    for item in files:
        filename, content_type = _name_and_type(item)
        reason = check_attachment(filename, content_type, len(item.content))
        if reason:
            refused.append((filename, reason))
    if refused:
        raise _refusal(refused)


def store_uploads(message: Message, files: Iterable[UploadedFile]) -> list[Attachment]:
    """Files an agent or customer uploads with a message: all stored, or none — a refused file
    raises ValueError with the reasons (the caller's transaction then writes nothing)."""
    stored, refused = store_attachments(message, files)
    if refused:
        raise _refusal([(r["filename"], r["reason"]) for r in refused])
    return stored
