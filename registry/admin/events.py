"""Ownership events, and the pipeline's recheck requests and covered days."""

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from core.admin import (
    EMPTY,
    ReadOnlyMixin,
    RegistryAdmin,
    ServiceForm,
    ServiceFormMixin,
    admin_link,
    badge,
)
from registry.admin.ownership import EdgeInline
from registry.models import (
    Entity,
    OwnershipEvent,
    RecheckChunk,
    RecheckRequest,
    ScheduledRecheckDay,
)
from registry.services import ownership_event_log, ownership_event_resend


def percent(value: Decimal | None) -> str:
    return EMPTY if value is None else f"{value.normalize():f}%"


class OwnershipEventForm(ServiceForm):
    class Meta:
        model = OwnershipEvent
        fields = (
            "kind",
            "subject",
            "counterparty",
            "person",
            "share",
            "effective_date",
            "announced_date",
            "source_url",
            "note",
        )

    def save_through_service(self) -> OwnershipEvent:
        return ownership_event_log(actor=self.actor, **self.values())


class EventEdgeInline(EdgeInline):
    fk_name = "source_event"
    verbose_name = "edge written by this event"
    verbose_name_plural = "edges written by this event"
    fields = ("owner", "owned", "interest", "share_display", "start_date", "end_date")


@admin.register(OwnershipEvent)
class OwnershipEventAdmin(ServiceFormMixin, RegistryAdmin):
    """Logging an event applies it to the edges (``ownership_event_log``) and queues its
    recheck. An event is a record of what happened: once logged it is never edited; its page
    shows how the pipeline processed it."""

    form = OwnershipEventForm
    list_display = (
        "effective_date",
        "kind",
        "subject",
        "counterparty",
        "person",
        "share_column",
        "status_badge",
        "attempts",
        "logged_by",
        "created_at",
    )
    list_filter = ("status", "kind")
    list_select_related = ("subject", "counterparty", "person", "logged_by")
    search_fields = ("subject__name", "counterparty__name", "person__name")
    date_hierarchy = "effective_date"
    autocomplete_fields = ("subject", "counterparty", "person")
    inlines = (EventEdgeInline,)
    actions = ("resend_for_processing",)
    EVENT_FIELDS = OwnershipEventForm.Meta.fields
    PROCESSING_FIELDS = (
        "status_badge",
        "attempts",
        "claimed_at",
        "last_error",
        "processed_at",
        "affected_vendor_links",
        "dilution_table",
        "alert_links",
        "logged_by",
        "created_at",
    )

    def get_fieldsets(self, request: HttpRequest, obj: OwnershipEvent | None = None):
        event = (None, {"fields": self.EVENT_FIELDS})
        if obj is None:
            return [event]
        return [event, ("Processing", {"fields": self.PROCESSING_FIELDS})]

    def get_readonly_fields(self, request: HttpRequest, obj: OwnershipEvent | None = None):
        return () if obj is None else (*self.EVENT_FIELDS, *self.PROCESSING_FIELDS)

    def get_inlines(self, request: HttpRequest, obj: OwnershipEvent | None):
        return () if obj is None else self.inlines

    def has_change_permission(self, request: HttpRequest, obj: OwnershipEvent | None = None):
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: OwnershipEvent | None = None):
        return False

    @admin.display(description="share", ordering="share")
    def share_column(self, event: OwnershipEvent) -> str:
        return percent(event.share)

    @admin.display(description="status", ordering="status")
    def status_badge(self, event: OwnershipEvent) -> str:
        return badge("event", event.status, event.get_status_display())

    @admin.display(description="affected vendors")
    def affected_vendor_links(self, event: OwnershipEvent) -> str:
        vendors = event.affected_vendors.select_related("entity").order_by("entity__name")
        return format_html_join(", ", "{}", ((admin_link(v),) for v in vendors)) or EMPTY

    @admin.display(description="dilution of other holders")
    def dilution_table(self, event: OwnershipEvent) -> str:
        if not event.dilution:
            return EMPTY
        rows = format_html_join(
            "",
            "<li>{}: {} → {}</li>",
            ((row["owner_name"], row["from"], row["to"]) for row in event.dilution),
        )
        return format_html('<ul class="vr-list">{}</ul>', rows)

    @admin.display(description="alerts raised")
    def alert_links(self, event: OwnershipEvent) -> str:
        alerts = event.alerts.order_by("-created_at", "-id")
        return format_html_join(", ", "{}", ((admin_link(a),) for a in alerts)) or EMPTY

    @admin.action(description="Re-send failed events for processing", permissions=["resend"])
    def resend_for_processing(self, request: HttpRequest, queryset: QuerySet[OwnershipEvent]):
        sent, refused = [], []
        for event in queryset:
            try:
                sent.append(ownership_event_resend(event=event, actor=request.user))
            except ValidationError:
                refused.append(event)
        if sent:
            self.message_user(
                request, f"Re-sent {len(sent)} failed event(s) for processing.", messages.SUCCESS
            )
        if refused:
            listing = "; ".join(
                f"{event} ({event.get_status_display().lower()})" for event in refused
            )
            self.message_user(
                request,
                f"Not re-sent, only failed events are: {listing}.",
                messages.WARNING,
            )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        # Whoever may log an event may send a failed one through again.
        return request.user.has_perm("registry.add_ownershipevent")


