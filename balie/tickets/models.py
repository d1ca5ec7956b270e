from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _

from balie.accounts.models import Agent, Team
from balie.core.models import TimestampedModel
from balie.core.process_cache import ProcessCache
from balie.customers.models import Customer, Identity

if TYPE_CHECKING:
    pass


class Status(models.TextChoices):
    NEW = "new", _("Nieuw")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Wacht op klant")
    ON_HOLD = "on_hold", _("In de wacht")
    SOLVED = "solved", _("Opgelost")
    CLOSED = "closed", _("Gesloten")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(models.TextChoices):
    LOW = "low", _("Laag")
    NORMAL = "normal", _("Normaal")
    HIGH = "high", _("Hoog")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class TicketType(models.TextChoices):
    QUESTION = "question", _("Vraag")
    COMPLAINT = "complaint", _("Klacht")
    INCIDENT = "incident", _("Storing")
    REQUEST = "request", _("Verzoek")
    REPORT = "report", _("Melding")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBFORM = "webform", _("Contactformulier")
    CHAT = "chat", _("Chat")
    WHATSAPP = "whatsapp", _("WhatsApp")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    X = "x", _("X")
    SMS = "sms", _("Sms")
    PHONE = "phone", _("Telefoon")
    WALK_IN = "visit", _("Balie (bezoek)")
    LETTER = "letter", _("Brief")
    PORTAL = "portal", _("Klantportaal")


# Channels that an agent logs by hand; replies to them go out by e-mail when the customer has one.
LOGGED_CHANNELS = (Channel.PHONE, Channel.WALK_IN, Channel.LETTER)


TAG_MAX_LENGTH = 50


def tag_names(raw: list[str]) -> list[str]:
    """The stored names of the labels an agent or client gave (trimmed, lower case, once each,
    sorted). A label longer than the stored maximum is refused with a reason, never shortened:
    a cut label is another label than the one asked for."""
    names = {t.strip().lower() for t in raw if t.strip()}
    too_long = sorted(name for name in names if len(name) > TAG_MAX_LENGTH)
    if too_long:
        raise ValueError(
            _("Label „%(tag)s” is te lang: maximaal %(max)s tekens, dit zijn er %(n)s.")
            % {"tag": too_long[0], "max": TAG_MAX_LENGTH, "n": len(too_long[0])}
        )
    return sorted(names)


