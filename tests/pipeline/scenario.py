"""The reference scenario of docs/risk-rules.md, built through the services."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from registry import services
from registry.choices import DataAccess, EventKind, Interest
from registry.models import Contract, Entity, OwnershipEvent, Vendor

DEAL_DATE = datetime.date(2025, 6, 13)


@dataclass
class Reference:
    meta: Entity
    scale: Entity
    remotasks: Entity
    ceo: Entity
    scale_vendor: Vendor
    remotasks_vendor: Vendor
    scale_contract: Contract


def build_reference_registry() -> Reference:
    """Everything before the two events: owners, vendors, the contract, the watchlist."""
    meta = services.entity_create(name="Meta Platforms", country="US")
    scale = services.entity_create(name="Scale AI", country="US")
    remotasks = services.entity_create(name="Remotasks", country="US")
    ceo = services.entity_create(name="Scale AI CEO", kind="person", country="US")
    services.watchlist_entry_create(
        entity=meta, category="competitor", reason="Competes with us in AI."
    )
    services.ownership_set(
        owner=scale, owned=remotasks, share=Decimal(100), start_date=datetime.date(2020, 1, 1)
    )
    services.ownership_set(
        owner=ceo,
        owned=scale,
        interest=Interest.BOARD_MEMBER,
        start_date=datetime.date(2016, 6, 1),
    )
    scale_vendor = services.vendor_create(
        entity=scale, category="data_labelling", tier=1, data_access=DataAccess.RESTRICTED
    )
    remotasks_vendor = services.vendor_create(
        entity=remotasks, category="data_labelling", tier=2, data_access=DataAccess.CONFIDENTIAL
    )
    contract = services.contract_create(
        vendor=scale_vendor,
        reference="SCALE-2024-001",
        title="Data labelling services",
        value=Decimal("12000000.00"),
        currency="USD",
        start_date=datetime.date(2024, 1, 1),
        change_of_control_clause=True,
        coc_termination_window_days=30,
        data_classification=DataAccess.RESTRICTED,
    )
    return Reference(meta, scale, remotasks, ceo, scale_vendor, remotasks_vendor, contract)


def log_reference_events(ref: Reference) -> tuple[OwnershipEvent, OwnershipEvent]:
    """Meta buys 49% of Scale AI; Scale's CEO becomes an officer at Meta."""
    acquisition = services.ownership_event_log(
        kind=EventKind.ACQUISITION,
        subject=ref.scale,
        counterparty=ref.meta,
        share=Decimal(49),
        effective_date=DEAL_DATE,
        source_url="https://example.com/meta-scale",
    )
    move = services.ownership_event_log(
        kind=EventKind.EXECUTIVE_MOVE,
        subject=ref.scale,
        counterparty=ref.meta,
        person=ref.ceo,
        effective_date=DEAL_DATE,
    )
    return acquisition, move
