"""Edit the risk policy: each edit is a new version, so every assessment keeps the one it used."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from registry.models import RiskPolicy

#: The settings an edit may change; anything else is carried over from the latest version.
POLICY_SETTINGS = (
    "critical_share",
    "high_share",
    "medium_share",
    "escalate_restricted",
    "interlock_severity",
    "note",
)


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
    return policy
