"""The registry's Django admin: the working tool of risk analysts.

Every write goes through the services (``registry.services``), as it does from any other door.
Most admin forms are ``ServiceForm``s: the model's own validation runs first, then the service is
called as the last step of validation, so anything it refuses (the 100% shareholding rule, an
event with nothing to divest …) shows at the field it names instead of failing the request.
Lists read with ``list_select_related``/prefetching, so a changelist makes the same number of
queries whatever the number of rows; every foreign key to a large table is an autocomplete.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from simple_history.admin import SimpleHistoryAdmin

from alerts.models import Alert
from registry.choices import WatchlistCategory
from registry.models import (
    Contract,
    Entity,
    EntityIdentifier,
    Ownership,
    OwnershipEvent,
    RecheckRequest,
    RiskAssessment,
    RiskFactor,
    RiskPolicy,
    ScheduledRecheckDay,
    Vendor,
    WatchlistEntry,
)
from registry.selectors import vendor_latest_assessment
from registry.services import (
    contract_create,
    contract_update,
    entity_create,
    entity_update,
    ownership_delete,
    ownership_event_log,
    ownership_event_resend,
    ownership_set,
    ownership_update,
    vendor_create,
    vendor_update,
    watchlist_entry_create,
    watchlist_entry_delete,
    watchlist_entry_update,
)
from registry.services.policy import (
    POLICY_SETTINGS,
    policy_recheck_progress,
    risk_policy_update,
)
from registry.services.risk import vendor_recheck_request

admin.site.site_header = "Vendor Registry"
admin.site.site_title = "Vendor Registry admin"
admin.site.index_title = "Registry, risk and alerts"

EMPTY = "—"


# --- Display helpers ----------------------------------------------------------------------------


def badge(group: str, value: str, label: str) -> str:
    """A coloured badge (styles in ``registry/admin.css``): ``group`` is level, event, alert …"""
    return format_html('<span class="vr-badge vr-{}-{}">{}</span>', group, value, label)


def admin_link(obj: models.Model | None, label: object = None) -> str:
    """A link to ``obj``'s admin page, or a dash when there is none."""
    if obj is None:
        return EMPTY
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if label is None else label)


def changelist_link(model: type[models.Model], label: str, **filters: object) -> str:
    """A link to ``model``'s changelist filtered by ``filters`` (admin lookup parameters)."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), label)


def percent(value: Decimal | None) -> str:
    return EMPTY if value is None else f"{value.normalize():f}%"


# --- Forms that save through a service ----------------------------------------------------------


class ServiceForm(forms.ModelForm):
    """A model form whose save is a service call, made as the last step of validation.

    The model's own validation (fields, ``clean()``, constraints) runs first; only a form that
    passes it calls ``save_through_service()``, inside a savepoint. A ``ValidationError`` the
    service raises rolls the savepoint back and becomes a form error at the field it names (or
    at the top of the form for a field that is not on it). An admin using such a form has no
    editable inlines: once the form is valid, the admin always goes on to save, so nothing
    written while validating is ever left behind by a page that shows errors.
    """

    #: The user the service acts for; set on each request's form class by ``ServiceFormMixin``.
    actor: AbstractBaseUser | None = None

    def save_through_service(self) -> models.Model:
        """Call the service with this form's values and return the object it saved."""
        raise NotImplementedError

    def is_adding(self) -> bool:
        return self.instance._state.adding

    def values(self) -> dict[str, Any]:
        """The cleaned values of every field on the form."""
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}

    def changes(self) -> dict[str, Any]:
        """The cleaned values of the fields the user changed."""
        return {name: self.cleaned_data[name] for name in self.changed_data}

    def stored(self) -> models.Model:
        """The row as stored: the form's own instance already carries the submitted values."""
        return type(self.instance)._default_manager.get(pk=self.instance.pk)

    def _post_clean(self) -> None:
        super()._post_clean()
        if self._errors:
            return
        try:
            with transaction.atomic():
                self.instance = self.save_through_service()
        except ValidationError as exc:
            self._add_service_errors(exc)

    def _add_service_errors(self, exc: ValidationError) -> None:
        errors = (
            exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
        )
        for field, field_errors in errors.items():
            if field in self.fields:
                self.add_error(field, field_errors)
                continue
            messages_ = [message for error in field_errors for message in error.messages]
            if field != NON_FIELD_ERRORS:
                label = self._field_label(field)
                messages_ = [f"{label}: {message}" for message in messages_]
            self.add_error(None, messages_)

    def _field_label(self, name: str) -> str:
        try:
            return str(self._meta.model._meta.get_field(name).verbose_name).capitalize()
        except FieldDoesNotExist:
            return name.replace("_", " ").capitalize()


