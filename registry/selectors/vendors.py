"""Reads of vendors: the API and web lists, the vendor page (risk, contracts, events, audit)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Prefetch, QuerySet, When

from core.audit import actor_name
from core.history import record_changes, reported_fields
from registry.choices import RiskLevel
from registry.models import (
    Contract,
    EntityIdentifier,
    OwnershipEvent,
    RiskAssessment,
    RiskFactor,
    Vendor,
)

RISK_RANK = Case(
    *(When(risk_level=level, then=rank) for rank, level in enumerate(RiskLevel.values)),
    output_field=IntegerField(),
)
#: ``?sort=`` keys of the vendor list; a leading ``-`` reverses.
SORTS = {
    "name": ("entity_name", "id"),
    "risk": ("risk_rank", "risk_score", "entity_name"),
    "score": ("risk_score", "entity_name"),
    "tier": ("tier", "entity_name"),
    "status": ("status", "entity_name"),
    "category": ("category", "entity_name"),
    "data_access": ("data_access", "entity_name"),
    "assessed": ("risk_assessed_at", "entity_name"),
}
DEFAULT_SORT = "-risk"


def vendor_list() -> QuerySet[Vendor]:
    """Vendors with the entity whose name they carry."""
    return Vendor.objects.select_related("entity")


def vendor_page_list() -> QuerySet[Vendor]:
    """Vendors with their entity and business owner, for the vendor list and its CSV."""
    return Vendor.objects.select_related("entity", "business_owner")


def vendors_sorted(vendors: QuerySet[Vendor], *, sort: str) -> tuple[QuerySet[Vendor], str]:
    """``vendors`` in the order ``sort`` names (a key of ``SORTS``, ``-`` first to reverse),
    and the sort applied: an unknown one gives ``DEFAULT_SORT``."""
    key = sort.lstrip("-")
    if key not in SORTS:
        key, sort = DEFAULT_SORT.lstrip("-"), DEFAULT_SORT
    fields = SORTS[key]
    if sort.startswith("-"):
        fields = tuple(f"-{field}" for field in fields)
    return vendors.annotate(risk_rank=RISK_RANK).order_by(*fields, "id"), sort


def vendor_page() -> QuerySet[Vendor]:
    """Vendors with what their page's details show: entity, identifiers, watchlist entries
    and business owner."""
    return vendor_page_list().prefetch_related("entity__identifiers", "entity__watchlist_entries")


def vendor_latest_assessment(*, vendor: Vendor) -> RiskAssessment | None:
    """The vendor's latest assessment with its factors and their parties (two queries)."""
    return (
        RiskAssessment.objects.filter(vendor=vendor)
        .order_by("-assessed_at", "-id")
        .prefetch_related(Prefetch("factors", RiskFactor.objects.select_related("party")))
        .first()
    )


def vendor_assessments(*, vendor: Vendor, limit: int = 30) -> list[RiskAssessment]:
    """The vendor's latest assessments, oldest first (for a timeline): the last is the
    latest."""
    return list(
        reversed(
            vendor.assessments.select_related("policy").order_by("-assessed_at", "-id")[:limit]
        )
    )


def assessment_factors(*, assessment: RiskAssessment) -> list[RiskFactor]:
    """The factors of an assessment with their parties, in the engine's order."""
    return list(assessment.factors.select_related("party"))


@dataclass
class FactorChange:
    """One difference between a vendor's previous and latest assessment: a factor ``added``
    or ``removed``, or one whose share ``moved`` or whose severity changed."""

    change: str
    code: str
    label: str
    party: str
    severity_from: str = ""
    severity_to: str = ""
    share_from: Decimal | None = None
    share_to: Decimal | None = None


