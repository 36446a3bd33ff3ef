"""Vendor list (search, filters, sorting, CSV), vendor page, and vendor forms."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from alerts import selectors as alert_selectors
from core.exports import Column, export_response, filters_refused, list_export
from core.web.access import form_token_issue, permission_required
from core.web.forms import service_errors_add
from core.web.pages import form_save_once, paginate, query_without
from registry import selectors
from registry.choices import (
    DataAccess,
    FactorCode,
    RiskLevel,
    VendorCategory,
    VendorStatus,
    WatchlistCategory,
)
from registry.risk import engine
from registry.services import vendor_create, vendor_update
from registry.validators import validate_plausible_date
from registry.web.filters import VendorListFilterSet
from registry.web.forms import VendorForm
from registry.web.graph import graph_drawing, ownership_chains, score_timeline_svg
from registry.web.widgets import FIND_BUTTON

#: The columns of the vendor list's exports (and of /vendors/export.csv).
VENDOR_COLUMNS = [
    Column("id", lambda v: v.pk),
    Column("name", lambda v: v.entity.name),
    Column("country", lambda v: v.entity.country),
    Column("lei", lambda v: v.entity.lei),
    Column("category", lambda v: v.category),
    Column("status", lambda v: v.status),
    Column("tier", lambda v: v.tier),
    Column("data_access", lambda v: v.data_access),
    Column("risk_level", lambda v: v.risk_level),
    Column("risk_score", lambda v: v.risk_score),
    Column(
        "risk_assessed_at",
        lambda v: v.risk_assessed_at.isoformat() if v.risk_assessed_at else "",
    ),
    Column(
        "business_owner",
        lambda v: v.business_owner.get_username() if v.business_owner else "",
    ),
]


def _filtered_vendors(request: HttpRequest):
    queryset = selectors.vendor_page_list()
    filterset = VendorListFilterSet(request.GET, queryset=queryset)
    vendors = filterset.qs if filterset.is_valid() else queryset.none()
    vendors, sort = selectors.vendors_sorted(
        vendors, sort=request.GET.get("sort", selectors.DEFAULT_SORT)
    )
    return filterset, vendors, sort


@login_required
def vendor_list(request: HttpRequest) -> HttpResponse:
    filterset, vendors, sort = _filtered_vendors(request)
    export = list_export(
        request,
        filterset=filterset,
        objects=vendors,
        columns=VENDOR_COLUMNS,
        name="vendors",
        title="Vendors",
    )
    if export is not None:
        return export
    page = paginate(request, vendors)
    influenced_by = factor = None
    if filterset.is_valid():
        influenced_by = filterset.form.cleaned_data.get("influenced_by")
        code = filterset.form.cleaned_data.get("factor")
        factor = FactorCode(code) if code else None
    context = {
        "filterset": filterset,
        "page": page,
        "sort": sort,
        "sort_query": query_without(request, "sort", "page"),
        "page_query": query_without(request, "page"),
        "export_query": query_without(request, "page", "size", "export"),
        "influenced_by": influenced_by,
        "factor": factor,
        "choices": {
            "risk_level": list(reversed(RiskLevel.choices)),
            "status": VendorStatus.choices,
            "category": VendorCategory.choices,
            "data_access": DataAccess.choices,
            "tier": [(str(t), str(t)) for t in range(1, 5)],
        },
        "columns": [
            ("name", "Vendor"),
            ("risk", "Risk"),
            ("score", "Score"),
            ("tier", "Tier"),
            ("category", "Category"),
            ("status", "Status"),
            ("data_access", "Data access"),
        ],
    }
    # A live search (htmx) replaces only the results, not the filters being typed in.
    template = "web/vendors/_results.html" if request.htmx else "web/vendors/list.html"
    return render(request, template, context)


@login_required
def vendor_export(request: HttpRequest) -> HttpResponse:
    """The filtered, sorted vendor list as CSV (the list's ``?export=csv``, kept at this
    address for the links and scripts that use it)."""
    filterset, vendors, _ = _filtered_vendors(request)
    if not filterset.is_valid():
        return filters_refused(filterset)
    return export_response(
        fmt="csv", objects=vendors, columns=VENDOR_COLUMNS, name="vendors", title="Vendors"
    )


def _graph_as_of(request: HttpRequest) -> tuple[datetime.date | None, str]:
    """The date the ownership graph is drawn for (``?as_of=YYYY-MM-DD``; None: today), and
    the error to show at the field when the value is not a date the registry accepts."""
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return None, ""
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        return None, f"“{raw[:40]}” is not a date: enter it as YYYY-MM-DD."
    try:
        validate_plausible_date(day)
    except ValidationError as error:
        return None, " ".join(error.messages)
    return day, ""


@login_required
def vendor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = get_object_or_404(selectors.vendor_page(), pk=pk)
    # The timeline's last assessment is the latest: one read serves both.
    assessments = selectors.vendor_assessments(vendor=vendor)
    assessment = assessments[-1] if assessments else None
    factors = selectors.assessment_factors(assessment=assessment) if assessment else []
    previous = assessments[-2] if len(assessments) > 1 else None
    changes = None
    if previous is not None:
        changes = selectors.assessment_changes(
            latest=factors, previous=selectors.assessment_factors(assessment=previous)
        )
    explanation = breakdown = None
    if assessment is not None:
        explanation = engine.level_explanation(
            factors,
            data_access=vendor.data_access,
            escalate_restricted=assessment.policy.escalate_restricted,
        )
        breakdown = engine.score_breakdown(assessment.level, factors)
    names = selectors.entities_by_id(entity_id for factor in factors for entity_id in factor.path)
    explained = [
        {
            "factor": factor,
            "path": [names[i] for i in factor.path if i in names],
        }
        for factor in factors
    ]
    as_of, as_of_error = _graph_as_of(request)
    graph = selectors.vendor_ownership_graph(vendor=vendor, as_of=as_of)
    drawing = graph_drawing(
        graph,
        title=f"Ownership graph of {vendor.entity.name} as of {graph.as_of:%Y-%m-%d}",
        entity_url=lambda pk: reverse("web:entity-detail", args=[pk]),
    )
    graph_rows = [
        {
            "owner": graph.nodes[edge.owner_id],
            "owned": graph.nodes[edge.owned_id],
            "label": edge.label,
            "interest": edge.interest,
            "import_run": edge.import_run,
            "import_record": edge.import_record,
            "source_event_id": edge.source_event_id,
            "source_event_run": edge.source_event_run,
        }
        for edge in graph.edges
    ]
    context = {
        "vendor": vendor,
        "entity": vendor.entity,
        "contracts": selectors.vendor_contracts(vendor=vendor),
        "assessment": assessment,
        "factors": explained,
        "explanation": explanation,
        "breakdown": breakdown,
        "previous": previous,
        "changes": changes,
        "graph": graph,
        "graph_svg": drawing.svg,
        "graph_strongest": [
            {
                "chain": chain,
                "categories": [WatchlistCategory(c).label for c in chain.party.watchlist],
                "steps": [graph.nodes[pk] for pk in chain.path],
            }
            for chain in drawing.chains
        ],
        "graph_as_of": request.GET.get("as_of", "") if as_of_error else graph.as_of,
        "graph_as_of_error": as_of_error,
        "graph_as_of_asked": as_of is not None,
        "graph_rows": graph_rows,
        "graph_chains": ownership_chains(graph, root_id=vendor.entity_id),
        "graph_categories": [
            (value, label)
            for value, label in WatchlistCategory.choices
            if any(value in node.watchlist for node in graph.nodes.values())
        ],
        "graph_undisclosed": any(node.entity.owners_undisclosed for node in graph.nodes.values()),
        "assessments": assessments,
        "timeline_svg": score_timeline_svg(assessments) if assessments else "",
        "alerts": alert_selectors.vendor_alerts(vendor=vendor),
        "audit": selectors.vendor_audit_history(vendor=vendor),
        "events": selectors.vendor_events(vendor=vendor),
        "today": timezone.localdate(),
    }
    return render(request, "web/vendors/detail.html", context)


@permission_required("registry.add_vendor")
def vendor_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and FIND_BUTTON in request.POST:
        # A search in a picker without JavaScript: show the matches, judge nothing yet.
        form = VendorForm(initial=request.POST.dict())
        token = request.POST.get("token", "")
    elif request.method == "POST":
        form = VendorForm(request.POST)
        token = request.POST.get("token", "")
        if form.is_valid():
            data = form.cleaned_data

            def save() -> str:
                vendor = vendor_create(
                    entity=data["entity"],
                    actor=request.user,
                    **{name: data[name] for name in VendorForm.FIELDS},
                )
                return reverse("web:vendor-detail", args=[vendor.pk])

            response, token = form_save_once(request, form, token, save)
            if response:
                return response
    else:
        initial = {}
        entity_id = request.GET.get("entity", "")
        if entity_id.isdigit():
            initial["entity"] = entity_id
        form = VendorForm(initial=initial)
        token = form_token_issue(request)
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "token": token,
            "title": "New vendor",
            "submit": "Create vendor",
            "cancel": reverse("web:vendor-list"),
        },
    )


@permission_required("registry.change_vendor")
def vendor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = get_object_or_404(selectors.vendor_list(), pk=pk)
    if request.method == "POST":
        form = VendorForm(request.POST, editing=True)
        if form.is_valid():
            try:
                vendor_update(
                    vendor=vendor,
                    actor=request.user,
                    **{name: form.cleaned_data[name] for name in VendorForm.FIELDS},
                )
                return redirect("web:vendor-detail", pk=vendor.pk)
            except ValidationError as error:
                service_errors_add(form, error)
    else:
        form = VendorForm(
            initial={name: getattr(vendor, name) for name in VendorForm.FIELDS}, editing=True
        )
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": f"Edit vendor {vendor.entity.name}",
            "submit": "Save changes",
            "cancel": reverse("web:vendor-detail", args=[vendor.pk]),
        },
    )


@permission_required("registry.recheck_vendor")
def vendor_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a fresh assessment (POST only); the page shows it once it is stored."""
    from registry.services.risk import vendor_recheck_request

    vendor = get_object_or_404(selectors.vendor_list(), pk=pk)
    if request.method != "POST":
        return redirect("web:vendor-detail", pk=vendor.pk)
    vendor_recheck_request(vendor=vendor, actor=request.user)
    messages.success(request, f"A recheck of {vendor.entity.name} was asked for.")
    return redirect("web:vendor-detail", pk=vendor.pk)
