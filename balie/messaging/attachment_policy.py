"""Which files Balie accepts, on every channel: the size limit and the blocked types
(settings.BALIE_ATTACHMENT_MAX_BYTES, BALIE_ATTACHMENT_BLOCKED_TYPES). Connectors refuse a file
while parsing (it becomes a `RefusedAttachment` with this reason); forms and the API before
storing."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _


def check_attachment(filename: str, content_type: str, size: int) -> str:
    """The reason a file is refused, or "" when it is accepted."""
    if size > settings.BALIE_ATTACHMENT_MAX_BYTES:
        limit = settings.BALIE_ATTACHMENT_MAX_BYTES // (1024 * 1024)
        return _("te groot (%(size)s bytes, maximaal %(limit)s MB)") % {
            "size": size,
            "limit": limit,
        }
    lowered = filename.lower()
    if content_type.lower() in settings.BALIE_ATTACHMENT_BLOCKED_TYPES or lowered.endswith(
        (".exe", ".bat", ".cmd", ".com", ".scr", ".js", ".vbs", ".msi", ".hta", ".lnk", ".ps1")
    ):
        return _("bestandstype niet toegestaan (%(type)s)") % {"type": content_type or lowered}
    return ""
