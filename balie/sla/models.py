"""Business-hours calendars, SLA policies and the clocks that run per ticket.

A calendar has opening hours per weekday (several intervals a day allowed), follows the Dutch
public holidays (with Bevrijdingsdag and Goede Vrijdag configurable) and has closures an admin
enters with a public reason. The arithmetic lives in `business_time.py`; loading and caching in
`calendars.py`. A policy chooses targets by conditions; a clock is one target of one ticket.
"""

from __future__ import annotations

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from balie.accounts.models import Team
from balie.core.models import TimestampedModel


class LiberationDay(models.TextChoices):
    EVERY_YEAR = "every_year", _("Elk jaar")
    LUSTRUM = "lustrum", _("Alleen in lustrumjaren (2025, 2030, …)")
    NEVER = "never", _("Nooit")


class Calendar(TimestampedModel):
    name = models.CharField(_("naam"), max_length=100, unique=True)
    timezone = models.CharField(_("tijdzone"), max_length=64, default="Europe/Amsterdam")
    is_default = models.BooleanField(
        _("standaardagenda"),
        default=False,
        help_text=_("Geldt voor elk kanaal en team zonder eigen agenda."),
    )
    closed_on_public_holidays = models.BooleanField(_("gesloten op feestdagen"), default=True)
    liberation_day = models.CharField(
        _("gesloten op Bevrijdingsdag"),
        max_length=12,
        choices=LiberationDay.choices,
        default=LiberationDay.LUSTRUM,
    )
    closed_on_good_friday = models.BooleanField(_("gesloten op Goede Vrijdag"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("openingstijdenagenda")
        verbose_name_plural = _("openingstijdenagenda's")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="calendar_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("maandag")
    TUESDAY = 1, _("dinsdag")
    WEDNESDAY = 2, _("woensdag")
    THURSDAY = 3, _("donderdag")
    FRIDAY = 4, _("vrijdag")
    SATURDAY = 5, _("zaterdag")
    SUNDAY = 6, _("zondag")


def _check_times(opens: time | None, closes: time | None) -> None:
    """An interval within one day; 00:00 as closing time means midnight at the end of it."""
    if opens is None or closes is None:
        return
    if closes != time(0) and closes <= opens:
        raise ValidationError(_("De sluitingstijd moet na de openingstijd liggen."))


class OpeningHours(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("dag"), choices=Weekday.choices)
    opens = models.TimeField(_("open vanaf"))
    closes = models.TimeField(_("gesloten vanaf"), help_text=_("00:00 betekent middernacht."))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("openingstijd")
        verbose_name_plural = _("openingstijden")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        _check_times(self.opens, self.closes)


class ClosureKind(models.TextChoices):
    DAY = "day", _("Sluitingsdag")
    WEEKLY = "weekly", _("Elke week")
    PERIOD = "period", _("Uitzonderlijke sluiting")


class Closure(TimestampedModel):
    """A time the service is closed, with a reason the customer reads.

    `day`: a whole date; `weekly`: every given weekday between two times (optionally only
    from/until a date); `period`: from one moment to another (a closure spanning days)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="closures")
    kind = models.CharField(_("soort"), max_length=10, choices=ClosureKind.choices)
    reason_nl = models.CharField(_("reden (Nederlands)"), max_length=200)
    reason_en = models.CharField(_("reden (Engels)"), max_length=200, blank=True)
    date = models.DateField(_("datum"), null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(
        _("dag"), choices=Weekday.choices, null=True, blank=True
    )
    start_time = models.TimeField(_("van"), null=True, blank=True)
    end_time = models.TimeField(_("tot"), null=True, blank=True)
    valid_from = models.DateField(_("geldig vanaf"), null=True, blank=True)
    valid_until = models.DateField(_("geldig tot en met"), null=True, blank=True)
    starts_at = models.DateTimeField(_("begint"), null=True, blank=True)
    ends_at = models.DateTimeField(_("eindigt"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "date", "weekday", "starts_at"]
        verbose_name = _("sluiting")
        verbose_name_plural = _("sluitingen")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason_nl}"

    def clean(self) -> None:
        if self.kind == ClosureKind.DAY and not self.date:
            raise ValidationError(_("Een sluitingsdag heeft een datum."))
        if self.kind == ClosureKind.WEEKLY:
            if self.weekday is None or self.start_time is None or self.end_time is None:
                raise ValidationError(_("Een wekelijkse sluiting heeft een dag, van en tot."))
            _check_times(self.start_time, self.end_time)
        if self.kind == ClosureKind.PERIOD and (
            not self.starts_at or not self.ends_at or self.ends_at <= self.starts_at
        ):
            raise ValidationError(_("Een sluiting heeft een begin vóór het einde."))

    def reason(self, language: str) -> str:
        return (self.reason_en or self.reason_nl) if language == "en" else self.reason_nl


class CalendarAssignment(models.Model):
    """Which calendar a channel and/or team uses. Most specific wins: channel and team, then
    channel alone, then team alone, then the default calendar."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="assignments")
    channel = models.CharField(_("kanaal"), max_length=20, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("agenda-toewijzing")
        verbose_name_plural = _("agenda-toewijzingen")
        constraints = [
            models.UniqueConstraint(fields=["channel", "team"], name="calendar_assignment_unique"),
            models.UniqueConstraint(
                fields=["channel"], condition=Q(team=None), name="calendar_assignment_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel or '*'} / {self.team or '*'} → {self.calendar}"


class SlaPolicy(TimestampedModel):
    """Targets in business minutes, chosen by conditions; the first active matching policy
    (by position) applies. An empty condition list matches anything."""

    name = models.CharField(_("naam"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("volgorde"), default=100)
    is_active = models.BooleanField(_("actief"), default=True)
    channels = models.JSONField(_("kanalen"), default=list, blank=True)
    priorities = models.JSONField(_("prioriteiten"), default=list, blank=True)
    types = models.JSONField(_("soorten"), default=list, blank=True)
    tiers = models.JSONField(_("klantsegmenten"), default=list, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("eerste reactie (zakelijke minuten)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("volgende reactie (zakelijke minuten)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("oplossing (zakelijke minuten)"), null=True, blank=True
    )
    priority_factors = models.JSONField(
        _("factor per prioriteit"),
        default=dict,
        blank=True,
        help_text=_('Bijvoorbeeld {"urgent": 0.5}: urgente tickets krijgen de halve tijd.'),
    )
    pause_when_pending = models.BooleanField(_("klok stil bij wacht op klant"), default=True)
    pause_when_on_hold = models.BooleanField(_("klok stil bij in de wacht"), default=True)
    warn_at_percent = models.PositiveSmallIntegerField(_("waarschuwen bij (%)"), default=75)
    warning_notify_lead = models.BooleanField(_("waarschuwing: teamleider melden"), default=True)
    warning_raise_priority = models.BooleanField(
        _("waarschuwing: prioriteit verhogen"), default=False
    )
    warning_move_to_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("waarschuwing: naar team"),
    )
    breach_notify_lead = models.BooleanField(_("overschrijding: teamleider melden"), default=True)
    breach_raise_priority = models.BooleanField(
        _("overschrijding: prioriteit verhogen"), default=True
    )
    breach_move_to_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("overschrijding: naar team"),
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA-beleid")
        verbose_name_plural = _("SLA-beleid")

    def __str__(self) -> str:
        return self.name

    def matches(self, *, channel: str, priority: str, type: str, tier: str) -> bool:
        return all(
            not allowed or value in allowed
            for allowed, value in (
                (self.channels, channel),
                (self.priorities, priority),
                (self.types, type),
                (self.tiers, tier),
            )
        )

    def target_minutes(self, kind: str, priority: str) -> float | None:
        minutes = {
            ClockKind.FIRST_RESPONSE: self.first_response_minutes,
            ClockKind.NEXT_RESPONSE: self.next_response_minutes,
            ClockKind.RESOLUTION: self.resolution_minutes,
        }[ClockKind(kind)]
        if minutes is None:
            return None
        return minutes * float((self.priority_factors or {}).get(priority, 1))


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("Eerste reactie")
    NEXT_RESPONSE = "next_response", _("Volgende reactie")
    RESOLUTION = "resolution", _("Oplossing")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Loopt")
    PAUSED = "paused", _("Gepauzeerd")
    MET = "met", _("Gehaald")
    STOPPED = "stopped", _("Gestopt")


ACTIVE_STATES = (ClockState.RUNNING, ClockState.PAUSED)


class SlaClockQuerySet(models.QuerySet["SlaClock"]):
    def active(self) -> SlaClockQuerySet:
        return self.filter(state__in=ACTIVE_STATES)

    def running(self) -> SlaClockQuerySet:
        return self.filter(state=ClockState.RUNNING)


class SlaClock(models.Model):
    """One target of one ticket. While running, `due_at` and `warn_at` are wall-clock moments
    computed in business time from `resumed_at` and what was left; paused, they are empty and
    `used_seconds` keeps the business time already spent."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks")
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="clocks")
    kind = models.CharField(max_length=20, choices=ClockKind.choices)
    state = models.CharField(max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    target_seconds = models.PositiveIntegerField()
    warn_seconds = models.PositiveIntegerField()
    used_seconds = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    resumed_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = SlaClockQuerySet.as_manager()

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["state", "warn_at"], name="slaclock_state_warn"),
            models.Index(fields=["state", "due_at"], name="slaclock_state_due"),
            models.Index(fields=["ticket", "kind"], name="slaclock_ticket_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "kind"],
                condition=Q(state__in=["running", "paused"]),
                name="slaclock_one_active_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind} {self.state}"
