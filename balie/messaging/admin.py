from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from balie.intake import pipeline as ingest

from .models import ChannelAccount, Envelope, OutboxItem, Quarantine


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "address", "team", "is_active", "last_polled_at", "last_error"]
    list_filter = ["kind", "is_active", "team"]
    search_fields = ["name", "address"]


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


@admin.register(OutboxItem)
class OutboxItemAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "receipt_status",
        "last_error",
    ]
    list_filter = ["channel", "status"]
    readonly_fields = [f.name for f in OutboxItem._meta.fields]