@admin.register(RecheckRequest)
class RecheckRequestAdmin(ReadOnlyMixin, RegistryAdmin):
    """The pipeline's outbox: what was asked to be rechecked, and whether it was."""

    list_display = (
        "__str__",
        "reason",
        "entity_count",
        "event",
        "requested_by",
        "created_at",
        "processed_at",
        "attempts",
    )
    list_filter = (
        "reason",
        ("processed_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("event__subject", "requested_by")
    search_fields = ("event__subject__name",)
    date_hierarchy = "created_at"
    fields = (
        "reason",
        "entity_names",
        "event",
        "as_of",
        "requested_by",
        "created_at",
        "processed_at",
        "failed_at",
        "attempts",
        "last_error",
    )
    readonly_fields = ("entity_names",)
    #: Entities named on a request's page; a scheduled recheck can list thousands.
    NAMES_SHOWN = 50

    @admin.display(description="entities")
    def entity_count(self, recheck: RecheckRequest) -> int:
        return len(recheck.entity_ids)

    @admin.display(description="entities")
    def entity_names(self, recheck: RecheckRequest) -> str:
        ids = recheck.entity_ids[: self.NAMES_SHOWN]
        entities = Entity.objects.filter(pk__in=ids).order_by("name")
        links = format_html_join(", ", "{}", ((admin_link(e),) for e in entities))
        more = len(recheck.entity_ids) - len(ids)
        return format_html("{} and {} more", links, more) if more > 0 else (links or EMPTY)


@admin.register(RecheckChunk)
class RecheckChunkAdmin(ReadOnlyMixin, RegistryAdmin):
    """The chunks a large recheck was split into, each run as its own task: which are done,
    which are waiting or being retried, and why one failed."""

    list_display = ("__str__", "event", "recheck", "vendor_count", "attempts", "done_at")
    list_filter = (("done_at", admin.EmptyFieldListFilter),)
    list_select_related = ("event__subject", "recheck")
    search_fields = ("event__subject__name",)
    fields = (
        "event",
        "recheck",
        "index",
        "as_of",
        "vendor_count",
        "created_at",
        "claimed_at",
        "attempts",
        "done_at",
        "last_error",
    )
    readonly_fields = ("vendor_count",)

    @admin.display(description="vendors")
    def vendor_count(self, chunk: RecheckChunk) -> int:
        return len(chunk.vendor_ids)


@admin.register(ScheduledRecheckDay)
class ScheduledRecheckDayAdmin(ReadOnlyMixin, RegistryAdmin):
    """The days the daily recheck has covered; a day missed while beat was down is caught up
    by the next run."""

    list_display = ("day", "vendors", "finished_at")
    date_hierarchy = "day"
    fields = ("day", "vendors", "finished_at")
