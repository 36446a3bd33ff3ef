"""Entities the company treats as a concern."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.audit import AUDITED
from registry.choices import WatchlistCategory


class WatchlistEntry(models.Model):
    """An entity on the watchlist under one category, with the reason it is there."""

    entity = models.ForeignKey(
        "registry.Entity", on_delete=models.PROTECT, related_name="watchlist_entries"
    )
    category = models.CharField(max_length=16, choices=WatchlistCategory.choices)
    reason = models.TextField()
    import_run = models.ForeignKey(
        "imports.ImportRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="watchlist_entries",
        editable=False,
        help_text="The import run that listed the entity, if any: a later run of the same "
        "source that no longer lists it takes the entry off again.",
    )
    import_record = models.CharField(
        max_length=255,
        blank=True,
        editable=False,
        help_text="Its record id in that import.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=AUDITED)

    class Meta:
        verbose_name = "watchlist entry"
        verbose_name_plural = "watchlist"
        ordering = ["category", "entity__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "category"], name="watchlist_unique_entry"),
            models.CheckConstraint(
                condition=Q(category__in=WatchlistCategory.values), name="watchlist_category_valid"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="watchlist_reason_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} ({self.get_category_display()})"

    def clean(self) -> None:
        if not (self.entity_id and self.category):
            return
        taken = (
            WatchlistEntry.objects.filter(entity_id=self.entity_id, category=self.category)
            .exclude(pk=self.pk)
            .exists()
        )
        if taken:
            raise ValidationError(
                {
                    "entity": [
                        f"{self.entity} is already on the watchlist as "
                        f"{self.get_category_display().lower()}."
                    ]
                }
            )
