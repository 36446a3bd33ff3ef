"""Choice sets of the registry's vocabulary (docs/risk-rules.md, "Vocabulary").

The sets the risk engine also speaks (interests, watchlist categories, severities, factor codes,
data access) are built from the plain enums of ``registry.risk.vocabulary``, so the database,
the forms and the engine cannot drift apart; the others are defined here.
"""

from django.db import models

from registry.risk import vocabulary


def _choices(terms: type[vocabulary.Term]) -> type[models.TextChoices]:
    """Django ``TextChoices`` with the same members, codes and labels as ``terms``."""
    return models.TextChoices(
        terms.__name__,
        [(term.name, (term.value, term.label)) for term in terms],
        module=__name__,
        qualname=terms.__name__,
    )


class EntityKind(models.TextChoices):
    COMPANY = "company", "Company"
    PERSON = "person", "Person"
    GOVERNMENT = "government", "Government"
    FUND = "fund", "Fund"
    OTHER = "other", "Other"


Interest = _choices(vocabulary.Interest)


#: Interests held by a person sitting on an entity (rule 4, key-person interlock).
KEY_PERSON_INTERESTS = tuple(Interest(interest) for interest in vocabulary.KEY_PERSON_INTERESTS)


WatchlistCategory = _choices(vocabulary.WatchlistCategory)


class VendorCategory(models.TextChoices):
    DATA_LABELLING = "data_labelling", "Data labelling"
    CLOUD = "cloud", "Cloud"
    SOFTWARE = "software", "Software"
    PAYROLL = "payroll", "Payroll"
    CONSULTING = "consulting", "Consulting"
    HARDWARE = "hardware", "Hardware"
    TELECOM = "telecom", "Telecom"
    LOGISTICS = "logistics", "Logistics"
    FACILITIES = "facilities", "Facilities"
    MARKETING = "marketing", "Marketing"
    LEGAL = "legal", "Legal"
    FINANCIAL_SERVICES = "financial_services", "Financial services"
    OTHER = "other", "Other"


class VendorStatus(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    OFFBOARDED = "offboarded", "Offboarded"


DataAccess = _choices(vocabulary.DataAccess)


RiskLevel = _choices(vocabulary.Severity)


FactorCode = _choices(vocabulary.FactorCode)

RISK_ORDER = {level: rank for rank, level in enumerate(RiskLevel.values)}


class EventKind(models.TextChoices):
    ACQUISITION = "acquisition", "Acquisition"
    STAKE_CHANGE = "stake_change", "Stake change"
    DIVESTITURE = "divestiture", "Divestiture"
    EXECUTIVE_MOVE = "executive_move", "Executive move"
    BOARD_APPOINTMENT = "board_appointment", "Board appointment"
    OTHER = "other", "Other"


#: Event kinds that change who controls the subject (docs/risk-rules.md, change_of_control alerts).
CONTROL_EVENT_KINDS = (EventKind.ACQUISITION, EventKind.STAKE_CHANGE, EventKind.DIVESTITURE)


class EventStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


class RecheckReason(models.TextChoices):
    OWNERSHIP_CHANGED = "ownership_changed", "Ownership changed"
    WATCHLIST_CHANGED = "watchlist_changed", "Watchlist changed"
    SCHEDULED = "scheduled", "Edge starts or ends today"
    VENDOR_ADDED = "vendor_added", "Vendor added"
    MANUAL = "manual", "Manual recheck"
    POLICY_CHANGED = "policy_changed", "Risk policy changed"
    DISCLOSURE_CHANGED = "disclosure_changed", "Owners declared undisclosed or disclosed"
