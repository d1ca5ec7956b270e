import factory
from django.utils import timezone

from balie.customers.tests.factories import CustomerFactory
from balie.tickets.models import Direction, Message, Ticket


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"Vraag over mijn jaarafrekening {n}")
    channel = "email"
    customer = factory.SubFactory(CustomerFactory)
    last_message_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    direction = Direction.INBOUND
    channel = "email"
    body_text = "Mijn voorschot is te hoog, kunt u dat aanpassen?"
    created_at = factory.LazyFunction(timezone.now)
