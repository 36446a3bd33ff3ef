"""Edges of the ownership graph."""

from django.contrib import admin
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.admin import (
    AuditedAdmin,
    ReadOnlyInline,
    ServiceForm,
    ServiceFormMixin,
    source_link,
)
from registry.models import Ownership
from registry.services import ownership_delete, ownership_set, ownership_update


class EdgeInline(ReadOnlyInline):
    model = Ownership

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ownership]:
        # Current edges first, then history, newest first.
        return (
            super()
            .get_queryset(request)
            .select_related("owner", "owned", "source_event__import_run", "import_run")
            .order_by(F("end_date").desc(nulls_first=True), "-start_date", "id")
        )

    @admin.display(description="share")
    def share_display(self, edge: Ownership) -> str:
        return edge.share_display

    @admin.display(description="source")
    def source(self, edge: Ownership) -> str:
        return source_link(edge)


class OwnershipPeriodFilter(admin.SimpleListFilter):
    title = "period"
    parameter_name = "period"

    def lookups(self, request, model_admin):
        return [("active", "Active today"), ("ended", "Ended"), ("future", "Starts later")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "active":
            return queryset.active_on(today)
        if self.value() == "ended":
            return queryset.filter(end_date__lt=today)
        if self.value() == "future":
            return queryset.filter(start_date__gt=today)
        return queryset


class OwnershipSourceFilter(admin.SimpleListFilter):
    title = "written by"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [
            ("import", "An import run (directly or by its events)"),
            ("event", "An ownership event"),
            ("direct", "A direct edit"),
        ]

    def queryset(self, request, queryset):
        by_import = Q(import_run__isnull=False) | Q(source_event__import_run__isnull=False)
        if self.value() == "import":
            return queryset.filter(by_import)
        if self.value() == "event":
            return queryset.filter(source_event__isnull=False).exclude(by_import)
        if self.value() == "direct":
            return queryset.filter(source_event__isnull=True, import_run__isnull=True)
        return queryset


class OwnershipForm(ServiceForm):
    class Meta:
        model = Ownership
        fields = (
            "owner",
            "owned",
            "interest",
            "share",
            "share_min",
            "share_max",
            "start_date",
            "end_date",
        )

    def save_through_service(self) -> Ownership:
        if self.is_adding():
            return ownership_set(actor=self.actor, **self.values())
        values = self.values()
        return ownership_update(
            ownership=self.stored(),
            **{field: values[field] for field in OwnershipForm.TERMS},
            actor=self.actor,
        )

    TERMS = ("share", "share_min", "share_max", "start_date", "end_date")


@admin.register(Ownership)
class OwnershipAdmin(ServiceFormMixin, AuditedAdmin):
    """Edges of the ownership graph. History is never overwritten: a change of share or dates
    goes through ``ownership_update``, the service every door uses for an edit."""

    form = OwnershipForm
    list_display = (
        "owner",
        "owned",
        "interest",
        "share_column",
        "start_date",
        "end_date",
        "source",
    )
    list_filter = ("interest", OwnershipPeriodFilter, OwnershipSourceFilter)
    list_select_related = ("owner", "owned", "source_event__import_run", "import_run")
    search_fields = ("owner__name", "owned__name")
    autocomplete_fields = ("owner", "owned")
    show_full_result_count = False

    CHANGE_HELP = (
        "An edge's history is never overwritten. To record a change that takes effect on a "
        "date, set the start date to that date: this edge ends the day before and a new one "
        "starts. Keeping the start date corrects this edge (its old values stay in the history). "
        "Setting only an end date ends it."
    )

    def get_fieldsets(self, request: HttpRequest, obj: Ownership | None = None):
        share = ("Share", {"fields": ("share", ("share_min", "share_max"))})
        period = ("Validity", {"fields": ("start_date", "end_date")})
        if obj is None:
            return [(None, {"fields": ("owner", "owned", "interest")}), share, period]
        edge = (None, {"fields": ("owner", "owned", "interest"), "description": self.CHANGE_HELP})
        return [edge, share, period, ("Recorded", {"fields": ("source", "created_at")})]

    def get_readonly_fields(self, request: HttpRequest, obj: Ownership | None = None):
        if obj is None:
            return ()
        return ("owner", "owned", "interest", "source", "created_at")

    @admin.display(description="source")
    def source(self, edge: Ownership) -> str:
        return source_link(edge)

    @admin.display(description="share")
    def share_column(self, edge: Ownership) -> str:
        return edge.share_display

    def has_delete_permission(self, request: HttpRequest, obj: Ownership | None = None) -> bool:
        # An edge an event wrote is part of that event; only a directly entered one is removed.
        if obj is not None and obj.source_event_id is not None:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Ownership) -> None:
        """Removing an edge means it never took effect (``ownership_delete``)."""
        ownership_delete(ownership=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Ownership]) -> None:
        for edge in queryset:
            self.delete_model(request, edge)
