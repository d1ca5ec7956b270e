from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from balie.core.actors import SYSTEM, Actor, actor_fields
from balie.core.bulk_inserts import insert_all
from balie.core.bulk_updates import update_each

from .identities import normalise
from .models import Customer, Identity


def _assign_number(customer: Customer) -> None:
    if not customer.number:
        customer.number = f"K{100000 + customer.pk}"
        customer.save(update_fields=["number"])


def create_customer(
    *,
    name: str = "",
    language: str = "nl",
    tier: str = "standard",
    number: str = "",
    identities: list[tuple[str, str]] | None = None,
    by: Actor,
    notes: str = "",
) -> Customer:
    """Create a customer with its identities (kind, value). Raises IntegrityError (wrapped in
    ValueError) when an identity already belongs to another customer."""
    actor_fields(by)
    with transaction.atomic():
        customer = Customer.objects.create(
            name=name, language=language, tier=tier, number=number or None, notes=notes
        )
        _assign_number(customer)
        for kind, value in identities or []:
            add_identity(customer, kind=kind, value=value, by=by)
    return customer


def add_identity(
    customer: Customer,
    *,
    kind: str,
    value: str,
    display_name: str = "",
    verified: bool = False,
    by: Actor,
) -> Identity:
    normalised = normalise(kind, value)
    existing = (
        Identity.objects.filter(kind=kind, value=normalised).select_related("customer").first()
    )
    if existing:
        if existing.customer_id != customer.pk:
            raise ValueError(
                _("%(kind)s %(value)s hoort al bij klant %(number)s")
                % {"kind": kind, "value": normalised, "number": existing.customer.number}
            )
        return existing
    return Identity.objects.create(
        customer=customer, kind=kind, value=normalised, display_name=display_name, verified=verified
    )


def find_customer(kind: str, value: str) -> tuple[Customer, Identity] | None:
    """The customer an identity belongs to (following merges), or None."""
    try:
        normalised = normalise(kind, value)
    except Exception:
        return None
    identity = (
        Identity.objects.filter(kind=kind, value=normalised).select_related("customer").first()
    )
    if identity is None:
        return None
    customer = identity.customer
    seen = set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = customer.merged_into  # type: ignore[assignment]
    return customer, identity


def find_or_create_customer(
    *, kind: str, value: str, name: str = "", language: str = "nl", by: Actor
) -> tuple[Customer, Identity, bool]:
    """Identify the sender of an inbound message, creating a customer for a new identity."""
    found = find_customer(kind, value)
    if found:
        customer, identity = found
        if name and not customer.name:
            customer.name = name
            customer.save(update_fields=["name", "updated_at"])
        return customer, identity, False
    normalised = normalise(kind, value)
    try:
        with transaction.atomic():
            customer = Customer.objects.create(name=name, language=language)
            _assign_number(customer)
            identity = Identity.objects.create(
                customer=customer, kind=kind, value=normalised, display_name=name
            )
    except IntegrityError:
        # Another process created the same identity at the same moment: use theirs.
        found = find_customer(kind, value)
        if not found:
            raise
        return found[0], found[1], False
    return customer, identity, True


@dataclass(frozen=True)
class Sender:
    """Who sent a message: an identity (`value` normalised), with the name and language the
    message gives; `create`: a customer is made when the identity is new. `language` may be
    a function that finds it (detecting a text's language costs ~0.5 ms): it is called only
    for a customer that is made."""

    kind: str
    value: str
    name: str = ""
    language: str | Callable[[], str] = "nl"
    create: bool = True

    @property
    def new_customer_language(self) -> str:
        return self.language() if callable(self.language) else self.language


def find_or_create_customers(senders: Sequence[Sender]) -> list[tuple[Customer, Identity] | None]:
    """`find_or_create_customer` for many senders at once (the identities differ): one query
    finds the known ones, a few INSERTs make the new ones. None for a new identity that is
    not to be created."""
    query = Q()
    for sender in senders:
        query |= Q(kind=sender.kind, value=sender.value)
    known = {
        (identity.kind, identity.value): identity
        for identity in (
            Identity.objects.filter(query).select_related("customer") if senders else []
        )
    }
    found: list[tuple[Customer, Identity] | None] = []
    for sender in senders:
        identity = known.get((sender.kind, sender.value))
        if identity is None:
            found.append(None)
            continue
        customer = _merged_into(identity.customer)
        if sender.name and not customer.name and sender.create:
            customer.name = sender.name
            customer.save(update_fields=["name", "updated_at"])
        found.append((customer, identity))
    missing = [i for i, s in enumerate(senders) if found[i] is None and s.create]
    if missing:
        try:
            with transaction.atomic():
                made = _create_all([senders[i] for i in missing])
        except IntegrityError:
            # Another process made one of them at the same moment: one by one, using theirs.
            made = []
            for i in missing:
                customer, identity, _created = find_or_create_customer(
                    kind=senders[i].kind,
                    value=senders[i].value,
                    name=senders[i].name,
                    language=senders[i].new_customer_language,
                    by=SYSTEM,
                )
                made.append((customer, identity))
        for i, pair in zip(missing, made, strict=True):
            found[i] = pair
    return found


def _merged_into(customer: Customer) -> Customer:
    seen = set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = customer.merged_into  # type: ignore[assignment]
    return customer


def _create_all(senders: Sequence[Sender]) -> list[tuple[Customer, Identity]]:
    """The customers and identities of new senders. A customer's number is made from its id:
    on PostgreSQL the ids are taken from the sequence first (one statement for all), so that
    the number goes in the INSERT; elsewhere the numbers follow in one UPDATE."""
    ids = _customer_ids(len(senders))
    customers = [
        Customer(name=sender.name, language=sender.new_customer_language) for sender in senders
    ]
    for customer, pk in zip(customers, ids or (), strict=False):
        customer.pk, customer.number = pk, f"K{100000 + pk}"
    insert_all(customers)
    if ids is None:
        for customer in customers:
            customer.number = f"K{100000 + customer.pk}"
        update_each(Customer, ["number"], customers)
    identities = insert_all(
        Identity(customer=customer, kind=sender.kind, value=sender.value, display_name=sender.name)
        for sender, customer in zip(senders, customers, strict=True)
    )
    return list(zip(customers, identities, strict=True))


def _customer_ids(count: int) -> list[int] | None:
    """`count` new customer ids from the table's sequence (PostgreSQL); None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Customer._meta.db_table, count],
        )
        return sorted(int(row[0]) for row in cursor.fetchall())


def merge_customers(target: Customer, source: Customer, *, by: Actor) -> Customer:
    """Move identities and tickets of `source` to `target`; `source` remains as a pointer."""
    from balie.tickets.actions import record_customer_merge

    if target.pk == source.pk:
        raise ValueError(_("Een klant kan niet met zichzelf worden samengevoegd."))
    if source.merged_into_id:
        raise ValueError(_("Deze klant is al samengevoegd."))
    with transaction.atomic():
        Identity.objects.filter(customer=source).update(customer=target)
        moved = record_customer_merge(target=target, source=source, by=by)
        contracts = list(dict.fromkeys([*target.contract_numbers, *source.contract_numbers]))
        target.contract_numbers = contracts
        if not target.name and source.name:
            target.name = source.name
        target.save(update_fields=["contract_numbers", "name", "updated_at"])
        source.merged_into = target
        source.save(update_fields=["merged_into", "updated_at"])
    target.moved_ticket_count = moved  # type: ignore[attr-defined]
    return target
