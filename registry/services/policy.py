"""Edit the risk policy: each edit is a new version, so every assessment keeps the one it used."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from registry.choices import RecheckReason
from registry.models import RecheckRequest, RiskPolicy, Vendor
from registry.services.dispatch import recheck_enqueue

#: The settings an edit may change; anything else is carried over from the latest version.
POLICY_SETTINGS = (
    "critical_share",
    "high_share",
    "medium_share",
    "escalate_restricted",
    "interlock_severity",
    "undisclosed_severity",
    "reminder_days",
    "note",
)

#: The settings the risk engine reads: an edit that changes none of them but changes when
#: reminders are sent needs no recheck.
ENGINE_SETTINGS = POLICY_SETTINGS[:6]

#: Vendors per background recheck task after a policy edit: each batch is one task, so the
#: recheck spreads over every worker on the broker.
POLICY_RECHECK_BATCH = 500


@transaction.atomic
def risk_policy_update(*, actor: AbstractBaseUser | None = None, **fields: object) -> RiskPolicy:
    """Save a new version of the risk policy (latest version + 1) and return it.

    Settings not given are carried over from the latest version; no existing version is ever
    changed. Invalid values (thresholds out of order, outside 0–100) are refused with a
    ValidationError naming the field, and nothing is written.
    """
    unknown = sorted(set(fields) - set(POLICY_SETTINGS))
    if unknown:
        raise TypeError(f"Not risk policy settings: {', '.join(unknown)}")
    latest = RiskPolicy.objects.select_for_update().order_by("-version").first()
    values = {name: getattr(latest, name) for name in POLICY_SETTINGS} if latest else {}
    values.update(fields)
    policy = RiskPolicy(
        version=(latest.version if latest else 0) + 1,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **values,
    )
    policy.full_clean()
    try:
        # A savepoint, so a concurrent editor who took the same version number is reported
        # as a refusal rather than breaking the caller's transaction.
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    f"Version {policy.version} was saved by someone else at the same time; "
                    "reload the policy and try again."
                ]
            }
        ) from exc
    reminders_only = latest is not None and all(
        getattr(policy, name) == getattr(latest, name) for name in ENGINE_SETTINGS
    )
    if not (reminders_only and policy.reminder_days != latest.reminder_days):
        policy_recheck_start(policy=policy, actor=actor)
    return policy


def policy_recheck_start(
    *, policy: RiskPolicy, actor: AbstractBaseUser | None = None
) -> list[RecheckRequest]:
    """Recheck every vendor under ``policy`` in the background, so that stored and computed
    risk never disagree: one recheck request (and task, sent after commit) per batch of
    ``POLICY_RECHECK_BATCH`` vendors. Their ``risk_increased`` alerts name the version."""
    entity_ids = list(Vendor.objects.order_by("entity_id").values_list("entity_id", flat=True))
    requested_by = actor if getattr(actor, "is_authenticated", False) else None
    requests = RecheckRequest.objects.bulk_create(
        RecheckRequest(
            reason=RecheckReason.POLICY_CHANGED,
            entity_ids=entity_ids[start : start + POLICY_RECHECK_BATCH],
            policy=policy,
            requested_by=requested_by,
        )
        for start in range(0, len(entity_ids), POLICY_RECHECK_BATCH)
    )
    for request in requests:
        recheck_enqueue(request)
    return requests


@dataclass(frozen=True)
class PolicyRecheckProgress:
    """How far the background recheck that a policy edit started has come."""

    batches: int
    done: int
    failed: int

    @property
    def finished(self) -> bool:
        return self.done + self.failed >= self.batches

    def __str__(self) -> str:
        if not self.batches:
            return "No vendors to recheck."
        text = f"{self.done} of {self.batches} batches rechecked"
        if self.failed:
            text += f", {self.failed} failed"
        return text + ("." if self.finished else " (in progress).")


def policy_recheck_progress(policy: RiskPolicy) -> PolicyRecheckProgress:
    """The state of ``policy``'s background recheck, in one query."""
    counts = RecheckRequest.objects.filter(policy=policy).aggregate(
        batches=Count("pk"),
        done=Count("pk", filter=Q(processed_at__isnull=False)),
        failed=Count("pk", filter=Q(processed_at__isnull=True, failed_at__isnull=False)),
    )
    return PolicyRecheckProgress(**counts)
