"""Entities with their identifiers, and the ownership edges around them (read-only)."""

import re

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from core.admin import (
    EMPTY,
    AuditedAdmin,
    ReadOnlyMixin,
    admin_link,
    badge,
    changelist_link,
    source_link,
)
from registry.admin.ownership import EdgeInline
from registry.choices import WatchlistCategory
from registry.models import Entity, EntityIdentifier, Ownership, OwnershipEvent, WatchlistEntry
from registry.selectors import entities_labelled, entity_possible_duplicates, identifier_match
from registry.services import entity_create, entity_update
from registry.web.forms import duplicates_message


class WatchlistFilter(admin.SimpleListFilter):
    title = "watchlist"
    parameter_name = "watchlist"

    def lookups(self, request, model_admin):
        return [("any", "On the watchlist"), *WatchlistCategory.choices]

    def queryset(self, request, queryset):
        entries = WatchlistEntry.objects.filter(entity=OuterRef("pk"))
        if self.value() == "any":
            return queryset.filter(Exists(entries))
        if self.value() in WatchlistCategory.values:
            return queryset.filter(Exists(entries.filter(category=self.value())))
        return queryset


class IdentifierInline(admin.TabularInline):
    model = EntityIdentifier
    fields = ("scheme", "value")
    extra = 1


class HoldingsInline(EdgeInline):
    fk_name = "owner"
    verbose_name = "holding"
    verbose_name_plural = "holdings (what it owns or sits on)"
    fields = ("owned", "interest", "share_display", "start_date", "end_date", "source")


class OwnersInline(EdgeInline):
    fk_name = "owned"
    verbose_name = "owner"
    verbose_name_plural = "owners (who owns or sits on it)"
    fields = ("owner", "interest", "share_display", "start_date", "end_date", "source")


class EntityAdminForm(forms.ModelForm):
    """The entity's fields, refused on a first save that may duplicate entities already there
    (the same name and country, or an identifier of the inline in common) until “Create
    anyway” (“Save anyway” on a change that renames or moves it) is ticked; that box shows
    only then."""

    confirm_duplicate = forms.BooleanField(
        required=False, label="Create anyway", widget=forms.HiddenInput
    )

    class Meta:
        model = Entity
        fields = ("name", "kind", "country", "lei")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["confirm_duplicate"].label = "Save anyway"

    def _inline_identifiers(self) -> list[tuple[str, str]]:
        """The identifiers typed in the inline on this page, not deleted."""
        pairs = []
        for key, scheme in self.data.items():
            found = re.fullmatch(r"identifiers-(\d+)-scheme", key)
            if not found or self.data.get(f"identifiers-{found[1]}-DELETE"):
                continue
            pairs.append((scheme, self.data.get(f"identifiers-{found[1]}-value", "")))
        return pairs

    def clean(self) -> dict:
        data = super().clean()
        identifiers = self._inline_identifiers() if self.instance.pk is None else []
        if self.instance.pk is not None and not {"name", "country"} & set(self.changed_data):
            return data
        name = data.get("name", "") if "country" in data else ""
        duplicates = entity_possible_duplicates(
            name, data.get("country", ""), identifiers, exclude_pk=self.instance.pk
        )
        if duplicates:
            self.fields["confirm_duplicate"].widget = forms.CheckboxInput()
            if not data.get("confirm_duplicate"):
                self.add_error("confirm_duplicate", duplicates_message(duplicates))
        return data


