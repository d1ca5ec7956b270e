from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from balie.core.models import TimestampedModel


class Tier(models.TextChoices):
    STANDARD = "standard", _("Standaard")
    BUSINESS = "business", _("Zakelijk")
    VIP = "vip", _("VIP")


class CustomerQuerySet(models.QuerySet["Customer"]):
    def active(self) -> CustomerQuerySet:
        return self.filter(merged_into__isnull=True)


class Customer(TimestampedModel):
    number = models.CharField(_("klantnummer"), max_length=20, unique=True, null=True, blank=True)
    name = models.CharField(_("naam"), max_length=200, blank=True)
    language = models.CharField(_("voorkeurstaal"), max_length=8, default="nl")
    tier = models.CharField(
        _("klantsegment"), max_length=20, choices=Tier.choices, default=Tier.STANDARD
    )
    contract_numbers = models.JSONField(_("contract- en ordernummers"), default=list, blank=True)
    notes = models.TextField(_("notities"), blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("klant")
        verbose_name_plural = _("klanten")

    def __str__(self) -> str:
        return self.name or self.number or ""

    @property
    def primary_email(self) -> str:
        for identity in self.identities.all():
            if identity.kind == IdentityKind.EMAIL:
                return identity.value
        return ""


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Telefoon")
    WHATSAPP = "whatsapp", _("WhatsApp")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    X = "x", _("X")


class Identity(TimestampedModel):
    """One way to reach a customer. An identity belongs to exactly one customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("soort"), max_length=20, choices=IdentityKind.choices)
    value = models.CharField(
        _("waarde"),
        max_length=254,
        help_text=_("Genormaliseerd: e-mail in kleine letters, telefoon in E.164."),
    )
    display_name = models.CharField(_("weergavenaam"), max_length=200, blank=True)
    verified = models.BooleanField(_("geverifieerd"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value")
        ]
        verbose_name = _("identiteit")
        verbose_name_plural = _("identiteiten")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"
