"""Ownership edges (owner → owned) with an interest, a share and a validity period."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core.audit import AUDITED
from registry.choices import EntityKind, Interest
from registry.risk.vocabulary import KEY_PERSON_INTERESTS, SHARELESS_INTERESTS
from registry.validators import validate_percent, validate_plausible_date


def seat_share_problems(interest: str, **shares: object) -> dict[str, str]:
    """For a seat (board member, senior managing official), the share fields given a value,
    each with why it must be empty: a seat is a place at the table, never a stake."""
    if interest not in KEY_PERSON_INTERESTS:
        return {}
    seat = Interest(interest).label.lower()
    return {
        name: f"A {seat} seat carries no share: leave it empty, and record any stake the "
        "holder also has as a separate shareholding."
        for name, value in shares.items()
        if value is not None
    }


SHARE_FIELD = {
    "max_digits": 7,
    "decimal_places": 4,
    "null": True,
    "blank": True,
    "validators": [validate_percent],
}


class OwnershipQuerySet(models.QuerySet):
    def active_on(self, date: datetime.date) -> "OwnershipQuerySet":
        """Edges valid on ``date`` (start inclusive, end inclusive)."""
        return self.filter(
            Q(start_date__lte=date), Q(end_date__isnull=True) | Q(end_date__gte=date)
        )

    def shareholdings(self) -> "OwnershipQuerySet":
        return self.filter(interest=Interest.SHAREHOLDING)


class Ownership(models.Model):
    """An edge of the ownership graph. History is kept by ending edges, never by overwriting."""

    owner = models.ForeignKey("registry.Entity", on_delete=models.PROTECT, related_name="holdings")
    owned = models.ForeignKey("registry.Entity", on_delete=models.PROTECT, related_name="owners")
    interest = models.CharField(
        max_length=32, choices=Interest.choices, default=Interest.SHAREHOLDING
    )
    share = models.DecimalField(
        **SHARE_FIELD, help_text="Exact share in percent (0–100). Leave empty for a range."
    )
    share_min = models.DecimalField(**SHARE_FIELD, help_text="Lower bound of a published range.")
    share_max = models.DecimalField(**SHARE_FIELD, help_text="Upper bound of a published range.")
    start_date = models.DateField(validators=[validate_plausible_date])
    end_date = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    source_event = models.ForeignKey(
        "registry.OwnershipEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ownerships",
        help_text="The ownership event that wrote this edge, if any.",
    )
    ended_by_event = models.ForeignKey(
        "registry.OwnershipEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ended_ownerships",
        help_text="The ownership event that ended this edge, if any: the day it ends is "
        "rechecked for that event.",
    )
    import_run = models.ForeignKey(
        "imports.ImportRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ownerships",
        editable=False,
        help_text="The import run that wrote this edge, if any.",
    )
    import_record = models.CharField(
        max_length=255,
        blank=True,
        editable=False,
        help_text="Its record or statement id in that import.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=AUDITED)

    objects = OwnershipQuerySet.as_manager()

    class Meta:
        ordering = ["owned_id", "-start_date", "id"]
        indexes = [
            models.Index(fields=["owned", "interest", "start_date"]),
            models.Index(fields=["owner", "interest", "start_date"]),
            models.Index(fields=["start_date"]),
            models.Index(fields=["end_date"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(owner=F("owned")), name="ownership_not_self"),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gte=0, share__lte=100),
                name="ownership_share_0_100",
            ),
            models.CheckConstraint(
                condition=Q(share_min__isnull=True) | Q(share_min__gte=0, share_min__lte=100),
                name="ownership_share_min_0_100",
            ),
            models.CheckConstraint(
                condition=Q(share_max__isnull=True) | Q(share_max__gte=0, share_max__lte=100),
                name="ownership_share_max_0_100",
            ),
            models.CheckConstraint(
                condition=Q(share_min__isnull=True)
                | Q(share_max__isnull=True)
                | Q(share_min__lte=F("share_max")),
                name="ownership_share_min_le_max",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="ownership_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(interest__in=Interest.values), name="ownership_interest_valid"
            ),
            models.CheckConstraint(
                condition=~Q(interest__in=[interest.value for interest in SHARELESS_INTERESTS])
                | Q(share__isnull=True, share_min__isnull=True, share_max__isnull=True),
                name="ownership_control_without_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner} → {self.owned} ({self.get_interest_display()}, {self.share_display})"

    @property
    def share_display(self) -> str:
        if self.share is not None:
            return f"{self.share.normalize():f}%"
        if self.share_min is not None or self.share_max is not None:
            low = "?" if self.share_min is None else f"{self.share_min.normalize():f}"
            high = "?" if self.share_max is None else f"{self.share_max.normalize():f}"
            return f"{low}–{high}%"
        return "—"

    def is_active_on(self, date: datetime.date) -> bool:
        return self.start_date <= date and (self.end_date is None or self.end_date >= date)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.owner_id and self.owner_id == self.owned_id:
            errors.setdefault("owned", []).append("An entity cannot own itself.")
        entities = self._meta.get_field("owned").related_model.objects
        owned = self._state.fields_cache.get("owned")
        if owned is not None and owned.pk == self.owned_id:
            # The owned entity is at hand (an importer's bulk write): no query.
            owned_is_person = owned.kind == EntityKind.PERSON
        else:
            owned_is_person = bool(self.owned_id) and (
                entities.filter(pk=self.owned_id, kind=EntityKind.PERSON).exists()
            )
        if owned_is_person:
            errors.setdefault("owned", []).append("A person cannot be owned.")
        has_range = self.share_min is not None or self.share_max is not None
        if self.share is not None and has_range:
            errors.setdefault("share", []).append(
                "Give either an exact share or a range (min/max), not both."
            )
        if self.interest in SHARELESS_INTERESTS and (self.share is not None or has_range):
            errors.setdefault("share", []).append(
                f"A {self.interest} edge carries no share: it records control without a known "
                "share. Record a known share as a shareholding or as voting rights."
            )
        for name, message in seat_share_problems(
            self.interest, share=self.share, share_min=self.share_min, share_max=self.share_max
        ).items():
            errors.setdefault(name, []).append(message)
        if self.interest == Interest.SHAREHOLDING and self.share is None and not has_range:
            errors.setdefault("share", []).append(
                "A shareholding needs a share in percent, or a range (min/max)."
            )
        if (
            self.share_min is not None
            and self.share_max is not None
            and self.share_min > self.share_max
        ):
            errors.setdefault("share_min", []).append(
                "The minimum share cannot be above the maximum share."
            )
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors.setdefault("end_date", []).append(
                "The end date cannot be before the start date."
            )
        if errors:
            raise ValidationError(errors)