def _adopt(target: models.Model, saved: models.Model) -> None:
    """Make the admin's in-memory object the row a service saved (same id and values), so the
    inlines saved next and the response refer to it."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


@admin.register(Entity)
class EntityAdmin(AuditedAdmin):
    """Entities with their identifiers (edited inline) and, read-only, the ownership edges around
    them; edges change through the Ownership admin and events only.

    Not a ``ServiceForm`` admin: the identifiers inline is edited on the same page, so the entity
    and its identifiers are saved once all forms are valid, by ``entity_create``/``entity_update``.
    Those services refuse nothing the forms have not already checked (field rules, an identifier
    already in use).
    """

    form = EntityAdminForm
    list_display = (
        "name",
        "kind",
        "country",
        "lei",
        "watchlist",
        "owners_undisclosed",
        "vendor_link",
        "source",
    )
    list_filter = ("kind", WatchlistFilter, "owners_undisclosed", "country")
    list_select_related = ("vendor", "import_run")
    search_fields = ("name", "=lei", "=identifiers__value")
    search_help_text = "Name, LEI, identifier, or SCHEME:ID (e.g. GB-COH:01234567)."
    show_full_result_count = False
    inlines = (IdentifierInline, HoldingsInline, OwnersInline)
    # Whether its owners are undisclosed is what published data says, so imports set it.
    readonly_fields = (
        "watchlist",
        "owners_undisclosed",
        "vendor_link",
        "source",
        "shortcuts",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Entity]:
        return super().get_queryset(request).prefetch_related("watchlist_entries")

    def get_fieldsets(self, request: HttpRequest, obj: Entity | None = None):
        fieldsets = [(None, {"fields": ("name", "kind", "country", "lei", "confirm_duplicate")})]
        if obj is not None:
            fieldsets.append(("In the registry", {"fields": self.readonly_fields}))
        return fieldsets

    def get_inlines(self, request: HttpRequest, obj: Entity | None):
        return (IdentifierInline,) if obj is None else self.inlines

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        identified = identifier_match(search_term.strip())
        if identified is not None:
            results |= queryset.filter(identified)
        return results, may_have_duplicates

    @staticmethod
    def choice_label(entity: Entity) -> str:
        return entity.label

    @staticmethod
    def choice_queryset(queryset: QuerySet[Entity]) -> QuerySet[Entity]:
        return entities_labelled(queryset)

    @admin.display(description="watchlist")
    def watchlist(self, entity: Entity) -> str:
        entries = entity.watchlist_entries.all()
        if not entries:
            return EMPTY
        return format_html_join(
            " ",
            "{}",
            ((badge("watch", e.category, e.get_category_display()),) for e in entries),
        )

    @admin.display(description="vendor")
    def vendor_link(self, entity: Entity) -> str:
        vendor = getattr(entity, "vendor", None)
        return admin_link(vendor, f"Vendor (tier {vendor.tier})") if vendor else EMPTY

    @admin.display(description="source")
    def source(self, entity: Entity) -> str:
        return source_link(entity)

    @admin.display(description="see also")
    def shortcuts(self, entity: Entity) -> str:
        return format_html(
            "{} · {}",
            changelist_link(OwnershipEvent, "Events about it", subject__id__exact=entity.pk),
            changelist_link(Ownership, "All its holdings", owner__id__exact=entity.pk),
        )

    def save_model(self, request: HttpRequest, obj: Entity, form, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in ("name", "kind", "country", "lei")}
        if change:
            stored = Entity.objects.get(pk=obj.pk)
            changes = {name: fields[name] for name in form.changed_data if name in fields}
            saved = entity_update(entity=stored, actor=request.user, **changes)
        else:
            saved = entity_create(actor=request.user, **fields)
        _adopt(obj, saved)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        new, changed, deleted = [], [], []
        if formset.model is EntityIdentifier:
            deleted_forms = formset.deleted_forms
            wanted = []
            for inline_form in formset.initial_forms:
                if inline_form in deleted_forms:
                    deleted.append(inline_form.instance)
                    continue
                wanted.append(
                    (inline_form.cleaned_data["scheme"], inline_form.cleaned_data["value"])
                )
                if inline_form.has_changed():
                    changed.append((inline_form.instance, inline_form.changed_data))
            for inline_form in formset.extra_forms:
                if inline_form.has_changed() and inline_form not in deleted_forms:
                    wanted.append(
                        (inline_form.cleaned_data["scheme"], inline_form.cleaned_data["value"])
                    )
                    new.append(inline_form.instance)
            if new or changed or deleted:
                entity_update(entity=form.instance, identifiers=wanted, actor=request.user)
        # The change message reads what each formset did.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            new,
            changed,
            deleted,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Entity | None = None) -> bool:
        # Entities carry the ownership history and are never deleted.
        return False


@admin.register(EntityIdentifier)
class EntityIdentifierAdmin(ReadOnlyMixin, AuditedAdmin):
    """Look an identifier up; identifiers are edited on their entity's page."""

    list_display = ("__str__", "scheme", "value", "entity")
    list_filter = ("scheme",)
    list_select_related = ("entity",)
    search_fields = ("=value", "scheme", "entity__name")
    fields = ("entity", "scheme", "value")
