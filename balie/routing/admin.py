"""Team routing settings and agent skills: Beheer → Routering (settings_views), and here too."""

from django.contrib import admin

from balie.accounts.models import Agent
from balie.core.actors import System

from . import actions
from .models import AgentSkills, Offer, Presence, QueueEntry, RoutingChange, TeamRouting


def _actor(request):
    agent = Agent.objects.filter(user=request.user).first()
    return agent or System(label=f"Django-admin ({request.user.get_username()})")


def _changed(form):
    return {name: form.cleaned_data[name] for name in form.changed_data if name in form.fields}


@admin.register(TeamRouting)
class TeamRoutingAdmin(admin.ModelAdmin):
    list_display = ("team", "mode", "routed_channels", "cap", "offer_timeout", "overflow_action")
    list_select_related = ("team",)

    def save_model(self, request, obj, form, change):
        # Through the action, so that the change is in the audit trail and takes effect at once.
        values = _changed(form) if change else {f: form.cleaned_data[f] for f in form.fields}
        values.pop("team", None)
        actions.change_team_routing(obj.team, values=values, by=_actor(request))
        obj.pk = TeamRouting.objects.get(team=obj.team).pk  # the admin names the saved row


@admin.register(AgentSkills)
class AgentSkillsAdmin(admin.ModelAdmin):
    list_display = ("agent", "languages", "topics")
    list_select_related = ("agent",)

    def save_model(self, request, obj, form, change):
        values = _changed(form) if change else {f: form.cleaned_data[f] for f in form.fields}
        values.pop("agent", None)
        actions.change_agent_skills(obj.agent, values=values, by=_actor(request))
        obj.pk = AgentSkills.objects.get(agent=obj.agent).pk


@admin.register(RoutingChange)
class RoutingChangeAdmin(admin.ModelAdmin):
    list_display = ("at", "by_name", "subject", "changes")
    readonly_fields = [f.name for f in RoutingChange._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