class RegistryAdmin(admin.ModelAdmin):
    """Base of every registry and alerts admin: the badge styles."""

    class Media:
        css = {"all": ["registry/admin.css"]}


class AuditedAdmin(SimpleHistoryAdmin, RegistryAdmin):
    """An admin whose model keeps an audit history (django-simple-history), shown read-only.

    Reverting from the history page would write around the services, so it is switched off and
    a POST to a historical version is refused.
    """

    def revert_disabled(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return True

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ServiceFormMixin:
    """For admins whose ``form`` is a ``ServiceForm``: the form is told who acts, and saving is
    already done by the time the admin would save."""

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # modelform_factory made a new class for this request, so this does not leak.
        form.actor = request.user
        return form

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        """Nothing left to do: the form saved through its service when it was validated."""

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        # Only read-only inlines sit beside a service form: there is nothing to save.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class ReadOnlyMixin:
    """Rows written only by the system (the pipeline, the engine): view, never edit."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """A read-only list of related rows, each linking to its own page."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields


# --- Entities -----------------------------------------------------------------------------------


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


class EdgeInline(ReadOnlyInline):
    model = Ownership

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ownership]:
        # Current edges first, then history, newest first.
        return (
            super()
            .get_queryset(request)
            .select_related("owner", "owned", "source_event__subject")
            .order_by(F("end_date").desc(nulls_first=True), "-start_date", "id")
        )

    @admin.display(description="share")
    def share_display(self, edge: Ownership) -> str:
        return edge.share_display


class HoldingsInline(EdgeInline):
    fk_name = "owner"
    verbose_name = "holding"
    verbose_name_plural = "holdings (what it owns or sits on)"
    fields = ("owned", "interest", "share_display", "start_date", "end_date", "source_event")


class OwnersInline(EdgeInline):
    fk_name = "owned"
    verbose_name = "owner"
    verbose_name_plural = "owners (who owns or sits on it)"
    fields = ("owner", "interest", "share_display", "start_date", "end_date", "source_event")


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

    list_display = ("name", "kind", "country", "lei", "watchlist", "vendor_link")
    list_filter = ("kind", WatchlistFilter, "country")
    list_select_related = ("vendor",)
    search_fields = ("name", "=lei", "=identifiers__value")
    search_help_text = "Name, LEI, identifier, or SCHEME:ID (e.g. GB-COH:01234567)."
    show_full_result_count = False
    inlines = (IdentifierInline, HoldingsInline, OwnersInline)
    readonly_fields = ("watchlist", "vendor_link", "shortcuts", "created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Entity]:
        return super().get_queryset(request).prefetch_related("watchlist_entries")

    def get_fieldsets(self, request: HttpRequest, obj: Entity | None = None):
        fieldsets = [(None, {"fields": ("name", "kind", "country", "lei")})]
        if obj is not None:
            fieldsets.append(("In the registry", {"fields": self.readonly_fields}))
        return fieldsets

    def get_inlines(self, request: HttpRequest, obj: Entity | None):
        return (IdentifierInline,) if obj is None else self.inlines

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        scheme, colon, value = search_term.strip().partition(":")
        if colon and scheme.strip() and value.strip():
            identified = EntityIdentifier.objects.filter(
                entity=OuterRef("pk"),
                scheme__iexact=scheme.strip(),
                value__iexact=value.strip(),
            )
            results |= queryset.filter(Exists(identified))
        return results, may_have_duplicates

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


# --- Ownership edges ----------------------------------------------------------------------------


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
        return [("event", "An ownership event"), ("direct", "A direct edit")]

    def queryset(self, request, queryset):
        if self.value() == "event":
            return queryset.filter(source_event__isnull=False)
        if self.value() == "direct":
            return queryset.filter(source_event__isnull=True)
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
        "source_event",
    )
    list_filter = ("interest", OwnershipPeriodFilter, OwnershipSourceFilter)
    list_select_related = ("owner", "owned", "source_event__subject")
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
        return [edge, share, period, ("Recorded", {"fields": ("source_event", "created_at")})]

    def get_readonly_fields(self, request: HttpRequest, obj: Ownership | None = None):
        if obj is None:
            return ()
        return ("owner", "owned", "interest", "source_event", "created_at")

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


