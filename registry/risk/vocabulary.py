"""The words the registry and its risk engine share, defined once (docs/risk-rules.md).

Plain Python on purpose: the engine imports this module without Django, and
``registry/choices.py`` builds the models' ``TextChoices`` from these enums, labels included, so
a code added here reaches the database choices, the forms and the engine together.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Term(enum.StrEnum):
    """A code with a human label. Each member *is* its code (a ``str``), e.g. ``"control"``."""

    label: str

    def __new__(cls, value: str, label: str) -> Term:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Interest(Term):
    """What an ownership edge (owner → owned) records."""

    SHAREHOLDING = "shareholding", "Shareholding"
    VOTING_RIGHTS = "voting_rights", "Voting rights"
    #: The owner controls the owned entity without a known share (consolidation, articles, law).
    CONTROL = "control", "Control"
    BOARD_MEMBER = "board_member", "Board member"
    SENIOR_MANAGING_OFFICIAL = "senior_managing_official", "Senior managing official"
    OTHER_INFLUENCE = "other_influence", "Other influence"


#: Interests held by a person sitting on an entity (rule 4, key-person interlock).
KEY_PERSON_INTERESTS = (Interest.BOARD_MEMBER, Interest.SENIOR_MANAGING_OFFICIAL)

#: Interests that never carry a share: a ``control`` edge is control without a known share.
SHARELESS_INTERESTS = (Interest.CONTROL,)


class WatchlistCategory(Term):
    COMPETITOR = "competitor", "Competitor"
    SANCTIONED = "sanctioned", "Sanctioned"
    STATE_OWNED = "state_owned", "State-owned"
    OTHER = "other", "Other"


class Severity(Term):
    """A factor's severity and a vendor's risk level, lowest first."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class FactorCode(Term):
    COMPETITOR_OWNERSHIP = "competitor_ownership", "Competitor ownership"
    COMPETITOR_CONTROL = "competitor_control", "Competitor control"
    SANCTIONED_OWNERSHIP = "sanctioned_ownership", "Sanctioned ownership"
    KEY_PERSON_INTERLOCK = "key_person_interlock", "Key-person interlock"
    STATE_OWNERSHIP = "state_ownership", "State ownership"
    UNDISCLOSED_OWNERSHIP = "undisclosed_ownership", "Undisclosed ownership"
    DATA_PROBLEM = "data_problem", "Data problem"


class DataAccess(Term):
    """The most sensitive data a vendor can see, least first (rule 5 escalates ``restricted``)."""

    NONE = "none", "None"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted"


@dataclass(frozen=True)
class PolicyDefaults:
    """The risk policy before any admin edit (rule 5): version 1 of ``RiskPolicy``."""

    critical_share: int = 50
    high_share: int = 25
    medium_share: int = 10
    escalate_restricted: bool = True
    interlock_severity: Severity = Severity.HIGH
    undisclosed_severity: Severity = Severity.LOW


POLICY_DEFAULTS = PolicyDefaults()
