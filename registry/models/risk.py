"""Risk policy (admin-edited, versioned) and assessments (kept as history)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from registry.choices import FactorCode, RiskLevel
from registry.risk.vocabulary import POLICY_DEFAULTS

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]

#: Reminders before a deadline (days), unless the policy says otherwise.
DEFAULT_REMINDER_DAYS = (7, 1)
#: The longest a reminder may come ahead of its deadline.
MAX_REMINDER_DAYS = 365


def default_reminder_days() -> list[int]:
    return list(DEFAULT_REMINDER_DAYS)


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
    reminder_days = models.JSONField(
        default=default_reminder_days,
        blank=True,
        help_text="Days before a change-of-control deadline or a contract's end on which its "
        "assignee is reminded (besides the day itself); empty for the day only.",
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
        self.reminder_days = self._clean_reminder_days(self.reminder_days)
        if None in (self.medium_share, self.high_share, self.critical_share):
            return
        if self.medium_share <= 0:
            raise ValidationError({"medium_share": "The medium threshold must be above 0%."})
        # Each threshold's own 0–100 bounds are its field's validators.
        if not (self.medium_share <= self.high_share <= self.critical_share):
            raise ValidationError(
                {"high_share": "Thresholds must satisfy 0 < medium ≤ high ≤ critical ≤ 100."}
            )

    @staticmethod
    def _clean_reminder_days(value: object) -> list[int]:
        """Whole days from 1 to ``MAX_REMINDER_DAYS``, without repeats, largest first."""
        if value is None:
            value = []
        if not isinstance(value, list) or not all(
            isinstance(day, int) and not isinstance(day, bool) for day in value
        ):
            raise ValidationError(
                {"reminder_days": "Give a list of whole numbers of days, e.g. [7, 1]."}
            )
        out_of_range = [day for day in value if not 1 <= day <= MAX_REMINDER_DAYS]
        if out_of_range:
            raise ValidationError(
                {
                    "reminder_days": f"Reminder days must be from 1 to {MAX_REMINDER_DAYS}; "
                    f"got {', '.join(map(str, out_of_range))}."
                }
            )
        return sorted(set(value), reverse=True)


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