# --- Watchlist ----------------------------------------------------------------------------------


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
    list_display = ("entity", "category_badge", "reason", "created_at")
    list_filter = ("category",)
    list_select_related = ("entity",)
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


# --- Vendors and contracts ----------------------------------------------------------------------


class ContractInline(ReadOnlyInline):
    model = Contract
    fields = (
        "reference",
        "title",
        "value",
        "currency",
        "start_date",
        "end_date",
        "change_of_control_clause",
        "coc_termination_window_days",
        "owner",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contract]:
        return super().get_queryset(request).select_related("owner")


class VendorForm(ServiceForm):
    class Meta:
        model = Vendor
        fields = ("entity", "category", "status", "tier", "data_access", "business_owner")

    def save_through_service(self) -> Vendor:
        if self.is_adding():
            return vendor_create(actor=self.actor, **self.values())
        return vendor_update(vendor=self.stored(), actor=self.actor, **self.changes())


@admin.register(Vendor)
class VendorAdmin(ServiceFormMixin, AuditedAdmin):
    """Vendors with their risk (computed, read-only) and their contracts."""

    form = VendorForm
    list_display = (
        "name",
        "category",
        "tier",
        "status",
        "data_access",
        "risk_badge",
        "risk_score",
        "risk_assessed_at",
    )
    list_filter = ("risk_level", "status", "tier", "data_access", "category")
    list_select_related = ("entity",)
    search_fields = ("entity__name", "=entity__lei")
    autocomplete_fields = ("entity", "business_owner")
    inlines = (ContractInline,)
    actions = ("recheck_risk_now",)
    RISK_FIELDS = ("risk_badge", "risk_score", "risk_assessed_at", "latest_assessment")

    def get_fieldsets(self, request: HttpRequest, obj: Vendor | None = None):
        main = (
            None,
            {"fields": ("entity", "category", "status", "tier", "data_access", "business_owner")},
        )
        if obj is None:
            return [main]
        return [
            main,
            ("Risk (computed)", {"fields": self.RISK_FIELDS}),
            ("Recorded", {"fields": ("shortcuts", "created_at", "updated_at")}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Vendor | None = None):
        if obj is None:
            return ()
        return (*self.RISK_FIELDS, "shortcuts", "created_at", "updated_at")

    def get_inlines(self, request: HttpRequest, obj: Vendor | None):
        return () if obj is None else self.inlines

    @admin.display(description="name", ordering="entity__name")
    def name(self, vendor: Vendor) -> str:
        return vendor.entity.name

    @admin.display(description="risk level", ordering="risk_score")
    def risk_badge(self, vendor: Vendor) -> str:
        return badge("level", vendor.risk_level, vendor.get_risk_level_display())

    @admin.display(description="latest assessment")
    def latest_assessment(self, vendor: Vendor) -> str:
        assessment = vendor_latest_assessment(vendor=vendor)
        if assessment is None:
            return "Not assessed yet."
        factors = format_html_join(
            "",
            "<li>{} {}: {}</li>",
            (
                (
                    badge("level", f.severity, f.get_severity_display()),
                    f.get_code_display(),
                    f.summary,
                )
                for f in assessment.factors.all()
            ),
        )
        return format_html(
            "{} as of {}, policy v{}{}",
            admin_link(assessment, f"{assessment.get_level_display()}, score {assessment.score}"),
            assessment.as_of,
            assessment.policy_version,
            format_html('<ul class="vr-list">{}</ul>', factors) if factors else "",
        )

    @admin.display(description="see also")
    def shortcuts(self, vendor: Vendor) -> str:
        return format_html(
            "{} · {} · {}",
            changelist_link(RiskAssessment, "All assessments", vendor__id__exact=vendor.pk),
            changelist_link(
                Alert, "Open alerts", vendor__id__exact=vendor.pk, status__exact="open"
            ),
            admin_link(vendor.entity, "Its entity and owners"),
        )

    @admin.action(description="Recheck risk now", permissions=["recheck"])
    def recheck_risk_now(self, request: HttpRequest, queryset: QuerySet[Vendor]) -> None:
        count = 0
        for vendor in queryset:
            vendor_recheck_request(vendor=vendor, actor=request.user)
            count += 1
        self.message_user(
            request,
            f"Asked for a risk recheck of {count} vendor(s); "
            "their new assessments appear here in a few seconds.",
            messages.SUCCESS,
        )

    def has_recheck_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("registry.recheck_vendor")

    def has_delete_permission(self, request: HttpRequest, obj: Vendor | None = None) -> bool:
        # A vendor is offboarded (its status), never deleted: its assessments are its history.
        return False


class ContractForm(ServiceForm):
    class Meta:
        model = Contract
        fields = (
            "vendor",
            "reference",
            "title",
            "value",
            "currency",
            "start_date",
            "end_date",
            "data_classification",
            "change_of_control_clause",
            "coc_termination_window_days",
            "owner",
        )

    def save_through_service(self) -> Contract:
        if self.is_adding():
            return contract_create(actor=self.actor, **self.values())
        return contract_update(contract=self.stored(), actor=self.actor, **self.changes())


@admin.register(Contract)
class ContractAdmin(ServiceFormMixin, AuditedAdmin):
    form = ContractForm
    list_display = (
        "reference",
        "title",
        "vendor",
        "value_column",
        "start_date",
        "end_date",
        "data_classification",
        "change_of_control_clause",
        "coc_termination_window_days",
        "owner",
    )
    list_filter = ("change_of_control_clause", "data_classification", "currency")
    list_select_related = ("vendor__entity", "owner")
    search_fields = ("reference", "title", "vendor__entity__name")
    autocomplete_fields = ("vendor", "owner")
    fieldsets = [
        (None, {"fields": ("vendor", "reference", "title", "owner")}),
        ("Terms", {"fields": (("value", "currency"), ("start_date", "end_date"))}),
        (
            "Data and change of control",
            {
                "fields": (
                    "data_classification",
                    "change_of_control_clause",
                    "coc_termination_window_days",
                )
            },
        ),
    ]

    @admin.display(description="value", ordering="value")
    def value_column(self, contract: Contract) -> str:
        return f"{contract.value:,.2f} {contract.currency}"

    def has_delete_permission(self, request: HttpRequest, obj: Contract | None = None) -> bool:
        # Alerts point at contracts; a contract ends (its end date), it is not deleted.
        return False


# --- Ownership events ---------------------------------------------------------------------------


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


# --- Risk policy and assessments ----------------------------------------------------------------


class RiskPolicyForm(ServiceForm):
    class Meta:
        model = RiskPolicy
        fields = POLICY_SETTINGS

    def save_through_service(self) -> RiskPolicy:
        return risk_policy_update(actor=self.actor, **self.values())


@admin.register(ScheduledRecheckDay)
class ScheduledRecheckDayAdmin(ReadOnlyMixin, RegistryAdmin):
    """The days the daily recheck has covered; a day missed while beat was down is caught up
    by the next run."""

    list_display = ("day", "vendors", "finished_at")
    date_hierarchy = "day"
    fields = ("day", "vendors", "finished_at")


@admin.register(RiskPolicy)
class RiskPolicyAdmin(ServiceFormMixin, RegistryAdmin):
    """Versions of the policy the engine applies. A version is never changed: "add" (prefilled
    from the latest version, or from the one it was opened from) saves the next version."""

    form = RiskPolicyForm
    list_display = (
        "version",
        "in_force",
        "critical_share",
        "high_share",
        "medium_share",
        "escalate_restricted",
        "interlock_severity",
        "created_by",
        "created_at",
    )
    list_select_related = ("created_by",)
    readonly_fields = ("version", "created_by", "created_at", "recheck_progress")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RiskPolicy]:
        latest = RiskPolicy.objects.order_by("-version").values("version")[:1]
        return super().get_queryset(request).annotate(latest_version=Subquery(latest))

    def get_fieldsets(self, request: HttpRequest, obj: RiskPolicy | None = None):
        if obj is None:
            description = (
                "Saving creates the next version; earlier versions stay as they were and every "
                "assessment names the version it used."
            )
        else:
            description = "A version is never changed: start a new version from this one."
        settings_ = (
            "Thresholds and escalation",
            {"fields": POLICY_SETTINGS, "description": description},
        )
        if obj is None:
            return [settings_]
        return [(None, {"fields": self.readonly_fields}), settings_]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        base = None
        if request.GET.get("from", "").isdigit():
            base = RiskPolicy.objects.filter(pk=int(request.GET["from"])).first()
        base = base or RiskPolicy.objects.order_by("-version").first()
        if base is None:
            return {}
        # The note says why the new version is made, so it starts empty.
        return {name: getattr(base, name) for name in POLICY_SETTINGS if name != "note"}

    @admin.display(description="in force", boolean=True)
    def in_force(self, policy: RiskPolicy) -> bool:
        return policy.version == policy.latest_version

    @admin.display(description="recheck of every vendor")
    def recheck_progress(self, policy: RiskPolicy) -> str:
        return str(policy_recheck_progress(policy))

    def has_change_permission(self, request: HttpRequest, obj: RiskPolicy | None = None) -> bool:
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: RiskPolicy | None = None) -> bool:
        return False


