from registry.models.currency import CurrencyRate
from registry.models.entities import Entity, EntityIdentifier
from registry.models.events import (
    OwnershipEvent,
    RecheckChunk,
    RecheckRequest,
    ScheduledRecheckDay,
)
from registry.models.ownership import Ownership
from registry.models.risk import RiskAssessment, RiskFactor, RiskPolicy
from registry.models.vendors import Contract, Vendor
from registry.models.watchlist import WatchlistEntry

__all__ = [
    "Contract",
    "CurrencyRate",
    "Entity",
    "EntityIdentifier",
    "Ownership",
    "OwnershipEvent",
    "RecheckChunk",
    "RecheckRequest",
    "RiskAssessment",
    "RiskFactor",
    "RiskPolicy",
    "ScheduledRecheckDay",
    "Vendor",
    "WatchlistEntry",
]
