"""`{% mail_html message.body_html %}`: sanitised mail HTML as an agent sees it, remote images
held back until asked for (balie.core.remote_images)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from balie.core import remote_images

register = template.Library()


@register.simple_tag(takes_context=True)
def mail_html(context: template.Context, html: str) -> SafeString:
    request = context.get("request")
    ticket: Any = context.get("ticket")
    if request is not None and ticket is not None and remote_images.shown_for(request, ticket.pk):
        request.allow_remote_images = True
        return mark_safe(html)  # noqa: S308 - sanitised (nh3) when the mail was parsed
    blocked, count = remote_images.block_remote_images(html, label=_("afbeelding niet geladen"))
    if not count:
        return mark_safe(blocked)  # noqa: S308 - sanitised (nh3) when the mail was parsed
    show = ""
    if ticket is not None:
        url = reverse("tickets:detail", args=[ticket.pk])
        show = format_html(
            ' <a href="{}?{}={}#conversation">{}</a>',
            url,
            remote_images.SHOW_PARAMETER,
            remote_images.SHOW_VALUE,
            _("Afbeeldingen tonen"),
        )
    note = format_html(
        '<p class="remote-images-note">{}{}</p>',
        _(
            "Externe afbeeldingen zijn niet geladen, zodat de afzender niet ziet dat en wanneer "
            "u het bericht leest."
        ),
        show,
    )
    return mark_safe(note + blocked)  # noqa: S308 - sanitised (nh3) when the mail was parsed
