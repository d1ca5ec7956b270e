from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .actions import create_api_token
from .forms import AdminLoginForm
from .models import Agent, ApiToken, SecurityEvent, Team

# The admin's login is throttled like the agents' one: failures counted, lockouts answered 429.
admin.site.login_form = AdminLoginForm
_admin_login = admin.site.login


def _throttled_admin_login(request, extra_context=None):
    response = _admin_login(request, extra_context)
    if getattr(request, "login_throttled", False):
        response.status_code = 429
    return response


admin.site.login = _throttled_admin_login  # type: ignore[method-assign]


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The security log: read only."""

    list_display = ["created_at", "kind", "username", "address", "detail"]
    list_filter = ["kind"]
    search_fields = ["username", "address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "email", "is_private"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "role"]
    list_filter = ["role", "teams"]
    search_fields = ["display_name", "user__username", "user__email"]
    filter_horizontal = ["teams"]
    autocomplete_fields = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """A new token is generated on save; its value is shown once, then only its hash is kept."""

    list_display = ["name", "agent", "prefix", "scope", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    fields = ["agent", "name", "scope", "prefix", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "last_used_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = create_api_token(obj.agent, name=obj.name, scope=obj.scope, by=request.user)
        obj.pk = token.pk
        obj.prefix = token.prefix
        obj.key_hash = token.key_hash
        obj._state.adding = False
        self.message_user(
            request,
            _("Het token is aangemaakt. Kopieer het nu; het wordt niet meer getoond: %(token)s")
            % {"token": raw},
            level=messages.WARNING,
        )

    @admin.action(description=_("Geselecteerde tokens intrekken"))
    def revoke(self, request, queryset):
        from django.utils import timezone

        from .api_auth import api_tokens, ingest_tokens

        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        ingest_tokens.forget()  # an UPDATE sends no signals
        api_tokens.changed()