class Tag(models.Model):
    name = models.CharField(_("naam"), max_length=TAG_MAX_LENGTH, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("label")
        verbose_name_plural = _("labels")

    def __str__(self) -> str:
        return self.name


class TicketQuerySet(models.QuerySet["Ticket"]):
    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def visible_to(self, agent: Agent) -> TicketQuerySet:
        """What an agent may see: admins everything; others all tickets except those of
        private teams they are not a member of."""
        # The hidden teams are resolved first (a handful of ids), so the condition is a plain
        # `NOT team_id IN (…)` on the ticket row: no join to the teams table, and the inbox's
        # ordered index scans stay usable (docs/performance.md, "Inbox at 1M").
        hidden = hidden_team_ids(agent)
        return self.exclude(team_id__in=hidden) if hidden else self.all()

    def of_customer(self, customer: Customer) -> TicketQuerySet:
        return self.filter(customer=customer)


def hidden_team_ids(agent: Agent) -> list[int]:
    """The teams whose tickets an agent may not see: private teams they are not in (none for
    an admin). Asked on every list, page and search: the private teams and their members are
    kept per process (`private_teams`; a change shows at once in the process that made it, in
    the others within a second)."""
    if agent.is_admin:
        return []
    return [pk for pk, members in private_teams.get() if agent.pk not in members]


def _load_private_teams() -> list[tuple[int, frozenset[int]]]:
    """The private teams (in their order, by name) with the ids of their members."""
    members: dict[int, set[int]] = {
        pk: set() for pk in Team.objects.filter(is_private=True).values_list("pk", flat=True)
    }
    rows = Agent.teams.through.objects.filter(team_id__in=list(members))
    for team_id, agent_id in rows.values_list("team_id", "agent_id"):
        members[team_id].add(agent_id)
    return [(pk, frozenset(agents)) for pk, agents in members.items()]


private_teams: ProcessCache[list[tuple[int, frozenset[int]]]] = ProcessCache(
    "private-teams", _load_private_teams
)
post_save.connect(private_teams.changed, sender=Team, dispatch_uid="private-teams")
post_delete.connect(private_teams.changed, sender=Team, dispatch_uid="private-teams")
post_delete.connect(private_teams.changed, sender=Agent, dispatch_uid="private-teams")
m2m_changed.connect(private_teams.changed, sender=Agent.teams.through, dispatch_uid="private-teams")


class Ticket(TimestampedModel):
    """A customer issue. Its primary key is the human ticket number (#10001 and up)."""

    subject = models.CharField(_("onderwerp"), max_length=255)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    priority = models.CharField(
        _("prioriteit"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    type = models.CharField(
        _("soort"), max_length=10, choices=TicketType.choices, default=TicketType.QUESTION
    )
    channel = models.CharField(_("kanaal"), max_length=20, choices=Channel.choices)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("team"),
        db_index=False,  # ticket_team_number (team, id) serves lookups by team
    )
    assignee = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("behandelaar"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("klant")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("labels"))
    language = models.CharField(_("taal"), max_length=8, default="nl")
    linked_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        verbose_name=_("vervolg op"),
    )
    # Facts the customer gave that are not verified (customer number, order number, topic…).
    claims = models.JSONField(_("opgegeven gegevens"), default=dict, blank=True)
    account = models.ForeignKey(
        "messaging.ChannelAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("ontvangen op"),
    )
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # SLA: kept in step with the ticket's clocks by balie.sla.actions (empty while paused or met).
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("SLA-beleid"),
    )
    first_response_due_at = models.DateTimeField(
        _("eerste reactie uiterlijk"), null=True, blank=True
    )
    next_response_due_at = models.DateTimeField(
        _("volgende reactie uiterlijk"), null=True, blank=True
    )
    resolution_due_at = models.DateTimeField(_("oplossing uiterlijk"), null=True, blank=True)
    sla_next_due_at = models.DateTimeField(_("eerstvolgende deadline"), null=True, blank=True)
    sla_breached_at = models.DateTimeField(_("SLA overschreden op"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-last_message_at", "-id"], name="ticket_status_recent"),
            # "All open" views walk this in order instead of sorting every open ticket.
            models.Index(
                fields=["-last_message_at", "-id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="ticket_open_recent",
            ),
            models.Index(
                fields=["assignee", "status", "-last_message_at", "-id"],
                name="ticket_assignee_status",
            ),
            models.Index(fields=["customer", "-id"], name="ticket_customer"),
            models.Index(fields=["status", "sla_next_due_at", "id"], name="ticket_status_sla_due"),
            # Every view × sort reads its 51 rows in index order (docs/performance.md, "Inbox at
            # 1M"): all/solved tickets by last message, any view by due time (empty last: the
            # ascending default), open views by number.
            models.Index(fields=["-last_message_at", "-id"], name="ticket_recent"),
            models.Index(fields=["sla_next_due_at", "id"], name="ticket_sla_due"),
            models.Index(
                fields=["id"], condition=Q(status__in=OPEN_STATUSES), name="ticket_open_number"
            ),
            # One team's tickets by last message or by number, with the columns the views
            # filter on: inbox.page with single_team reads the numbers of a page from these
            # alone (an index-only scan). The second also serves every lookup by team.
            models.Index(
                fields=["team", "-last_message_at", "-id"],
                include=["status", "assignee"],
                name="ticket_team_recent",
            ),
            models.Index(
                fields=["team", "-id"], include=["status", "assignee"], name="ticket_team_number"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def number(self) -> int:
        return self.pk

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ParticipantRole(models.TextChoices):
    CUSTOMER = "customer", _("Klant")
    CC = "cc", _("Cc")


class Participant(models.Model):
    """Someone besides the customer who takes part in a ticket's conversation (a CC on a mail).
    Only participants may add messages to a ticket by replying."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants")
    kind = models.CharField(max_length=20, default="email")
    value = models.CharField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(
        max_length=10, choices=ParticipantRole.choices, default=ParticipantRole.CC
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "value"], name="participant_unique")
        ]


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Binnenkomend")
    OUTBOUND = "outbound", _("Uitgaand")
    NOTE = "note", _("Interne notitie")
    SYSTEM = "system", _("Systeem")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Ontvangen")
    QUEUED = "queued", _("In de wachtrij")
    SENT = "sent", _("Verzonden")
    DELIVERED = "delivered", _("Afgeleverd")
    READ = "read", _("Gelezen")
    FAILED = "failed", _("Mislukt")
    BOUNCED = "bounced", _("Onbestelbaar")
    NONE = "", _("—")


class MessageQuerySet(models.QuerySet["Message"]):
    def public(self) -> MessageQuerySet:
        return self.exclude(direction=Direction.NOTE)


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    subject = models.CharField(max_length=255, blank=True)
    # What agents read: the new text, quoted history and signature stripped.
    body_text = models.TextField(blank=True)
    # Sanitised HTML (nh3) of the new part, if the message had HTML.
    body_html = models.TextField(blank=True)
    # The whole text as received (with quoted history), one click away.
    full_text = models.TextField(blank=True)
    full_html = models.TextField(blank=True)
    sender_identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    sender_name = models.CharField(max_length=200, blank=True)
    sender_address = models.CharField(max_length=254, blank=True)
    author = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    external_id = models.CharField(max_length=255, blank=True)
    # RFC 5322 Message-ID (without angle brackets) of e-mails we sent or received.
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    recipients = models.JSONField(default=dict, blank=True)
    delivery_status = models.CharField(max_length=12, choices=DeliveryStatus.choices, blank=True)
    delivery_error = models.TextField(blank=True)
    is_automatic = models.BooleanField(default=False)
    # Why the pipeline filed the message in this ticket ("In-Reply-To <…>", "[#10023] in onderwerp", …)
    thread_reason = models.CharField(max_length=300, blank=True)  # as recorded, technical
    # The same in data ({"how": "header", "header": "In-Reply-To", "message_id": …}, see
    # `balie.tickets.threading_words`): what the ticket page says in words, in any language.
    threading = models.JSONField(default=dict, blank=True)
    envelope = models.ForeignKey(
        "messaging.Envelope",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    refused_attachments = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(db_index=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} #{self.ticket_id}"

    @property
    def is_note(self) -> bool:
        return self.direction == Direction.NOTE


class UnfiledAnswer(models.Model):
    """An agent's answer its channel showed the moment it was stored (a live chat's), not yet
    filed into its ticket: the durable record of the answer and of what is still owed (the
    message row, the ticket's times, the SLA clocks it meets, its audit entry and the rules),
    all done by the ingest worker (`tickets.actions.replies.file_shown_replies`), which then
    deletes the row. `id` is the id its message will have, taken from the messages' sequence
    in this row's INSERT (`tickets.message_ids`), so that it sorts among the visitor's
    messages where it was shown. No foreign-key constraint on the ticket: storing one takes no
    lock on the ticket row, which the worker holds while it files."""

    id = models.BigIntegerField(primary_key=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    author = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    recipients = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"answer {self.pk} #{self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.message.ticket_id}/{instance.message_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    content_id = models.CharField(max_length=255, blank=True)
    inline = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class ActivityQuerySet(models.QuerySet["Activity"]):
    def update(self, **kwargs):
        raise TypeError("The audit trail is append-only.")

    def delete(self):
        raise TypeError("The audit trail is append-only.")


class Activity(models.Model):
    """Append-only audit trail: who did what to a ticket, when. `kind` is the event name."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.DO_NOTHING, related_name="activities", db_constraint=False
    )
    kind = models.CharField(max_length=60)
    actor_agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="activity_ticket_time")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit trail is append-only.")
