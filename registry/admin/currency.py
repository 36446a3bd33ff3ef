"""Exchange rates to the reporting currency, which the dashboard's exposure converts with."""

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import AuditedAdmin, ServiceForm, ServiceFormMixin
from registry.models import CurrencyRate
from registry.services import currency_rate_create, currency_rate_delete, currency_rate_update


class CurrencyRateForm(ServiceForm):
    class Meta:
        model = CurrencyRate
        fields = ("currency", "rate", "valid_from", "source")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rate"].help_text = (
            f"Units of {settings.REPORTING_CURRENCY} (the reporting currency) one unit of the "
            "currency is worth."
        )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def save_through_service(self) -> CurrencyRate:
        if self.is_adding():
            return currency_rate_create(actor=self.actor, **self.values())
        return currency_rate_update(entry=self.stored(), actor=self.actor, **self.changes())


@admin.register(CurrencyRate)
class CurrencyRateAdmin(ServiceFormMixin, AuditedAdmin):
    form = CurrencyRateForm
    list_display = ("currency", "rate", "quote_currency", "valid_from", "source", "updated_at")
    list_filter = ("currency",)
    search_fields = ("currency", "source")
    readonly_fields = ("quote_currency",)
    date_hierarchy = "valid_from"

    def delete_model(self, request: HttpRequest, obj: CurrencyRate) -> None:
        currency_rate_delete(entry=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CurrencyRate]) -> None:
        for entry in queryset:
            currency_rate_delete(entry=entry, actor=request.user)