def assessment_changes(
    *, latest: list[RiskFactor], previous: list[RiskFactor]
) -> list[FactorChange]:
    """What changed from ``previous``'s factors to ``latest``'s, a factor being one code for
    one party: added, removed, moved (share or severity). Added first, then moved, then
    removed; each by code and party name. Reads nothing more (the factors carry their party)."""

    def key(factor: RiskFactor) -> tuple[str, int | None]:
        return (factor.code, factor.party_id)

    def row(change: str, factor: RiskFactor, **more) -> FactorChange:
        return FactorChange(
            change=change,
            code=factor.code,
            label=factor.get_code_display(),
            party=factor.party.name if factor.party_id else "",
            **more,
        )

    before = {key(f): f for f in previous}
    after = {key(f): f for f in latest}
    changes = []
    for k, factor in after.items():
        old = before.get(k)
        if old is None:
            changes.append(
                row("added", factor, severity_to=factor.severity, share_to=factor.effective_share)
            )
        elif old.effective_share != factor.effective_share or old.severity != factor.severity:
            changes.append(
                row(
                    "moved",
                    factor,
                    severity_from=old.severity,
                    severity_to=factor.severity,
                    share_from=old.effective_share,
                    share_to=factor.effective_share,
                )
            )
    for k, factor in before.items():
        if k not in after:
            changes.append(
                row(
                    "removed",
                    factor,
                    severity_from=factor.severity,
                    share_from=factor.effective_share,
                )
            )
    order = {"added": 0, "moved": 1, "removed": 2}
    return sorted(changes, key=lambda c: (order[c.change], c.code, c.party.lower()))


def vendor_contracts(*, vendor: Vendor) -> list[Contract]:
    """The vendor's contracts with their owner, the latest started first."""
    return list(vendor.contracts.select_related("owner").order_by("-start_date", "id"))


def vendor_events(*, vendor: Vendor, limit: int = 10) -> list[OwnershipEvent]:
    """The latest events whose processing affected the vendor."""
    return list(
        OwnershipEvent.objects.filter(affected_vendors=vendor)
        .select_related("subject", "counterparty")
        .order_by("-created_at")[:limit]
    )


@dataclass
class AuditEntry:
    when: datetime.datetime
    who: str
    what: str
    action: str
    changes: list[str]


def _shown(value: object) -> object:
    return "—" if value in (None, "") else value


def _audit_entries(records: list, what) -> list[AuditEntry]:
    """Readable entries for history records of any number of rows of one model; a change
    lists the fields it changed (the diff of ``core.history``)."""
    entries = []
    previous_of: dict[int, object] = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        prev = previous_of.get(record.id)
        changes = []
        if prev is not None and record.history_type == "~":
            changes = [
                f"{change.field.verbose_name}: {_shown(change.old)} → {_shown(change.new)}"
                for change in record_changes(record, prev, reported_fields(type(record)))
            ]
        previous_of[record.id] = record
        entries.append(
            AuditEntry(
                when=record.history_date,
                who=actor_name(record) or "system",
                what=what(record),
                action={"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
                changes=changes,
            )
        )
    return entries


def vendor_audit_history(*, vendor: Vendor, limit: int = 40) -> list[AuditEntry]:
    """Who changed the vendor, its entity (with its identifiers) and its contracts, and what,
    newest first."""
    # The latest records of each (one more than shown, so the oldest shown has its diff).
    vendor_records = list(
        vendor.history.select_related("history_user").order_by("-history_date")[: limit + 1]
    )
    entity_records = list(
        vendor.entity.history.select_related("history_user").order_by("-history_date")[: limit + 1]
    )
    contract_records = list(
        Contract.history.filter(vendor_id=vendor.pk)
        .select_related("history_user")
        .order_by("-history_date")[: limit + 1]
    )
    identifier_records = list(
        EntityIdentifier.history.filter(entity_id=vendor.entity_id)
        .select_related("history_user")
        .order_by("-history_date")[: limit + 1]
    )
    entries = (
        _audit_entries(vendor_records, lambda r: "Vendor")
        + _audit_entries(entity_records, lambda r: "Entity")
        + _audit_entries(identifier_records, lambda r: f"Entity identifier {r.scheme}:{r.value}")
        + _audit_entries(contract_records, lambda r: f"Contract {r.reference}")
    )
    return sorted(entries, key=lambda e: e.when, reverse=True)[:limit]
