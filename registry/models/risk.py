"""Risk policy (admin-edited, versioned) and assessments (kept as history)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from registry.choices import FactorCode, RiskLevel
from registry.risk.vocabulary import POLICY_DEFAULTS

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class RiskPolicy(models.Model):
    """Thresholds and escalation the engine applies. Each edit is saved as a new version."""

    version = models.PositiveIntegerField(unique=True, editable=False)
    critical_share = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        default=POLICY_DEFAULTS.critical_share,
        validators=PERCENT,
        help_text="Look-through share (%) of a watchlisted party from which influence is critical.",
    )
    high_share = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        default=POLICY_DEFAULTS.high_share,
        validators=PERCENT,
        help_text="… from which it is high.",
    )
    medium_share = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        default=POLICY_DEFAULTS.medium_share,
        validators=PERCENT,
        help_text="… from which it is medium (any share above zero is low).",
    )
    escalate_restricted = models.BooleanField(
        default=POLICY_DEFAULTS.escalate_restricted,
        help_text="Raise a vendor with restricted data access to critical when its highest "
        "competitor or sanctions factor is high.",
    )
    interlock_severity = models.CharField(
        max_length=16,
        choices=RiskLevel.choices,
        default=RiskLevel(POLICY_DEFAULTS.interlock_severity),
    )
    undisclosed_severity = models.CharField(
        max_length=16,
        choices=RiskLevel.choices,
        default=RiskLevel(POLICY_DEFAULTS.undisclosed_severity),
        help_text="Severity of a vendor at or below an entity whose owners are undisclosed.",
    )
    note = models.TextField(blank=True, help_text="Why this version was made.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "risk policies"
        ordering = ["-version"]
        get_latest_by = "version"
        constraints = [
            models.CheckConstraint(
                condition=Q(medium_share__gt=0)
                & Q(medium_share__lte=F("high_share"))
                & Q(high_share__lte=F("critical_share"))
                & Q(critical_share__lte=100),
                name="policy_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Risk policy v{self.version}"

    def clean(self) -> None:
        if None in (self.medium_share, self.high_share, self.critical_share):
            return
        if self.medium_share <= 0:
            raise ValidationError({"medium_share": "The medium threshold must be above 0%."})
        # Each threshold's own 0–100 bounds are its field's validators.
        if not (self.medium_share <= self.high_share <= self.critical_share):
            raise ValidationError(
                {"high_share": "Thresholds must satisfy 0 < medium ≤ high ≤ critical ≤ 100."}
            )


class RiskAssessment(models.Model):
    """A vendor's computed risk at one moment. Never updated: a recheck adds a new one."""

    vendor = models.ForeignKey(
        "registry.Vendor", on_delete=models.PROTECT, related_name="assessments"
    )
    level = models.CharField(max_length=16, choices=RiskLevel.choices)
    score = models.PositiveSmallIntegerField()
    as_of = models.DateField(help_text="The date the ownership graph was read as of.")
    assessed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    policy = models.ForeignKey(RiskPolicy, on_delete=models.PROTECT, related_name="assessments")
    policy_version = models.PositiveIntegerField()
    event = models.ForeignKey(
        "registry.OwnershipEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )

    class Meta:
        ordering = ["-assessed_at", "-id"]
        get_latest_by = ["assessed_at", "id"]
        indexes = [models.Index(fields=["vendor", "-assessed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="assessment_score_0_100"
            ),
            models.CheckConstraint(
                condition=Q(level__in=RiskLevel.values), name="assessment_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor}: {self.level} ({self.score}) at {self.assessed_at:%Y-%m-%d %H:%M}"


class RiskFactor(models.Model):
    """One explained reason for an assessment's level."""

    Code = FactorCode

    assessment = models.ForeignKey(RiskAssessment, on_delete=models.CASCADE, related_name="factors")
    code = models.CharField(max_length=32, choices=Code.choices)
    severity = models.CharField(max_length=16, choices=RiskLevel.choices)
    summary = models.TextField()
    party = models.ForeignKey(
        "registry.Entity", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    effective_share = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    effective_share_min = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    path = models.JSONField(default=list, help_text="Entity ids from the party to the vendor.")

    class Meta:
        ordering = ["assessment_id", "id"]

    def __str__(self) -> str:
        return f"{self.code} ({self.severity})"
