"""Recheck vendors: load the graph that matters, run the engine, store assessments, raise
``risk_increased`` alerts. Each batch runs under per-vendor locks so concurrent rechecks of the
same vendor serialise and the last one stored is the one a fresh recompute would give."""

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from alerts.choices import AlertKind
from alerts.services import AlertSpec, alerts_raise, alerts_superseded_resolve_bulk
from core.memo import memoized
from registry.choices import RISK_ORDER, RecheckReason, RiskLevel
from registry.models import (
    OwnershipEvent,
    RecheckRequest,
    RiskAssessment,
    RiskFactor,
    RiskPolicy,
    Vendor,
)
from registry.risk import engine
from registry.risk.loader import id_list, id_rows, load_subgraph
from registry.services.dispatch import recheck_request

if TYPE_CHECKING:
    from imports.models import ImportRun

#: Vendors rechecked per transaction in a large batch (bounded lock time and memory).
BATCH_SIZE = 500

#: The factors that say a watchlisted party has influence in a vendor, by the kind of
#: influence (docs/risk-rules.md, ``new_influence`` alerts).
INFLUENCE_KINDS = {
    "competitor_ownership": "a look-through share",
    "competitor_control": "control",
    "sanctioned_ownership": "a look-through share",
    "state_ownership": "a look-through share",
    "key_person_interlock": "an interlock",
}


def policy_current() -> RiskPolicy:
    """The risk policy in force: the latest version (the defaults of docs/risk-rules.md, rule 3 when
    none exists, e.g. on a database emptied by hand)."""
    policy = RiskPolicy.objects.order_by("-version").first()
    if policy is None:
        policy, _ = RiskPolicy.objects.get_or_create(
            version=1, defaults={"note": "Default policy from docs/risk-rules.md, rule 3."}
        )
    return policy


def policy_rules_read_only() -> engine.Policy:
    """The rules in force for a computation that writes nothing (a preview, an as-of read):
    the latest policy, or the defaults when none is stored — never creating one."""
    stored = RiskPolicy.objects.order_by("-version").first()
    return engine.DEFAULT_POLICY if stored is None else engine_policy(stored)


def engine_policy(policy: RiskPolicy) -> engine.Policy:
    """The engine's plain-data view of a stored policy."""
    return engine.Policy(
        version=policy.version,
        critical_share=float(policy.critical_share),
        high_share=float(policy.high_share),
        medium_share=float(policy.medium_share),
        escalate_restricted=policy.escalate_restricted,
        interlock_severity=policy.interlock_severity,
        undisclosed_severity=policy.undisclosed_severity,
    )


@dataclass(frozen=True)
class RecheckResult:
    vendor: Vendor
    assessment: RiskAssessment
    previous_level: str

    @property
    def rose(self) -> bool:
        return RISK_ORDER[self.assessment.level] > RISK_ORDER[self.previous_level]


