from django.contrib import admin

from .models import Activity, Tag, Ticket


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only overview; agents change tickets in the agent UI, where every change is audited."""

    list_display = ["id", "subject", "status", "priority", "type", "channel", "team", "assignee"]
    list_filter = ["status", "priority", "type", "channel", "team"]
    search_fields = ["id", "subject"]
    raw_id_fields = ["customer", "linked_to"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "ticket_id", "kind", "actor_label"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
