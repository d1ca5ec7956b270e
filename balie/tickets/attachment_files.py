"""Serving a stored attachment: always as a download, never rendered by the browser."""

from __future__ import annotations

from django.http import FileResponse

from .models import Attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a private download. Raises FileNotFoundError (an OSError) when the stored
    file is missing; callers answer that with a 404 in their own format."""
    handle = attachment.file.open("rb")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
