"""Choice sets of the registry's vocabulary (docs/risk-rules.md, "Vocabulary")."""

from django.db import models


class EntityKind(models.TextChoices):
    COMPANY = "company", "Company"
    PERSON = "person", "Person"
    GOVERNMENT = "government", "Government"
    FUND = "fund", "Fund"
    OTHER = "other", "Other"


class Interest(models.TextChoices):
    SHAREHOLDING = "shareholding", "Shareholding"
    VOTING_RIGHTS = "voting_rights", "Voting rights"
    BOARD_MEMBER = "board_member", "Board member"
    SENIOR_MANAGING_OFFICIAL = "senior_managing_official", "Senior managing official"
    OTHER_INFLUENCE = "other_influence", "Other influence"


#: Interests held by a person sitting on an entity (rule 4, key-person interlock).
KEY_PERSON_INTERESTS = (Interest.BOARD_MEMBER, Interest.SENIOR_MANAGING_OFFICIAL)


class WatchlistCategory(models.TextChoices):
    COMPETITOR = "competitor", "Competitor"
    SANCTIONED = "sanctioned", "Sanctioned"
    STATE_OWNED = "state_owned", "State-owned"
    OTHER = "other", "Other"


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


class DataAccess(models.TextChoices):
    NONE = "none", "None"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted"


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


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
