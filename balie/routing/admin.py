"""Team routing settings and agent skills: Beheer → Routering (settings_views), and here too."""

from django.contrib import admin

from .models import AgentSkills, Offer, Presence, QueueEntry, TeamRouting


@admin.register(TeamRouting)
class TeamRoutingAdmin(admin.ModelAdmin):
    list_display = ("team", "mode", "routed_channels", "cap", "offer_timeout", "overflow_action")
    list_select_related = ("team",)


@admin.register(AgentSkills)
class AgentSkillsAdmin(admin.ModelAdmin):
    list_display = ("agent", "languages", "topics")
    list_select_related = ("agent",)


@admin.register(Presence)
class PresenceAdmin(admin.ModelAdmin):
    list_display = ("agent", "state", "reason", "changed_at", "last_heartbeat_at")
    list_filter = ("state",)
    readonly_fields = ("changed_at", "last_heartbeat_at", "last_active_at", "last_assigned_at")


@admin.register(QueueEntry)
class QueueEntryAdmin(admin.ModelAdmin):
    list_display = ("ticket", "team", "channel", "state", "agent", "arrived_at", "assigned_at")
    list_filter = ("state", "channel", "team")
    raw_id_fields = ("ticket", "agent")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("ticket", "agent", "state", "created_at", "expires_at")
    list_filter = ("state",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