class RiskFactorInline(ReadOnlyInline):
    model = RiskFactor
    fields = (
        "code",
        "severity_badge",
        "summary",
        "party",
        "effective_share",
        "effective_share_min",
        "path_names",
    )
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[RiskFactor]:
        return super().get_queryset(request).select_related("party")

    @admin.display(description="severity")
    def severity_badge(self, factor: RiskFactor) -> str:
        return badge("level", factor.severity, factor.get_severity_display())

    @admin.display(description="path (strongest chain)")
    def path_names(self, factor: RiskFactor) -> str:
        # An inline instance serves one request: the names of every path of the assessment
        # are read once, whatever the number of factors.
        if getattr(self, "_names_of", None) != factor.assessment_id:
            paths = RiskFactor.objects.filter(assessment_id=factor.assessment_id).values_list(
                "path", flat=True
            )
            self._names = _entity_names(pk for path in paths for pk in path)
            self._names_of = factor.assessment_id
        return _path_display(factor.path, self._names)


def _entity_names(ids) -> dict[int, str]:
    wanted = {pk for pk in ids if isinstance(pk, int)}
    return dict(Entity.objects.filter(pk__in=wanted).values_list("pk", "name"))


def _path_display(path: list, names: dict[int, str]) -> str:
    return " → ".join(names.get(pk, f"#{pk}") for pk in path) or EMPTY


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyMixin, RegistryAdmin):
    """A vendor's computed risk at one moment, with its explained factors (kept as history)."""

    list_display = (
        "vendor",
        "level_badge",
        "score",
        "as_of",
        "assessed_at",
        "policy_version",
        "event",
    )
    list_filter = ("level", "policy_version")
    list_select_related = ("vendor__entity", "event__subject")
    search_fields = ("vendor__entity__name",)
    date_hierarchy = "assessed_at"
    show_full_result_count = False
    fields = ("vendor", "level_badge", "score", "as_of", "assessed_at", "policy", "event")
    inlines = (RiskFactorInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RiskAssessment]:
        # The changelist applies list_select_related only to a queryset without any.
        return super().get_queryset(request).select_related(*self.list_select_related, "policy")

    @admin.display(description="level", ordering="score")
    def level_badge(self, assessment: RiskAssessment) -> str:
        return badge("level", assessment.level, assessment.get_level_display())


@admin.register(RiskFactor)
class RiskFactorAdmin(ReadOnlyMixin, RegistryAdmin):
    list_display = ("vendor", "code", "severity_badge", "party", "effective_share", "assessment")
    list_filter = ("code", "severity")
    list_select_related = ("assessment__vendor__entity", "party")
    search_fields = ("party__name", "assessment__vendor__entity__name", "summary")
    show_full_result_count = False
    fields = (
        "assessment",
        "code",
        "severity_badge",
        "summary",
        "party",
        "effective_share",
        "effective_share_min",
        "path_names",
    )

    @admin.display(description="vendor", ordering="assessment__vendor__entity__name")
    def vendor(self, factor: RiskFactor) -> str:
        return admin_link(factor.assessment.vendor)

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, factor: RiskFactor) -> str:
        return badge("level", factor.severity, factor.get_severity_display())

    @admin.display(description="path (strongest chain)")
    def path_names(self, factor: RiskFactor) -> str:
        return _path_display(factor.path, _entity_names(factor.path))
