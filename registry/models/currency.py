"""Exchange rates to the reporting currency, kept by risk analysts, each valid from a date."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.audit import AUDITED
from core.validators import validate_single_line
from registry.validators import validate_currency, validate_plausible_date


def reporting_currency() -> str:
    return settings.REPORTING_CURRENCY


class CurrencyRate(models.Model):
    """What one unit of ``currency`` is worth in ``quote_currency`` (the reporting currency when
    the rate was entered) from ``valid_from`` until the currency's next rate. Storing the quote
    currency means a change of ``REPORTING_CURRENCY`` leaves old rates unused instead of
    read against the wrong currency."""

    currency = models.CharField(
        max_length=3, validators=[validate_currency], help_text="ISO 4217 code, e.g. EUR."
    )
    quote_currency = models.CharField(
        "in",
        max_length=3,
        default=reporting_currency,
        editable=False,
        validators=[validate_currency],
        help_text="The reporting currency the rate converts to.",
    )
    rate = models.DecimalField(
        max_digits=20,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text="Units of the reporting currency one unit of the currency is worth.",
    )
    valid_from = models.DateField(
        validators=[validate_plausible_date],
        help_text="First day the rate applies; it holds until the currency's next rate.",
    )
    source = models.CharField(
        max_length=255,
        blank=True,
        validators=[validate_single_line],
        help_text="Where the rate comes from (e.g. ECB reference rate).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=AUDITED)

    class Meta:
        ordering = ["currency", "-valid_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "quote_currency", "valid_from"],
                name="currency_rate_one_per_day",
                violation_error_message="This currency already has a rate from that day.",
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="currency_rate_positive"),
        ]

    def __str__(self) -> str:
        rate = f"{self.rate.normalize():f}"
        return f"1 {self.currency} = {rate} {self.quote_currency} from {self.valid_from}"

    def clean(self) -> None:
        if self.currency and self.currency == self.quote_currency:
            raise ValidationError(
                {"currency": f"{self.currency} is the reporting currency: it needs no rate."}
            )
