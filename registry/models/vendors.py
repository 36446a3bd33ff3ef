"""Vendors we buy from and the contracts we hold with them."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core.audit import AUDITED
from core.validators import validate_single_line
from registry.choices import DataAccess, RiskLevel, VendorCategory, VendorStatus
from registry.validators import validate_currency, validate_plausible_date


class Vendor(models.Model):
    """An entity we buy from. Its risk fields mirror its latest assessment."""

    entity = models.OneToOneField(
        "registry.Entity", on_delete=models.PROTECT, related_name="vendor"
    )
    category = models.CharField(max_length=32, choices=VendorCategory.choices, blank=True)
    status = models.CharField(
        max_length=16, choices=VendorStatus.choices, default=VendorStatus.ACTIVE
    )
    tier = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="1 = most critical … 4 = least.",
    )
    data_access = models.CharField(
        max_length=16,
        choices=DataAccess.choices,
        default=DataAccess.NONE,
        help_text="The most sensitive data the vendor can access.",
    )
    business_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_vendors",
    )
    # A copy of the entity's name that the database keeps current (triggers of migration
    # 0019, on insert, on a change of entity and on the entity's rename), so that lists sorted
    # by name page through an index of this table instead of joining every entity first.
    entity_name = models.CharField(max_length=255, default="", editable=False)
    risk_level = models.CharField(
        max_length=16, choices=RiskLevel.choices, default=RiskLevel.LOW, editable=False
    )
    risk_score = models.PositiveSmallIntegerField(default=0, editable=False)
    risk_assessed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(
        excluded_fields=["entity_name", "risk_level", "risk_score", "risk_assessed_at"],
        bases=AUDITED,
    )

    class Meta:
        ordering = ["entity_name", "id"]
        indexes = [
            models.Index(fields=["risk_level"]),
            models.Index(fields=["entity_name", "id"], name="vendor_name_order"),
        ]
        permissions = [("recheck_vendor", "Can ask for a risk recheck of a vendor")]
        constraints = [
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=4), name="vendor_tier_1_4"),
            models.CheckConstraint(
                condition=Q(risk_score__gte=0, risk_score__lte=100), name="vendor_score_0_100"
            ),
            models.CheckConstraint(
                condition=Q(status__in=VendorStatus.values), name="vendor_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(data_access__in=DataAccess.values), name="vendor_data_access_valid"
            ),
            models.CheckConstraint(
                condition=Q(risk_level__in=RiskLevel.values), name="vendor_risk_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.entity.name

    @property
    def name(self) -> str:
        return self.entity.name


class Contract(models.Model):
    """A contract with a vendor; a change-of-control clause gives a termination window."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="contracts")
    reference = models.CharField(max_length=64, unique=True, validators=[validate_single_line])
    title = models.CharField(max_length=255, validators=[validate_single_line])
    value = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Total contract value.",
    )
    currency = models.CharField(
        max_length=3, default="USD", validators=[validate_currency], help_text="ISO 4217 code."
    )
    start_date = models.DateField(validators=[validate_plausible_date])
    end_date = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    data_classification = models.CharField(
        max_length=16, choices=DataAccess.choices, default=DataAccess.INTERNAL
    )
    change_of_control_clause = models.BooleanField(
        "change-of-control clause",
        default=False,
        help_text="Whether the contract can be ended when the vendor changes hands.",
    )
    coc_termination_window_days = models.PositiveIntegerField(
        "CoC termination window (days)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text="Days after a change of control in which we may terminate.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_contracts",
        help_text="Who manages this contract; alerts on it are assigned to them.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=AUDITED)

    class Meta:
        ordering = ["vendor_id", "reference"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="contract_value_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="contract_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="contract_currency_alpha3"
            ),
            models.CheckConstraint(
                condition=Q(change_of_control_clause=False)
                | Q(coc_termination_window_days__isnull=False),
                name="contract_coc_clause_has_window",
            ),
            models.CheckConstraint(
                condition=Q(data_classification__in=DataAccess.values),
                name="contract_classification_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"

    def is_active_on(self, date) -> bool:
        return self.start_date <= date and (self.end_date is None or self.end_date >= date)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = ["The end date cannot be before the start date."]
        if self.change_of_control_clause and self.coc_termination_window_days is None:
            errors["coc_termination_window_days"] = [
                "A contract with a change-of-control clause needs its termination window in days."
            ]
        if errors:
            raise ValidationError(errors)
