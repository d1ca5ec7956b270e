"""Envelopes and the quarantine in the Django admin, with their replay: replaying runs the
intake pipeline, so it lives here, above the channels' models (messaging)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from balie.messaging.models import Envelope, Quarantine

from . import pipeline as ingest


@admin.register(Envelope)
class EnvelopeAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "external_id", "status", "received_at", "reason"]
    list_filter = ["channel", "status"]
    search_fields = ["external_id"]
    readonly_fields = [f.name for f in Envelope._meta.fields]
    actions = ["replay"]

    @admin.action(description=_("Opnieuw verwerken"))
    def replay(self, request, queryset):
        for envelope in queryset:
            result = ingest.process_envelope(envelope.pk, force=True)
            self.message_user(
                request, f"{envelope.pk}: {result.status} {result.reason}", messages.INFO
            )


@admin.register(Quarantine)
class QuarantineAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "source", "reason", "created_at", "replayed_at"]
    list_filter = ["channel", "source"]
    readonly_fields = [f.name for f in Quarantine._meta.fields]
    actions = ["replay"]

    @admin.action(description=_("Opnieuw verwerken"))
    def replay(self, request, queryset):
        for item in queryset:
            self.message_user(request, f"{item.pk}: {ingest.replay(item)}", messages.INFO)
