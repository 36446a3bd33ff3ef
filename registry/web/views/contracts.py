"""Contract page and forms (a contract is always created from its vendor's page)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from alerts import selectors as alert_selectors
from core.web.access import form_token_issue, permission_required
from core.web.forms import service_errors_add
from core.web.pages import form_save_once
from registry import selectors
from registry.services import contract_create, contract_update
from registry.web.forms import ContractForm


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
