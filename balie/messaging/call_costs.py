"""What a call to one of our phone numbers costs the customer, from the phone account's
settings, so that the contact page can say it next to the number (a paid line nobody was told
about is what customers resent most).

Settings in the account's `config`:

- `"call_costs": "standard"`: the customer pays what their provider charges for an ordinary
  call ("gebruikelijke belkosten");
- `"cost_per_minute": "0.10"` and/or `"cost_per_call": "0.50"`: euros, on top of the usual
  charges (a 0900 number); zero or empty counts as not set.

Nothing set: the page says nothing (better silent than a wrong promise); the admin form
refuses an active phone account without them (`ChannelAccount.clean`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

STANDARD = "standard"
PRICE_KEYS = ("cost_per_minute", "cost_per_call")
MAX_PRICE = Decimal("10")


@dataclass(frozen=True)
class CallCosts:
    standard: bool = False
    per_minute: Decimal | None = None
    per_call: Decimal | None = None

    @property
    def known(self) -> bool:
        return self.standard or self.per_minute is not None or self.per_call is not None

    def text(self) -> str:
        """In words, in the active language: "gebruikelijke belkosten",
        "€ 0,10 per minuut, plus uw gebruikelijke belkosten"; "" when not configured."""
        prices = []
        if self.per_call is not None:
            prices.append(_("%(price)s per gesprek") % {"price": euros(self.per_call)})
        if self.per_minute is not None:
            prices.append(_("%(price)s per minuut") % {"price": euros(self.per_minute)})
        if len(prices) == 2:
            prices = [_("%(a)s en %(b)s") % {"a": prices[0], "b": prices[1]}]
        if prices:
            return _("%(prices)s, plus uw gebruikelijke belkosten") % {"prices": prices[0]}
        return _("gebruikelijke belkosten") if self.standard else ""


def euros(amount: Decimal) -> str:
    return "€ " + number_format(amount, decimal_pos=2)


def _price(config: dict[str, Any], key: str) -> Decimal | None:
    """One price setting; raises ValidationError when it is not an amount in euros."""
    value = config.get(key)
    if value in (None, "", 0):
        return None
    try:
        amount = Decimal(str(value).replace(",", ".").strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        raise ValidationError(
            _("%(key)s moet een bedrag in euro's zijn tussen 0 en %(max)s, zoals 0.10; niet %(v)s")
            % {"key": key, "max": MAX_PRICE, "v": value}
        )
    return amount or None


def parse_call_costs(config: dict[str, Any]) -> CallCosts:
    """The call costs a phone account's settings state; raises ValidationError on a bad value."""
    standard = config.get("call_costs", "")
    if standard not in ("", STANDARD):
        raise ValidationError(
            _('call_costs kent alleen de waarde "%(standard)s"; niet %(v)s')
            % {"standard": STANDARD, "v": standard}
        )
    return CallCosts(
        standard=standard == STANDARD,
        per_minute=_price(config, "cost_per_minute"),
        per_call=_price(config, "cost_per_call"),
    )


def call_costs(config: dict[str, Any]) -> CallCosts:
    """As `parse_call_costs`, for showing: a bad value says nothing rather than failing a page."""
    try:
        return parse_call_costs(config)
    except ValidationError:
        return CallCosts()
