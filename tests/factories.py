"""factory_boy factories for the registry and alerts models (they bypass services on purpose:
tests of the services build their inputs with these)."""

import datetime
from decimal import Decimal

import factory

from registry.choices import DataAccess, EntityKind, Interest, VendorStatus
from registry.models import Contract, CurrencyRate, Entity, Ownership, Vendor, WatchlistEntry


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


class CurrencyRateFactory(factory.django.DjangoModelFactory):
    """One EUR is worth 1.10 of the reporting currency from 2024-01-01 (unless told)."""

    class Meta:
        model = CurrencyRate

    currency = "EUR"
    rate = Decimal("1.10")
    valid_from = datetime.date(2024, 1, 1)


class WatchlistEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WatchlistEntry

    entity = factory.SubFactory(EntityFactory)
    category = "competitor"
    reason = "Competes with us."


def orchard_group(since: datetime.date = datetime.date(2020, 1, 1)) -> dict:
    """Quarry Trust holds 60% of Orchard Holdco, which holds half of Orchard Data (a vendor),
    which owns all of Orchard Labs (a vendor); Fernway Print is a third vendor, elsewhere.
    Written through the services: run it inside ``django_capture_on_commit_callbacks`` to have
    the rechecks done. ``{"trust", "holdco", "vendors": {name: vendor}}``."""
    from registry import services

    trust = EntityFactory(name="Quarry Trust")
    holdco = EntityFactory(name="Orchard Holdco")
    data = EntityFactory(name="Orchard Data")
    labs = EntityFactory(name="Orchard Labs")
    services.ownership_set(owner=trust, owned=holdco, share=Decimal(60), start_date=since)
    services.ownership_set(owner=holdco, owned=data, share=Decimal(50), start_date=since)
    services.ownership_set(owner=data, owned=labs, share=Decimal(100), start_date=since)
    vendors = {
        entity.name: services.vendor_create(entity=entity, category="cloud", tier=2)
        for entity in (data, labs, EntityFactory(name="Fernway Print"))
    }
    return {"trust": trust, "holdco": holdco, "vendors": vendors}
