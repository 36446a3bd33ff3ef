"""The watchlist: entities the company treats as a concern."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import AuditedAdmin, ServiceForm, ServiceFormMixin, badge
from registry.models import WatchlistEntry
from registry.services import watchlist_entry_create, watchlist_entry_delete, watchlist_entry_update


class WatchlistEntryForm(ServiceForm):
    class Meta:
        model = WatchlistEntry
        fields = ("entity", "category", "reason")

    def save_through_service(self) -> WatchlistEntry:
        if self.is_adding():
            return watchlist_entry_create(actor=self.actor, **self.values())
        return watchlist_entry_update(entry=self.stored(), actor=self.actor, **self.changes())


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(ServiceFormMixin, AuditedAdmin):
    form = WatchlistEntryForm
    list_display = ("entity", "category_badge", "reason", "import_run", "created_at")
    list_filter = ("category",)
    list_select_related = ("entity", "import_run")
    # Who listed it: an import run's entries are taken off by a later run of its source.
    readonly_fields = ("import_run", "import_record")
    search_fields = ("entity__name", "reason")
    autocomplete_fields = ("entity",)

    @admin.display(description="category", ordering="category")
    def category_badge(self, entry: WatchlistEntry) -> str:
        return badge("watch", entry.category, entry.get_category_display())

    def delete_model(self, request: HttpRequest, obj: WatchlistEntry) -> None:
        watchlist_entry_delete(entry=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WatchlistEntry]) -> None:
        for entry in queryset:
            watchlist_entry_delete(entry=entry, actor=request.user)
