"""Channel accounts and the outbox. Envelopes and the quarantine are shown, and replayed, by the
intake app (`balie/intake/admin.py`): replaying runs the pipeline, which sits above messaging."""

from django.contrib import admin

from .models import ChannelAccount, OutboxItem


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "address", "team", "is_active", "last_polled_at", "last_error"]
    list_filter = ["kind", "is_active", "team"]
    search_fields = ["name", "address"]


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
