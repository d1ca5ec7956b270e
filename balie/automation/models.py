"""Trigger rules, macros and the ticket lifecycle (reminders, snoozes).

Rules and macros are edited by admins in the UI; their conditions and actions are JSON checked
by `rule_conditions.py` and `rule_effects.py` (no eval). Lifecycle steps and rule firings are
claimed with a unique row, so a second scheduler or a retry never does anything twice.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from balie.accounts.models import Agent, Team
from balie.core.models import TimestampedModel


class Event(models.TextChoices):
    """The events a rule can run on; the same names as the audit trail and realtime events."""

    TICKET_CREATED = "ticket.created", _("Ticket aangemaakt")
    TICKET_UPDATED = "ticket.updated", _("Ticket gewijzigd")
    MESSAGE_RECEIVED = "message.received", _("Bericht van klant ontvangen")
    SLA_WARNING = "sla.warning", _("SLA-waarschuwing")
    SLA_BREACHED = "sla.breached", _("SLA overschreden")


class RuleQuerySet(models.QuerySet["Rule"]):
    def active(self) -> RuleQuerySet:
        return self.filter(is_active=True)

    def for_event(self, event: str) -> RuleQuerySet:
        return self.active().filter(event=event).order_by("position", "id")


class Rule(TimestampedModel):
    """When `event` happens to a ticket and every condition holds, run the actions in order."""

    name = models.CharField(_("naam"), max_length=120)
    event = models.CharField(_("gebeurtenis"), max_length=30, choices=Event.choices)
    position = models.PositiveIntegerField(_("volgorde"), default=0)
    is_active = models.BooleanField(_("actief"), default=True)
    conditions = models.JSONField(_("voorwaarden"), default=list, blank=True)
    actions = models.JSONField(_("acties"), default=list)
    description = models.TextField(_("toelichting"), blank=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("regel")
        verbose_name_plural = _("regels")
        indexes = [models.Index(fields=["event", "is_active", "position"], name="rule_event")]

    def __str__(self) -> str:
        return self.name


class RuleFiring(models.Model):
    """A rule ran for one occurrence of an event on a ticket. The unique key makes a retried
    event (same ticket, event and key) run each rule at most once."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=30)
    key = models.CharField(max_length=80, blank=True)
    fired_at = models.DateTimeField(auto_now_add=True)
    outcome = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "event", "key"], name="rule_firing_once"
            )
        ]


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Wacht op verzending")
    DELIVERED = "delivered", _("Afgeleverd")
    FAILED = "failed", _("Mislukt")


class WebhookSubscription(TimestampedModel):
    """An admin's standing order: POST every event of the chosen kinds to a URL, signed with
    the secret (the event stream's consumer `webhooks.consume_events` makes the deliveries)."""

    name = models.CharField(_("naam"), max_length=120)
    url = models.URLField(_("adres (URL)"), max_length=500)
    secret = models.CharField(_("geheim"), max_length=200)
    events = models.JSONField(_("gebeurtenissen"), default=list)
    is_active = models.BooleanField(_("actief"), default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One signed POST a rule or a subscription asked for. The body is fixed when the event
    happens; the task sends it (with retries) and records the answer."""

    rule = models.ForeignKey(
        Rule, null=True, on_delete=models.SET_NULL, related_name="webhook_deliveries"
    )
    subscription = models.ForeignKey(
        WebhookSubscription,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(max_length=40, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)


class Language(models.TextChoices):
    DUTCH = "nl", _("Nederlands")
    ENGLISH = "en", _("Engels")


class Macro(TimestampedModel):
    """A named canned reply in one language, with placeholders (see `placeholders.py`), that
    may also change the ticket's status, priority, team and tags."""

    name = models.CharField(_("naam"), max_length=120)
    language = models.CharField(_("taal"), max_length=8, choices=Language.choices, default="nl")
    body = models.TextField(_("tekst"))
    status = models.CharField(_("status wordt"), max_length=20, blank=True)
    priority = models.CharField(_("prioriteit wordt"), max_length=10, blank=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("naar team"),
    )
    add_tags = models.JSONField(_("labels toevoegen"), default=list, blank=True)
    position = models.PositiveIntegerField(_("volgorde"), default=0)
    is_active = models.BooleanField(_("actief"), default=True)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("macro")
        verbose_name_plural = _("macro's")

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    def changes(self) -> list[str]:
        """What applying the macro changes, in words of the agent's language: "status wordt
        Wacht op klant", never the stored code."""
        from balie.tickets.models import Priority, Status

        words = []
        if self.status:
            label = Status(self.status).label if self.status in Status.values else self.status
            words.append(f"{_('status wordt')} {label}")
        if self.priority:
            known = self.priority in Priority.values
            label = Priority(self.priority).label if known else self.priority
            words.append(f"{_('prioriteit wordt')} {label}")
        if self.team_id:
            words.append(f"{_('naar team')} {self.team}")
        if self.add_tags:
            words.append(f"{_('labels toevoegen')} {', '.join(self.add_tags)}")
        return words


class LifecycleSettings(models.Model):
    """One row (pk 1): when a ticket waiting on the customer is reminded, given a final notice
    and solved (in business days since it started waiting), and when a solved ticket closes."""

    reminder_after_days = models.PositiveSmallIntegerField(
        _("herinnering na (werkdagen)"), default=3
    )
    final_notice_after_days = models.PositiveSmallIntegerField(
        _("laatste herinnering na (werkdagen)"), default=5
    )
    solve_after_days = models.PositiveSmallIntegerField(_("oplossen na (werkdagen)"), default=7)
    close_after_days = models.PositiveSmallIntegerField(
        _("sluiten na oplossen (kalenderdagen)"), default=7
    )
    is_active = models.BooleanField(_("actief"), default=True)

    class Meta:
        verbose_name = _("levenscyclus-instellingen")
        verbose_name_plural = _("levenscyclus-instellingen")

    @classmethod
    def current(cls) -> LifecycleSettings:
        found = cls.objects.filter(pk=1).first()
        return found or cls(pk=1)


class LifecycleStepKind(models.TextChoices):
    REMINDER = "reminder", _("Herinnering")
    FINAL_NOTICE = "final_notice", _("Laatste herinnering")
    SOLVED = "solved", _("Automatisch opgelost")
    CLOSED = "closed", _("Automatisch gesloten")


class LifecycleStep(models.Model):
    """A lifecycle step taken for a ticket in one cycle (the moment it started waiting, or was
    solved). Inserted before the step is taken, in the same transaction: the unique constraint
    is the claim."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="lifecycle_steps"
    )
    step = models.CharField(max_length=20, choices=LifecycleStepKind.choices)
    cycle = models.DateTimeField()
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["taken_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "step", "cycle"], name="lifecycle_step_once")
        ]


class Snooze(models.Model):
    """A ticket put on hold by an agent until a moment; it opens again when that passes."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="snoozes")
    until = models.DateTimeField(_("tot"))
    by = models.ForeignKey(Agent, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ended_at", "until"], name="snooze_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(ended_at=None), name="snooze_one_active"
            )
        ]
