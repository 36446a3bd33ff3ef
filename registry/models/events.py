"""Ownership events — what happened — and the recheck requests that drive the pipeline."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from registry.choices import EntityKind, EventKind, EventStatus, RecheckReason
from registry.validators import EARLIEST_DATE, validate_percent, validate_plausible_date


class OwnershipEvent(models.Model):
    """A change of ownership or influence, logged once and processed by the pipeline."""

    kind = models.CharField(max_length=32, choices=EventKind.choices)
    subject = models.ForeignKey(
        "registry.Entity",
        on_delete=models.PROTECT,
        related_name="events_as_subject",
        help_text="The entity the event is about (e.g. the company acquired).",
    )
    counterparty = models.ForeignKey(
        "registry.Entity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events_as_counterparty",
        help_text="The other party (e.g. the acquirer).",
    )
    person = models.ForeignKey(
        "registry.Entity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events_as_person",
        limit_choices_to={"kind": EntityKind.PERSON},
        error_messages={"invalid": "The person must be an entity of kind “person”."},
        help_text="The person who moves or is appointed.",
    )
    share = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[validate_percent],
        help_text="Share in percent (0–100) the counterparty holds after the event.",
    )
    effective_date = models.DateField(validators=[validate_plausible_date])
    announced_date = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    source_url = models.URLField("source URL", max_length=500, blank=True)
    note = models.TextField(blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="logged_events",
    )
    import_run = models.ForeignKey(
        "imports.ImportRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ownership_events",
        editable=False,
        help_text="The import run whose data logged this event, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(
        max_length=16, choices=EventStatus.choices, default=EventStatus.PENDING, editable=False
    )
    attempts = models.PositiveIntegerField(default=0, editable=False)
    claimed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When a worker last took it up."
    )
    last_error = models.TextField(blank=True, editable=False)
    processed_at = models.DateTimeField(null=True, blank=True, editable=False)
    vendors_total = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="Vendors its recheck covers."
    )
    vendors_done = models.PositiveIntegerField(
        default=0, editable=False, help_text="Vendors rechecked so far."
    )
    affected_vendors = models.ManyToManyField(
        "registry.Vendor", blank=True, related_name="events", editable=False
    )
    dilution = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Holders diluted pro rata to make room for the new stake.",
    )

    class Meta:
        ordering = ["-effective_date", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        permissions = [("preview_ownershipevent", "Can preview the impact of an ownership event")]
        constraints = [
            models.CheckConstraint(
                condition=Q(counterparty__isnull=True) | ~Q(counterparty=F("subject")),
                name="event_counterparty_not_subject",
            ),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gte=0, share__lte=100),
                name="event_share_0_100",
            ),
            models.CheckConstraint(
                condition=Q(effective_date__gte=EARLIEST_DATE), name="event_date_after_1900"
            ),
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=EventStatus.values), name="event_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.subject} on {self.effective_date}"

    def _kind_phrase(self) -> str:
        """ "An acquisition", "A stake change" …: the kind as the subject of a sentence."""
        kind = self.get_kind_display().lower()
        return f"{'An' if kind[:1] in 'aeiou' else 'A'} {kind}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.subject_id and self.subject_id == self.counterparty_id:
            errors["counterparty"] = ["The counterparty cannot be the subject itself."]
        needs_counterparty = {
            EventKind.ACQUISITION,
            EventKind.STAKE_CHANGE,
            EventKind.DIVESTITURE,
            EventKind.EXECUTIVE_MOVE,
        }
        if self.kind in needs_counterparty and not self.counterparty_id:
            errors["counterparty"] = [f"{self._kind_phrase()} needs a counterparty."]
        if self.kind in (EventKind.ACQUISITION, EventKind.STAKE_CHANGE) and self.share is None:
            errors["share"] = [f"{self._kind_phrase()} needs the new share in percent."]
        if self.kind == EventKind.EXECUTIVE_MOVE and not self.person_id:
            errors["person"] = ["An executive move needs the person who moves."]
        if self.kind == EventKind.BOARD_APPOINTMENT and not (
            self.person_id or self.counterparty_id
        ):
            errors["person"] = [
                "A board appointment needs the person (or a counterparty) appointed."
            ]
        late = announced_after_effective(self.announced_date, self.effective_date)
        if late:
            errors["announced_date"] = [late]
        # That the person is a person is checked by the field itself (limit_choices_to).
        if self.person_id and self.person_id in (self.subject_id, self.counterparty_id):
            errors["person"] = ["The person cannot also be the subject or the counterparty."]
        # The entity that receives the stake or the seat must be one that can be owned.
        receiving = {
            EventKind.ACQUISITION: ("subject", "A person cannot be acquired or hold shareholders."),
            EventKind.STAKE_CHANGE: (
                "subject",
                "A person cannot be acquired or hold shareholders.",
            ),
            EventKind.DIVESTITURE: ("subject", "A person cannot be acquired or hold shareholders."),
            EventKind.BOARD_APPOINTMENT: ("subject", "A person has no board to appoint anyone to."),
            EventKind.EXECUTIVE_MOVE: (
                "counterparty",
                "A person has no officers: the counterparty of an executive move is the "
                "organisation the person joins.",
            ),
        }
        if self.kind in receiving:
            field, message = receiving[self.kind]
            entity_id = getattr(self, f"{field}_id")
            entities = self._meta.get_field("person").related_model.objects
            if self._meta.get_field(field).is_cached(self):
                # The entity is at hand (an import validating thousands of events).
                is_person = getattr(self, field).kind == EntityKind.PERSON
            else:
                is_person = entities.filter(pk=entity_id, kind=EntityKind.PERSON).exists()
            if entity_id and is_person:
                errors.setdefault(field, []).append(message)
        if errors:
            raise ValidationError(errors)


def announced_after_effective(
    announced: datetime.date | None, effective: datetime.date | None
) -> str:
    """Why an announced date after the effective date is refused ("" when it is not)."""
    if announced is None or effective is None or announced <= effective:
        return ""
    return (
        f"The announced date ({announced:%Y-%m-%d}) cannot be after the effective date "
        f"({effective:%Y-%m-%d}): an event is announced on or before the day it takes effect."
    )


class RecheckRequest(models.Model):
    """Outbox row: entities whose vendors must be rechecked, written in the same transaction
    as the change that needs it, and swept up again if its task was lost."""

    reason = models.CharField(max_length=32, choices=RecheckReason.choices)
    entity_ids = models.JSONField(default=list)
    event = models.ForeignKey(
        OwnershipEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="rechecks"
    )
    as_of = models.DateField(null=True, blank=True)
    policy = models.ForeignKey(
        "registry.RiskPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rechecks",
        help_text="The policy version whose edit asked for this recheck (one request a batch).",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when it failed after its retries."
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    vendors_total = models.PositiveIntegerField(
        null=True, blank=True, help_text="Vendors it covers."
    )
    vendors_done = models.PositiveIntegerField(default=0, help_text="Vendors rechecked so far.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["processed_at", "created_at"])]

    def __str__(self) -> str:
        return f"Recheck ({self.get_reason_display()}) #{self.pk}"


class RecheckChunk(models.Model):
    """A slice of a large recheck (an event's or a recheck request's), processed by a task of
    its own in its own transaction, so a recheck of any size spreads over every worker and no
    task runs near its time limit. Its work is recorded with it: the vendors to recheck and the
    change-of-control contracts to review. Its event or request is done when every chunk is."""

    event = models.ForeignKey(
        OwnershipEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="chunks"
    )
    recheck = models.ForeignKey(
        RecheckRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="chunks"
    )
    index = models.PositiveIntegerField()
    as_of = models.DateField()
    policy = models.ForeignKey(
        "registry.RiskPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The policy in force when the recheck was planned: every chunk of one "
        "recheck is assessed under it, even if the policy changes meanwhile.",
    )
    vendor_ids = models.JSONField(default=list)
    contract_ids = models.JSONField(
        default=list, help_text="Contracts with a change-of-control clause to review."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event", "recheck", "index"]
        indexes = [models.Index(fields=["done_at", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(event__isnull=True, recheck__isnull=False)
                | Q(event__isnull=False, recheck__isnull=True),
                name="chunk_of_event_or_recheck",
            ),
            models.UniqueConstraint(
                fields=["event", "index"],
                condition=Q(event__isnull=False),
                name="chunk_unique_per_event",
            ),
            models.UniqueConstraint(
                fields=["recheck", "index"],
                condition=Q(recheck__isnull=False),
                name="chunk_unique_per_recheck",
            ),
        ]

    def __str__(self) -> str:
        owner = f"event #{self.event_id}" if self.event_id else f"recheck #{self.recheck_id}"
        return f"Chunk {self.index + 1} of {owner} ({len(self.vendor_ids)} vendors)"


class ScheduledRecheckDay(models.Model):
    """A day the daily run has covered (docs/risk-rules.md, rule 7): the next run starts after
    the latest one, so days missed while beat was down are caught up."""

    day = models.DateField(unique=True)
    vendors = models.PositiveIntegerField(default=0, help_text="Vendors rechecked for it.")
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Daily recheck of {self.day:%Y-%m-%d}"
