"""factory_boy factories for the registry and alerts models (they bypass services on purpose:
tests of the services build their inputs with these)."""

import datetime
from decimal import Decimal

import factory

from registry.choices import DataAccess, EntityKind, Interest, VendorStatus
from registry.models import Contract, Entity, Ownership, Vendor, WatchlistEntry


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    name = factory.Sequence(lambda n: f"Entity {n}")
    kind = EntityKind.COMPANY
    country = "US"


class PersonFactory(EntityFactory):
    name = factory.Sequence(lambda n: f"Person {n}")
    kind = EntityKind.PERSON


class OwnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ownership

    owner = factory.SubFactory(EntityFactory)
    owned = factory.SubFactory(EntityFactory)
    interest = Interest.SHAREHOLDING
    share = Decimal("10")
    start_date = datetime.date(2020, 1, 1)


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    entity = factory.SubFactory(EntityFactory)
    status = VendorStatus.ACTIVE
    tier = 2
    data_access = DataAccess.CONFIDENTIAL


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    vendor = factory.SubFactory(VendorFactory)
    reference = factory.Sequence(lambda n: f"C-{n:05d}")
    title = "Services agreement"
    value = Decimal("100000.00")
    currency = "USD"
    start_date = datetime.date(2024, 1, 1)


class WatchlistEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WatchlistEntry

    entity = factory.SubFactory(EntityFactory)
    category = "competitor"
    reason = "Competes with us."
