"""Keep the exchange rates the dashboard converts contract values with."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from registry.models import CurrencyRate
from registry.services.common import apply_changes, recorded_delete, validated_save


@transaction.atomic
def currency_rate_create(
    *,
    currency: str,
    rate: Decimal,
    valid_from: datetime.date,
    source: str = "",
    actor: AbstractBaseUser | None = None,
) -> CurrencyRate:
    """Record that one ``currency`` is worth ``rate`` of the reporting currency from
    ``valid_from``; the history keeps who entered it."""
    entry = CurrencyRate(
        currency=currency.strip().upper(), rate=rate, valid_from=valid_from, source=source.strip()
    )
    validated_save(entry, actor=actor)
    return entry


@transaction.atomic
def currency_rate_update(
    *, entry: CurrencyRate, actor: AbstractBaseUser | None = None, **changes: object
) -> CurrencyRate:
    """Correct a rate; the audit history keeps the value it had."""
    if isinstance(changes.get("currency"), str):
        changes["currency"] = changes["currency"].strip().upper()
    if apply_changes(entry, changes):
        validated_save(entry, actor=actor)
    return entry


@transaction.atomic
def currency_rate_delete(*, entry: CurrencyRate, actor: AbstractBaseUser | None = None) -> None:
    """Take a rate away (the audit history keeps it)."""
    recorded_delete(entry, actor=actor, instead="Enter a newer rate instead.")
