"""Create and update vendors and their contracts."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from registry.choices import RecheckReason
from registry.models import Contract, Entity, Vendor
from registry.services.common import apply_changes, recorded_delete, validated_save
from registry.services.dispatch import recheck_request

VENDOR_RISK_INPUTS = {"entity", "data_access"}


@transaction.atomic
def vendor_create(
    *, entity: Entity, actor: AbstractBaseUser | None = None, **fields: object
) -> Vendor:
    """Register ``entity`` as a vendor; its first assessment follows after commit."""
    vendor = Vendor(entity=entity, **fields)
    validated_save(vendor, actor=actor)
    recheck_request(reason=RecheckReason.VENDOR_ADDED, entity_ids=[entity.pk], actor=actor)
    return vendor


@transaction.atomic
def vendor_update(
    *, vendor: Vendor, actor: AbstractBaseUser | None = None, **changes: object
) -> Vendor:
    """Change a vendor; a change to its entity or data access rechecks it."""
    changed = apply_changes(vendor, changes)
    if changed:
        validated_save(vendor, actor=actor)
    if VENDOR_RISK_INPUTS.intersection(changed):
        recheck_request(reason=RecheckReason.MANUAL, entity_ids=[vendor.entity_id], actor=actor)
    return vendor


@transaction.atomic
def contract_create(
    *, vendor: Vendor, actor: AbstractBaseUser | None = None, **fields: object
) -> Contract:
    """Record a contract with ``vendor``."""
    contract = Contract(vendor=vendor, **fields)
    validated_save(contract, actor=actor)
    return contract


@transaction.atomic
def contract_update(
    *, contract: Contract, actor: AbstractBaseUser | None = None, **changes: object
) -> Contract:
    """Change a contract's fields."""
    if apply_changes(contract, changes):
        validated_save(contract, actor=actor)
    return contract


@transaction.atomic
def vendor_delete(*, vendor: Vendor, actor: AbstractBaseUser | None = None) -> None:
    """Delete a vendor entered by mistake: one with no assessments, alerts or contracts.
    Any other vendor is offboarded instead (its status), so that its history stays."""
    recorded_delete(vendor, actor=actor, instead="Offboard it instead (status “offboarded”).")


@transaction.atomic
def contract_delete(*, contract: Contract, actor: AbstractBaseUser | None = None) -> None:
    """Delete a contract that no alert refers to; any other is ended (its end date)."""
    recorded_delete(contract, actor=actor, instead="End it instead (set its end date).")
