"""The routing engine's rows: team settings, agent skills and presence, the queue and offers.

docs/routing.md describes the modes and settings."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from balie.accounts.models import Agent, Team
from balie.tickets.models import Channel, Ticket

# Channels where the customer waits on the line: the engine offers these to an agent, who
# accepts within the team's offer timeout, and the team's cap counts them.
LIVE_CHANNELS = ("chat",)
LANGUAGES = (("nl", _("Nederlands")), ("en", _("Engels")), ("de", _("Duits")), ("fr", _("Frans")))


class RoutingMode(models.TextChoices):
    MANUAL = "manual", _("Handmatig")
    ROUND_ROBIN = "round_robin", _("Om de beurt")
    LEAST_LOADED = "least_loaded", _("Minst belast")


class OverflowAction(models.TextChoices):
    NONE = "none", _("Blijft in de wachtrij")
    TEAM = "team", _("Naar een ander team")
    MESSAGE = "message", _("Bericht achterlaten")


def default_routed_channels() -> list[str]:
    return list(LIVE_CHANNELS)


class TeamRouting(models.Model):
    """How a team's queue is handed out. A team without a row uses the defaults."""

    team = models.OneToOneField(
        Team, on_delete=models.CASCADE, related_name="routing", verbose_name=_("team")
    )
    mode = models.CharField(
        _("verdeling"), max_length=20, choices=RoutingMode.choices, default=RoutingMode.LEAST_LOADED
    )
    routed_channels = models.JSONField(
        _("verdeelde kanalen"),
        default=default_routed_channels,
        blank=True,
        help_text=_("Tickets van deze kanalen verdeelt de routering; andere blijven in de inbox."),
    )
    cap = models.PositiveSmallIntegerField(_("gelijktijdige chats per medewerker"), default=3)
    ticket_cap = models.PositiveIntegerField(
        _("open tickets per medewerker (andere kanalen)"),
        null=True,
        blank=True,
        help_text=_("Leeg: geen grens."),
    )
    offer_timeout = models.PositiveSmallIntegerField(
        _("seconden om een chat aan te nemen"), default=30
    )
    overflow_queue_length = models.PositiveIntegerField(
        _("maximale wachtrij"), null=True, blank=True
    )
    overflow_wait = models.PositiveIntegerField(
        _("maximale wachttijd (seconden)"), null=True, blank=True
    )
    overflow_action = models.CharField(
        _("bij overloop"),
        max_length=10,
        choices=OverflowAction.choices,
        default=OverflowAction.NONE,
    )
    overflow_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("overloopteam"),
    )

    class Meta:
        verbose_name = _("routering van een team")
        verbose_name_plural = _("routering van teams")

    def __str__(self) -> str:
        return f"{self.team}: {self.get_mode_display()}"

    def clean(self) -> None:
        channels = self.routed_channels
        if not isinstance(channels, list) or any(c not in Channel.values for c in channels):
            raise ValidationError(
                {"routed_channels": _('Een lijst van kanalen, bijvoorbeeld ["chat", "email"].')}
            )
        if self.cap < 1:
            raise ValidationError({"cap": _("Minstens 1.")})
        if self.overflow_action == OverflowAction.TEAM and not self.overflow_team_id:
            raise ValidationError({"overflow_team": _("Kies het team waar de overloop heen gaat.")})
        if self.overflow_team_id and self.overflow_team_id == self.team_id:
            raise ValidationError({"overflow_team": _("Een ander team dan dit.")})

    def routes(self, channel: str) -> bool:
        return channel in (self.routed_channels or [])


def routing_for(team: Team) -> TeamRouting:
    """The team's settings (the defaults, unsaved, when it has none)."""
    found = TeamRouting.objects.filter(team=team).first()
    return found or TeamRouting(team=team)


class AgentSkills(models.Model):
    agent = models.OneToOneField(
        Agent, on_delete=models.CASCADE, related_name="routing_skills", verbose_name=_("medewerker")
    )
    languages = models.JSONField(
        _("talen"), default=list, blank=True, help_text=_("Leeg: alle talen.")
    )
    topics = models.JSONField(
        _("onderwerpen en producten"), default=list, blank=True, help_text=_("Leeg: alles.")
    )

    class Meta:
        verbose_name = _("vaardigheden")
        verbose_name_plural = _("vaardigheden")

    def __str__(self) -> str:
        return str(self.agent)

    def clean(self) -> None:
        known = {code for code, _label in LANGUAGES}
        if not isinstance(self.languages, list) or any(x not in known for x in self.languages):
            raise ValidationError({"languages": _("Kies uit nl, en, de en fr.")})
        if not isinstance(self.topics, list) or any(not isinstance(x, str) for x in self.topics):
            raise ValidationError({"topics": _("Een lijst van onderwerpen.")})

    def fits(self, *, language: str, topic: str) -> bool:
        languages = self.languages or []
        topics = self.topics or []
        return (not languages or not language or language in languages) and (
            not topics or not topic or topic in topics
        )


class PresenceState(models.TextChoices):
    ONLINE = "online", _("Beschikbaar")
    AWAY = "away", _("Afwezig")
    OFFLINE = "offline", _("Offline")


class AwayReason(models.TextChoices):
    BREAK = "break", _("Pauze")
    MEETING = "meeting", _("Overleg")
    INACTIVE = "inactive", _("Inactief")


