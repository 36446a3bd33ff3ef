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


def cross_held_group(deal_day: datetime.date = datetime.date(2025, 6, 13)) -> dict:
    """A dense graph with cross-holdings above Ledgerline Payroll (a vendor): Ashcombe Topco
    (50%) and Harwick Group (30%) hold each other 25% and 20%; Halden State Fund (state
    owned) holds 20%. Brightmoor (a competitor) holds 30% of Ashcombe from ``deal_day`` and
    10% of Harwick; Sablewood Data Services Inc., another of our vendors, holds 20% of
    Ashcombe; eight small investors hold 2–5% of Ashcombe or Harwick.
    ``{"vendor", "vendor_entity", "ashcombe", "harwick", "state", "brightmoor", "sablewood"}``."""
    vendor_entity = EntityFactory(name="Ledgerline Payroll")
    vendor = VendorFactory(entity=vendor_entity, tier=1, data_access=DataAccess.RESTRICTED)
    ashcombe = EntityFactory(name="Ashcombe Topco")
    harwick = EntityFactory(name="Harwick Group")
    state = EntityFactory(name="Halden State Fund", kind=EntityKind.GOVERNMENT)
    brightmoor = EntityFactory(name="Brightmoor")
    sablewood = VendorFactory(entity=EntityFactory(name="Sablewood Data Services Inc.")).entity
    WatchlistEntryFactory(entity=brightmoor, category="competitor")
    WatchlistEntryFactory(entity=state, category="state_owned")
    for owner, owned, share, start in (
        (ashcombe, vendor_entity, "50", None),
        (harwick, vendor_entity, "30", None),
        (state, vendor_entity, "20", None),
        (ashcombe, harwick, "25", None),
        (harwick, ashcombe, "20", None),
        (brightmoor, ashcombe, "30", deal_day),
        (brightmoor, harwick, "10", None),
        (sablewood, ashcombe, "20", None),
    ):
        OwnershipFactory(
            owner=owner,
            owned=owned,
            share=Decimal(share),
            start_date=start or datetime.date(2020, 1, 1),
        )
    for n in range(8):
        OwnershipFactory(
            owner=EntityFactory(name=f"Investor {n + 1:02d} Partners"),
            owned=ashcombe if n % 2 else harwick,
            share=Decimal(2 + n % 4),
        )
    return {
        "vendor": vendor,
        "vendor_entity": vendor_entity,
        "ashcombe": ashcombe,
        "harwick": harwick,
        "state": state,
        "brightmoor": brightmoor,
        "sablewood": sablewood,
    }
