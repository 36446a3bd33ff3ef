"""Contract list (search, filters, exports), contract page and forms (a contract is always
created from its vendor's page)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from alerts import selectors as alert_selectors
from core.exports import Column, list_export
from core.web.access import form_token_issue, permission_required
from core.web.forms import service_errors_add
from core.web.pages import form_save_once, paginate, query_without
from registry import selectors
from registry.services import contract_create, contract_update
from registry.web.filters import ContractListFilterSet
from registry.web.forms import ContractForm

#: The columns of the contract list's exports.
CONTRACT_COLUMNS = [
    Column("id", lambda c: c.pk),
    Column("reference", lambda c: c.reference),
    Column("title", lambda c: c.title),
    Column("vendor_id", lambda c: c.vendor_id),
    Column("vendor", lambda c: c.vendor.entity.name),
    Column("value", lambda c: c.value),
    Column("currency", lambda c: c.currency),
    Column("start_date", lambda c: c.start_date),
    Column("end_date", lambda c: c.end_date),
    Column("data_classification", lambda c: c.data_classification),
    Column("change_of_control_clause", lambda c: c.change_of_control_clause),
    Column("coc_termination_window_days", lambda c: c.coc_termination_window_days),
    Column("owner", lambda c: c.owner.get_username() if c.owner else ""),
]


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.contract_page_list()
    filterset = ContractListFilterSet(request.GET, queryset=queryset)
    contracts = filterset.qs if filterset.is_valid() else queryset.none()
    export = list_export(
        request,
        filterset=filterset,
        objects=contracts,
        columns=CONTRACT_COLUMNS,
        name="contracts",
        title="Contracts",
    )
    if export is not None:
        return export
    vendor = filterset.form.cleaned_data.get("vendor") if filterset.is_valid() else None
    context = {
        "filterset": filterset,
        "vendor": vendor,
        "page": paginate(request, contracts),
        "page_query": query_without(request, "page"),
        "export_query": query_without(request, "page", "size", "export"),
        "today": timezone.localdate(),
    }
    return render(request, "web/contracts/list.html", context)


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(selectors.contract_page(), pk=pk)
    context = {
        "contract": contract,
        "alerts": alert_selectors.contract_alerts(contract=contract),
        "today": timezone.localdate(),
    }
    return render(request, "web/contracts/detail.html", context)


@permission_required("registry.add_contract")
def contract_new(request: HttpRequest, vendor_pk: int) -> HttpResponse:
    vendor = get_object_or_404(selectors.vendor_list(), pk=vendor_pk)
    if request.method == "POST":
        form = ContractForm(request.POST)
        token = request.POST.get("token", "")
        if form.is_valid():
            data = form.cleaned_data

            def save() -> str:
                contract = contract_create(vendor=vendor, actor=request.user, **data)
                return reverse("web:contract-detail", args=[contract.pk])

            response, token = form_save_once(request, form, token, save)
            if response:
                return response
    else:
        form = ContractForm()
        token = form_token_issue(request)
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "token": token,
            "title": f"New contract with {vendor.entity.name}",
            "submit": "Create contract",
            "cancel": reverse("web:vendor-detail", args=[vendor.pk]),
        },
    )


@permission_required("registry.change_contract")
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(selectors.contract_page(), pk=pk)
    if request.method == "POST":
        form = ContractForm(request.POST)
        if form.is_valid():
            try:
                contract_update(contract=contract, actor=request.user, **form.cleaned_data)
                return redirect("web:contract-detail", pk=contract.pk)
            except ValidationError as error:
                service_errors_add(form, error)
    else:
        form = ContractForm(initial=ContractForm.initial_for(contract))
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": f"Edit contract {contract.reference}",
            "submit": "Save changes",
            "cancel": reverse("web:contract-detail", args=[contract.pk]),
        },
    )
