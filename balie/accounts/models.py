from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from balie.core.models import TimestampedModel


class Team(TimestampedModel):
    name = models.CharField(_("naam"), max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    email = models.EmailField(_("e-mailadres"), blank=True)
    is_private = models.BooleanField(
        _("besloten"),
        default=False,
        help_text=_("Alleen leden van het team (en beheerders) zien de tickets van dit team."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    AGENT = "agent", _("Medewerker")
    TEAM_LEAD = "team_lead", _("Teamleider")
    ADMIN = "admin", _("Beheerder")


class Density(models.TextChoices):
    """How many ticket rows the inbox shows on one screen."""

    COMPACT = "compact", _("Compact")
    COMFORTABLE = "comfortable", _("Ruim")


class AgentQuerySet(models.QuerySet["Agent"]):
    def active(self) -> AgentQuerySet:
        return self.filter(user__is_active=True)


class Agent(TimestampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent"
    )
    display_name = models.CharField(_("naam"), max_length=150)
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices, default=Role.AGENT)
    teams = models.ManyToManyField(Team, related_name="agents", blank=True, verbose_name=_("teams"))
    language = models.CharField(_("taal"), max_length=8, default="nl")
    # The agent's own inbox settings: the last sort chosen per view ({view: sort}), and the
    # row density.
    inbox_sorts = models.JSONField(_("sortering per weergave"), default=dict, blank=True)
    inbox_density = models.CharField(
        _("regelhoogte van de tickets"),
        max_length=12,
        choices=Density.choices,
        default=Density.COMPACT,
    )

    objects = AgentQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("medewerker")
        verbose_name_plural = _("medewerkers")

    def __str__(self) -> str:
        return self.display_name

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_team_lead(self) -> bool:
        return self.role in (Role.TEAM_LEAD, Role.ADMIN)

    def team_ids(self) -> set[int]:
        cached = getattr(self, "_team_ids", None)
        if cached is None:
            cached = set(self.teams.values_list("id", flat=True))
            self._team_ids = cached
        return cached


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def find(self, raw: str) -> ApiToken | None:
        if not raw:
            return None
        return (
            self.filter(key_hash=hash_token(raw), revoked_at__isnull=True)
            .select_related("agent__user")
            .first()
        )


class TokenScope(models.TextChoices):
    """What a token may do. Its agent's permissions apply on top: a scope never widens them."""

    INGEST = "ingest", _("alleen berichten aanleveren")
    READ = "read", _("lezen")
    READ_WRITE = "read_write", _("lezen en schrijven")
    ADMIN = "admin", _("alles (beheer)")


class ApiToken(TimestampedModel):
    """A bearer token for integrations. It acts as its agent, within its scope: an ingest token
    (a mail server) only delivers messages, a read token only reads, and so on."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("naam"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(
        _("bevoegdheid"),
        max_length=12,
        choices=TokenScope.choices,
        default=TokenScope.READ_WRITE,
        help_text=_(
            "Alleen aanleveren: voor mailservers die ruwe e-mail afleveren op "
            "/api/v1/inbound/email; zo'n token leest geen tickets of klanten."
        ),
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API-token")
        verbose_name_plural = _("API-tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_ingest(self) -> bool:
        return self.scope in (TokenScope.INGEST, TokenScope.ADMIN)

    @property
    def can_read(self) -> bool:
        return self.scope != TokenScope.INGEST

    @property
    def can_write(self) -> bool:
        return self.scope in (TokenScope.READ_WRITE, TokenScope.ADMIN)

    @staticmethod
    def generate() -> str:
        return "blt_" + secrets.token_urlsafe(32)


class SecurityEventKind(models.TextChoices):
    LOGIN_LOCKED = "login.locked", _("inloggen geblokkeerd")


class SecurityEvent(models.Model):
    """The security audit log outside tickets (shown to admins in the Django admin): who was
    locked out, from which address, and why."""

    kind = models.CharField(_("soort"), max_length=40, choices=SecurityEventKind.choices)
    username = models.CharField(_("gebruikersnaam"), max_length=150, blank=True)
    address = models.CharField(_("adres"), max_length=64, blank=True)
    detail = models.CharField(_("toelichting"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("tijdstip"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("beveiligingsgebeurtenis")
        verbose_name_plural = _("beveiligingslog")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username or self.address}"