def _share(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


def _risk_increased_key(
    vendor: Vendor,
    assessment: RiskAssessment,
    event: OwnershipEvent | None,
    recheck: RecheckRequest | None,
    import_run: "ImportRun | None" = None,
) -> str:
    # One alert per vendor, per level reached, per cause: a future-dated event that raises a
    # vendor to high when logged and to critical on its effective date raises two.
    level = assessment.level
    if import_run is not None:
        return f"risk_increased:import:{import_run.pk}:vendor:{vendor.pk}:{level}"
    if event is not None:
        return f"risk_increased:event:{event.pk}:vendor:{vendor.pk}:{level}"
    if recheck is not None and recheck.policy_id is not None:
        return f"risk_increased:policy:{recheck.policy_id}:vendor:{vendor.pk}:{level}"
    if recheck is not None:
        return f"risk_increased:recheck:{recheck.pk}:vendor:{vendor.pk}:{level}"
    return f"risk_increased:assessment:{assessment.pk}"


def _cause(
    event: OwnershipEvent | None,
    policy: RiskPolicy,
    recheck: RecheckRequest | None,
    import_run: "ImportRun | None" = None,
):
    if import_run is not None:
        return f" after import run #{import_run.pk} ({import_run.source_name})"
    if event is not None:
        return f" after {event}"
    if recheck is not None and recheck.policy_id is not None:
        return f" under risk policy version {policy.version}"
    return ""


def _risk_increased(
    result: RecheckResult,
    factors: Iterable[engine.Factor],
    event: OwnershipEvent | None,
    recheck: RecheckRequest | None,
    policy: RiskPolicy,
    import_run: "ImportRun | None" = None,
) -> AlertSpec:
    vendor, assessment = result.vendor, result.assessment
    # The factors just stored, in their stored order, without reading them back; first, why
    # the level is what it is (an escalation for restricted data says so).
    factors = list(factors)
    why = engine.level_explanation(
        factors, data_access=vendor.data_access, escalate_restricted=policy.escalate_restricted
    )
    reasons = "\n".join([why, *(f"- {factor.summary}" for factor in factors)])
    return AlertSpec(
        dedup_key=_risk_increased_key(vendor, assessment, event, recheck, import_run),
        kind=AlertKind.RISK_INCREASED,
        severity=assessment.level,
        title=(
            f"{vendor.entity.name}: risk rose from {result.previous_level} "
            f"to {assessment.level}{_cause(event, policy, recheck, import_run)}"
        ),
        detail=reasons,
        vendor=vendor,
        event=event,
        import_run=import_run,
    )


_ASSESSMENT = RiskAssessment._meta.db_table
_FACTOR = RiskFactor._meta.db_table
# The choices' own codes, never user input, so they can be written into the SQL.
_INFLUENCE_CODES = ", ".join(f"'{code}'" for code in INFLUENCE_KINDS)


def previous_influences(vendor_ids: list[int]) -> dict[int, tuple[int, dict[int, set[str]]]]:
    """Each vendor's latest stored assessment (before this recheck) with the influence each
    watchlisted party had in it: vendor -> (assessment id, party -> kinds). One query, read on
    PostgreSQL by index per vendor (for a whole group's vendors it would otherwise scan every
    assessment and every factor)."""
    if not vendor_ids:
        return {}
    if connection.vendor == "postgresql":
        latest = (
            f"SELECT v.id AS vendor_id, MAX(a.id) AS id FROM (VALUES {id_rows(vendor_ids)}) "
            f"AS v(id), LATERAL (SELECT id FROM {_ASSESSMENT} WHERE vendor_id = v.id OFFSET 0) a "
            "GROUP BY v.id"
        )
        factors = (
            f"LEFT JOIN LATERAL (SELECT party_id, code FROM {_FACTOR} "
            "WHERE assessment_id = latest.id AND party_id IS NOT NULL "
            f"AND code IN ({_INFLUENCE_CODES}) OFFSET 0) f ON TRUE"
        )
    else:
        latest = (
            f"SELECT vendor_id, MAX(id) AS id FROM {_ASSESSMENT} "
            f"WHERE vendor_id IN ({id_list(vendor_ids)}) GROUP BY vendor_id"
        )
        factors = (
            f"LEFT JOIN {_FACTOR} f ON f.assessment_id = latest.id "
            f"AND f.party_id IS NOT NULL AND f.code IN ({_INFLUENCE_CODES})"
        )
    # Assessments are only ever added, so a vendor's latest has its highest id.
    sql = f"SELECT latest.vendor_id, latest.id, f.party_id, f.code FROM ({latest}) latest {factors}"
    found: dict[int, tuple[int, dict[int, set[str]]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for vendor, assessment, party, code in cursor.fetchall():
            parties = found.setdefault(vendor, (assessment, {}))[1]
            if party is not None:
                parties.setdefault(party, set()).add(INFLUENCE_KINDS[code])
    return found


def new_influences(
    outcome: engine.Assessment, before: dict[int, set[str]]
) -> dict[int, tuple[list[engine.Factor], set[str]]]:
    """The watchlisted parties ``outcome`` finds with an influence (a look-through share,
    control, an interlock) they did not have ``before``: party -> (its factors, what it gained)."""
    now: dict[int, list[engine.Factor]] = {}
    for factor in outcome.factors:
        if factor.party is not None and factor.code in INFLUENCE_KINDS:
            now.setdefault(factor.party, []).append(factor)
    found = {}
    for party, factors in now.items():
        gained = {INFLUENCE_KINDS[f.code] for f in factors} - before.get(party, set())
        if gained:
            found[party] = (factors, gained)
    return found


def _new_influence(
    vendor: Vendor,
    outcome: engine.Assessment,
    previous: tuple[int, dict[int, set[str]]] | None,
    names: dict[int, str],
    event: OwnershipEvent | None,
    import_run: "ImportRun | None" = None,
) -> list[AlertSpec]:
    """``new_influence``: one alert per watchlisted party that holds a share, control or an
    interlock in ``vendor`` that its previous assessment did not have — whether or not the
    level rose."""
    since, before = previous if previous is not None else (0, {})
    specs = []
    for party, (factors, gained) in sorted(new_influences(outcome, before).items()):
        severity = max((f.severity for f in factors), key=RISK_ORDER.get)
        party_name = names.get(party) or f"entity #{party}"
        specs.append(
            AlertSpec(
                dedup_key=f"new_influence:vendor:{vendor.pk}:party:{party}:since:{since}",
                kind=AlertKind.NEW_INFLUENCE,
                severity=severity,
                title=(
                    f"{vendor.entity.name}: {party_name} now has "
                    f"{' and '.join(sorted(gained))} in it"
                ),
                detail="\n".join(f"- {factor.summary}" for factor in factors),
                vendor=vendor,
                event=event,
                import_run=import_run,
            )
        )
    return specs


def _recheck_batch(
    vendor_ids: list[int],
    *,
    as_of: datetime.date,
    policy: RiskPolicy,
    event: OwnershipEvent | None,
    recheck: RecheckRequest | None,
    import_run: "ImportRun | None" = None,
) -> list[RecheckResult]:
    # Locks first, graph second: whoever waits for the lock then reads what the holder wrote.
    vendors = list(
        Vendor.objects.select_for_update(of=("self",))
        .filter(pk__in=vendor_ids)
        .select_related("entity", "business_owner")
        .order_by("pk")
    )
    influences_before = previous_influences([vendor.pk for vendor in vendors])
    graph = load_subgraph([vendor.entity_id for vendor in vendors], as_of=as_of).graph()
    rules = engine_policy(policy)
    computed = [
        (
            vendor,
            engine.assess_vendor(
                graph, vendor.entity_id, data_access=vendor.data_access, policy=rules
            ),
        )
        for vendor in vendors
    ]
    assessments = [
        RiskAssessment(
            vendor=vendor,
            level=outcome.level,
            score=outcome.score,
            as_of=as_of,
            policy=policy,
            policy_version=policy.version,
            event=event,
        )
        for vendor, outcome in computed
    ]
    _assessments_insert(
        assessments, [outcome.factors for _, outcome in computed], assessed_at=timezone.now()
    )
    now = timezone.now()
    results = []
    for vendor, assessment in zip(vendors, assessments, strict=True):
        # No earlier assessment counts as previously low (docs/risk-rules.md, alerts).
        previous = vendor.risk_level if vendor.risk_assessed_at else RiskLevel.LOW
        vendor.risk_level, vendor.risk_score, vendor.risk_assessed_at = (
            assessment.level,
            assessment.score,
            now,
        )
        results.append(RecheckResult(vendor, assessment, previous))
    # Risk fields are pipeline bookkeeping, excluded from the vendor's audit history. One
    # UPDATE per distinct (level, score): bulk_update's CASE per vendor took longer to build
    # than the rest of the batch took to run.
    outcomes: dict[tuple[str, int], list[int]] = {}
    for vendor in vendors:
        outcomes.setdefault((vendor.risk_level, vendor.risk_score), []).append(vendor.pk)
    for (level, score), pks in outcomes.items():
        Vendor.objects.filter(pk__in=pks).update(
            risk_level=level, risk_score=score, risk_assessed_at=now
        )
    # Every alert of the batch in a few statements: the rises and the new influences raised
    # together, then each new rise resolving the vendor's older rise it supersedes.
    rises = [
        _risk_increased(result, outcome.factors, event, recheck, policy, import_run)
        for result, (_, outcome) in zip(results, computed, strict=True)
        if result.rose
    ]
    influences = [
        spec
        for vendor, outcome in computed
        for spec in _new_influence(
            vendor, outcome, influences_before.get(vendor.pk), graph.names, event, import_run
        )
    ]
    raised = alerts_raise([*rises, *influences])
    alerts_superseded_resolve_bulk(
        alerts=[alert for alert in raised if alert.kind == AlertKind.RISK_INCREASED]
    )
    return results


_ASSESSMENT_COLUMNS = (
    ("vendor_id", "bigint"),
    ("level", "varchar"),
    ("score", "integer"),
    ("as_of", "date"),
    ("assessed_at", "timestamptz"),
    ("policy_id", "bigint"),
    ("policy_version", "integer"),
    ("event_id", "bigint"),
)
_FACTOR_COLUMNS = (
    ("assessment_id", "bigint"),
    ("code", "varchar"),
    ("severity", "varchar"),
    ("summary", "text"),
    ("party_id", "bigint"),
    ("effective_share", "numeric"),
    ("effective_share_min", "numeric"),
    ("path", "jsonb"),
)


def _assessments_insert(
    assessments: list[RiskAssessment],
    factors: list[tuple[engine.Factor, ...]],
    *,
    assessed_at: datetime.datetime,
) -> None:
    """Store a batch's assessments (their keys set on them) with each one's factors.

    On PostgreSQL the assessments, then their factors, are each one ``INSERT … SELECT FROM
    unnest`` of a column array apiece: preparing each value of each row through the ORM took
    longer than the database took to write them. Elsewhere ``bulk_create`` does it."""
    for assessment in assessments:
        assessment.assessed_at = assessed_at
    if connection.vendor != "postgresql":
        RiskAssessment.objects.bulk_create(assessments)
        RiskFactor.objects.bulk_create(
            RiskFactor(
                assessment=assessment,
                code=factor.code,
                severity=factor.severity,
                summary=factor.summary,
                party_id=factor.party,
                effective_share=_share(factor.effective_share),
                effective_share_min=_share(factor.effective_share_min),
                path=list(factor.path),
            )
            for assessment, found in zip(assessments, factors, strict=True)
            for factor in found
        )
        return
    if not assessments:
        return
    names = ", ".join(name for name, _ in _ASSESSMENT_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _ASSESSMENT_COLUMNS)
    values = [
        [
            str(getattr(assessment, name)) if kind == "varchar" else getattr(assessment, name)
            for assessment in assessments
        ]
        for name, kind in _ASSESSMENT_COLUMNS
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RiskAssessment._meta.db_table} ({names}) "
            f"SELECT * FROM unnest({arrays}) RETURNING id",
            values,
        )
        # Rows come back in the order of the arrays, as for bulk_create's own unnest insert.
        for assessment, (pk,) in zip(assessments, cursor.fetchall(), strict=True):
            assessment.pk = pk
            assessment._state.adding = False
            assessment._state.db = connection.alias
        rows = [
            (
                assessment.pk,
                str(factor.code),
                str(factor.severity),
                factor.summary,
                factor.party,
                _share(factor.effective_share),
                _share(factor.effective_share_min),
                json.dumps(list(factor.path)),
            )
            for assessment, found in zip(assessments, factors, strict=True)
            for factor in found
        ]
        if rows:
            names = ", ".join(name for name, _ in _FACTOR_COLUMNS)
            arrays = ", ".join(f"%s::{kind}[]" for _, kind in _FACTOR_COLUMNS)
            cursor.execute(
                f"INSERT INTO {RiskFactor._meta.db_table} ({names}) SELECT * FROM unnest({arrays})",
                [list(column) for column in zip(*rows, strict=True)],
            )


def vendors_recheck(
    vendor_ids: Iterable[int],
    *,
    as_of: datetime.date | None = None,
    event: OwnershipEvent | None = None,
    recheck: RecheckRequest | None = None,
    policy: RiskPolicy | None = None,
    import_run: "ImportRun | None" = None,
) -> list[RecheckResult]:
    """Recheck the given vendors as of ``as_of`` (today by default) under ``policy`` (the one
    in force by default), storing a new assessment for each and raising ``risk_increased``
    for each whose level rose (naming ``import_run`` when an import's recheck raised it).
    Must run inside a transaction (the locks last until it commits)."""
    as_of = as_of or timezone.localdate()
    ids = sorted(set(vendor_ids))
    if not ids:  # an event no vendor depends on: not even the policy is read
        return []
    policy = policy or memoized("policy", policy_current)
    results: list[RecheckResult] = []
    for start in range(0, len(ids), BATCH_SIZE):
        results += _recheck_batch(
            ids[start : start + BATCH_SIZE],
            as_of=as_of,
            policy=policy,
            event=event,
            recheck=recheck,
            import_run=import_run,
        )
    return results


@transaction.atomic
def vendor_recheck(
    *,
    vendor: Vendor,
    event: OwnershipEvent | None = None,
    as_of: datetime.date | None = None,
) -> RiskAssessment:
    """Recheck one vendor now and return its new assessment."""
    (result,) = vendors_recheck([vendor.pk], as_of=as_of, event=event)
    vendor.refresh_from_db(fields=["risk_level", "risk_score", "risk_assessed_at"])
    return result.assessment


@transaction.atomic
def vendor_recheck_request(
    *, vendor: Vendor, actor: AbstractBaseUser | None = None
) -> RecheckRequest:
    """Ask the pipeline to recheck ``vendor``; it always stores a new assessment."""
    return recheck_request(reason=RecheckReason.MANUAL, entity_ids=[vendor.entity_id], actor=actor)


def vendor_risk_as_of(*, vendor: Vendor, as_of: datetime.date) -> engine.Assessment:
    """What ``vendor``'s risk is (or will be) on ``as_of``, computed and not stored."""
    graph = load_subgraph([vendor.entity_id], as_of=as_of).graph()
    return engine.assess_vendor(
        graph, vendor.entity_id, data_access=vendor.data_access, policy=policy_rules_read_only()
    )
