import factory

from balie.customers.models import Customer, Identity


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.Sequence(lambda n: f"K{900000 + n}")
    name = factory.Faker("name", locale="nl_NL")
    language = "nl"


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    customer = factory.SubFactory(CustomerFactory)
    kind = "email"
    value = factory.Sequence(lambda n: f"klant{n}@example.nl")