class Presence(models.Model):
    """An agent's availability. Its row is also the lock that keeps their load under the cap:
    every assignment to an agent locks it first."""

    agent = models.OneToOneField(
        Agent, on_delete=models.CASCADE, related_name="presence", verbose_name=_("medewerker")
    )
    state = models.CharField(
        _("status"), max_length=10, choices=PresenceState.choices, default=PresenceState.OFFLINE
    )
    reason = models.CharField(_("reden"), max_length=10, choices=AwayReason.choices, blank=True)
    changed_at = models.DateTimeField(_("sinds"), null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_active_at = models.DateTimeField(null=True, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("aanwezigheid")
        verbose_name_plural = _("aanwezigheid")
        indexes = [models.Index(fields=["state"], name="presence_state")]

    def __str__(self) -> str:
        return f"{self.agent}: {self.get_state_display()}"


def presence_of(agent: Agent) -> Presence:
    found = Presence.objects.filter(agent=agent).first()
    return found or Presence(agent=agent)


class EntryState(models.TextChoices):
    WAITING = "waiting", _("Wacht")
    OFFERED = "offered", _("Aangeboden")
    ASSIGNED = "assigned", _("Toegewezen")
    ENDED = "ended", _("Afgerond")
    OVERFLOWED = "overflowed", _("Overgelopen")
    CANCELLED = "cancelled", _("Vervallen")


ACTIVE_ENTRY_STATES = (EntryState.WAITING, EntryState.OFFERED, EntryState.ASSIGNED)
QUEUED_STATES = (EntryState.WAITING, EntryState.OFFERED)


class QueueEntry(models.Model):
    """One time a ticket waited for a person in a team's queue, and who took it. The ticket's
    requirements (language, topic) and its place (tier, arrival) are kept with it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="queue_entries")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="queue_entries")
    channel = models.CharField(max_length=20)
    language = models.CharField(max_length=8, blank=True)
    topic = models.CharField(max_length=50, blank=True)
    tier_rank = models.PositiveSmallIntegerField(default=0)
    # The first time the ticket queued (kept when it comes back: a chat handed back waits no
    # longer than it already has); queued_at: this time.
    arrived_at = models.DateTimeField()
    queued_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=EntryState.choices, default=EntryState.WAITING)
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="queue_entries"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.JSONField(default=list, blank=True)
    via_overflow = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("wachtrijplaats")
        verbose_name_plural = _("wachtrij")
        indexes = [
            models.Index(
                fields=["team", "channel", "-tier_rank", "arrived_at", "id"],
                condition=Q(state__in=["waiting", "offered"]),
                name="queue_waiting_order",
            ),
            models.Index(
                fields=["agent", "channel"],
                condition=Q(state="assigned"),
                name="queue_agent_load",
            ),
            models.Index(fields=["team", "channel", "ended_at"], name="queue_recent_ended"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(state__in=["waiting", "offered", "assigned"]),
                name="queue_one_active_entry",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.state}"


class OfferState(models.TextChoices):
    OFFERED = "offered", _("Aangeboden")
    ACCEPTED = "accepted", _("Aangenomen")
    DECLINED = "declined", _("Geweigerd")
    EXPIRED = "expired", _("Verlopen")
    WITHDRAWN = "withdrawn", _("Ingetrokken")


class Offer(models.Model):
    """A live conversation offered to one agent, who accepts it before `expires_at`."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="routing_offers")
    entry = models.ForeignKey(QueueEntry, on_delete=models.CASCADE, related_name="offers")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="routing_offers")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=OfferState.choices, default=OfferState.OFFERED)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("aanbod")
        verbose_name_plural = _("aanbiedingen")
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(state="offered"), name="offer_open_expiry"
            ),
            models.Index(fields=["agent"], condition=Q(state="offered"), name="offer_open_agent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=Q(state="offered"), name="offer_one_open_per_entry"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} → {self.agent}: {self.state}"


class RoutingChange(models.Model):
    """The audit trail of the routing settings: who changed a team's routing or an agent's
    skills, when, and each field from what to what (`changes`: field -> [before, after], as
    stored; a team as its name). Written by `actions.change_team_routing` and
    `actions.change_agent_skills` only, shown on Beheer → Routering."""

    at = models.DateTimeField(_("tijdstip"), db_index=True)
    by = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_name = models.CharField(_("door"), max_length=200)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(_("van"), max_length=200)
    changes = models.JSONField(_("wijzigingen"), default=dict)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("wijziging van de routering")
        verbose_name_plural = _("wijzigingen van de routering")

    def __str__(self) -> str:
        return f"{self.subject} ({self.by_name}, {self.at:%Y-%m-%d %H:%M})"

    def lines(self) -> list[tuple[str, str, str]]:
        """(field, before, after) in words, in the reader's language."""
        model: type[models.Model] = (
            TeamRouting if self.team_id or not self.agent_id else AgentSkills
        )
        rows = []
        for name, (before, after) in self.changes.items():
            field = model._meta.get_field(name)
            words = dict(field.choices or ())  # type: ignore[union-attr]
            if name == "routed_channels":
                words = dict(Channel.choices)
            elif name == "languages":
                words = dict(LANGUAGES)
            rows.append(
                (
                    capfirst(str(getattr(field, "verbose_name", name))),
                    _in_words(before, words),
                    _in_words(after, words),
                )
            )
        return rows


def _in_words(value: object, words: dict) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(words.get(v, v)) for v in value)
    return str(words.get(value, value))
