"""New customers made together (a batch of API requests or a burst of mail): each gets the
customer number made from its id, and an identity made twice is one customer."""

from __future__ import annotations

from balie.customers.actions import Sender, find_or_create_customers
from balie.customers.models import Customer


def test_customers_made_together_each_get_the_number_of_their_id(db):
    made = find_or_create_customers(
        [Sender(kind="email", value=f"klant{i}@example.nl", name=f"Klant {i}") for i in range(3)]
    )

    customers = [pair[0] for pair in made if pair is not None]
    assert len(customers) == 3
    stored = {c.pk: c.number for c in Customer.objects.filter(pk__in=[c.pk for c in customers])}
    assert stored == {c.pk: f"K{100000 + c.pk}" for c in customers}
    assert [c.number for c in customers] == [stored[c.pk] for c in customers]  # in memory too
    assert [c.name for c in customers] == ["Klant 0", "Klant 1", "Klant 2"]
    assert len(set(stored)) == 3


def test_a_customer_made_after_a_batch_takes_the_next_id(db):
    find_or_create_customers([Sender(kind="email", value="een@example.nl")])
    (pair,) = find_or_create_customers([Sender(kind="email", value="twee@example.nl")])
    later = Customer.objects.create(name="Los gemaakt")

    assert pair is not None
    assert later.pk > pair[0].pk
    assert find_or_create_customers([Sender(kind="email", value="twee@example.nl")]) == [pair]
