from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from balie.accounts.models import Team
from balie.core.models import TimestampedModel


class ChannelAccount(TimestampedModel):
    """One configured inbound/outbound account of a channel: a mailbox, a WhatsApp number, …

    `config` holds the connector's settings (for e-mail: imap_host, imap_port, imap_ssl,
    imap_user, imap_password, imap_folder, smtp_host, smtp_port, smtp_user, smtp_password,
    smtp_starttls, smtp_ssl). Secrets may instead be given as environment variable names
    (`imap_password_env`), so that they need not be stored in the database.
    """

    kind = models.CharField(_("kanaal"), max_length=20)
    name = models.CharField(_("naam"), max_length=100)
    address = models.CharField(
        _("adres"),
        max_length=254,
        blank=True,
        help_text=_("E-mailadres, telefoonnummer of pagina-id."),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="channel_accounts"
    )
    config = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(_("actief"), default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("kanaalaccount")
        verbose_name_plural = _("kanaalaccounts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "address"], name="channel_account_unique_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def setting(self, key: str, default: object = None) -> object:
        import os

        env_name = self.config.get(f"{key}_env")
        if env_name:
            return os.environ.get(str(env_name), default)
        return self.config.get(key, default)

    def clean(self) -> None:
        """A phone number customers see on the contact page says what a call costs."""
        from django.core.exceptions import ValidationError

        from .call_costs import parse_call_costs

        if self.kind != "phone":
            return
        if not isinstance(self.config, dict):
            raise ValidationError({"config": _("De instellingen moeten een JSON-object zijn.")})
        try:
            costs = parse_call_costs(self.config)
        except ValidationError as exc:
            raise ValidationError({"config": exc.messages}) from exc
        if self.is_active and not costs.known:
            raise ValidationError(
                {
                    "config": _(
                        'Vermeld wat een gesprek kost: "call_costs": "standard" voor de '
                        'gebruikelijke belkosten, of "cost_per_minute": "0.10" (euro).'
                    )
                }
            )


class EnvelopeStatus(models.TextChoices):
    RECEIVED = "received", _("Ontvangen")
    PROCESSED = "processed", _("Verwerkt")
    SKIPPED = "skipped", _("Overgeslagen")
    FAILED = "failed", _("Mislukt")


class Envelope(models.Model):
    """The raw inbound delivery, stored before it is acknowledged. Unique per channel and
    external id, so a repeated delivery is recognised. Any envelope can be replayed."""

    channel = models.CharField(max_length=20)
    account = models.ForeignKey(
        ChannelAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="envelopes"
    )
    external_id = models.CharField(max_length=255)
    raw = models.BinaryField()
    meta = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=EnvelopeStatus.choices, default=EnvelopeStatus.RECEIVED
    )
    reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="envelope_unique_external_id"
            )
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="envelope_status_time")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id} ({self.status})"


class Quarantine(models.Model):
    """Input that could not be accepted or processed, kept with its reason for inspection and
    replay (`balie quarantine list|show|replay`)."""

    channel = models.CharField(max_length=20)
    source = models.CharField(
        max_length=100, help_text="endpoint, mailbox or task that received it"
    )
    reason = models.TextField()
    raw = models.BinaryField()
    meta = models.JSONField(default=dict, blank=True)
    envelope = models.ForeignKey(
        Envelope, null=True, blank=True, on_delete=models.SET_NULL, related_name="quarantine"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replay_result = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("quarantaine")
        verbose_name_plural = _("quarantaine")

    def __str__(self) -> str:
        return f"{self.channel} {self.created_at:%Y-%m-%d %H:%M}: {self.reason[:60]}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Te verzenden")
    SENT = "sent", _("Verzonden")
    FAILED = "failed", _("Mislukt")


class OutboxItem(models.Model):
    """An outbound message waiting for its provider's confirmation. Written in the same
    transaction as the message; sent and retried by `send_outbox_item`."""

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="outbox"
    )
    channel = models.CharField(max_length=20)
    account = models.ForeignKey(
        ChannelAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What the provider last reported about it in a delivery receipt (a DeliveryState value:
    # sent, delivered, read, failed), and when.
    receipt_status = models.CharField(max_length=10, blank=True)
    receipt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # A delivery receipt finds the item it is about by the provider's id.
            models.Index(
                fields=["channel", "provider_id"],
                name="outbox_provider_id",
                condition=~models.Q(provider_id=""),
            ),
        ]
