"""Vendors and their contracts."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from alerts.models import Alert
from core.admin import (
    AuditedAdmin,
    ReadOnlyInline,
    ServiceForm,
    ServiceFormMixin,
    admin_link,
    badge,
    changelist_link,
)
from registry.models import Contract, RiskAssessment, Vendor
from registry.selectors import vendor_latest_assessment
from registry.services import contract_create, contract_update, vendor_create, vendor_update
from registry.services.risk import vendor_recheck_request


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

    @admin.display(description="name", ordering="entity_name")
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
