"""Entities: list with search, page with owners and holdings, forms; the picker endpoint."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from core.exports import Column, list_export
from core.web.access import form_token_issue, permission_required
from core.web.forms import service_errors_add
from core.web.pages import form_save_once, paginate, query_without
from registry import selectors
from registry.choices import EntityKind
from registry.filtersets import EntityFilterSet
from registry.services import entity_create, entity_update
from registry.web.forms import EntityForm

#: The columns of the entity list's exports.
ENTITY_COLUMNS = [
    Column("id", lambda e: e.pk),
    Column("name", lambda e: e.name),
    Column("kind", lambda e: e.kind),
    Column("country", lambda e: e.country),
    Column("lei", lambda e: e.lei),
    Column("vendor_id", lambda e: e.vendor.pk if hasattr(e, "vendor") else None),
    Column("vendor_risk_level", lambda e: e.vendor.risk_level if hasattr(e, "vendor") else ""),
    Column("watchlist", lambda e: " ".join(w.category for w in e.watchlist_entries.all())),
    Column("owners_undisclosed", lambda e: e.owners_undisclosed),
]


@login_required
def entity_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.entity_page_list()
    filterset = EntityFilterSet(request.GET, queryset=queryset)
    entities = filterset.qs if filterset.is_valid() else queryset.none()
    export = list_export(
        request,
        filterset=filterset,
        objects=entities,
        columns=ENTITY_COLUMNS,
        name="entities",
        title="Entities",
    )
    if export is not None:
        return export
    context = {
        "filterset": filterset,
        "page": paginate(request, entities),
        "page_query": query_without(request, "page"),
        "export_query": query_without(request, "page", "size", "export"),
        "kinds": EntityKind.choices,
    }
    template = "web/entities/_results.html" if request.htmx else "web/entities/list.html"
    return render(request, template, context)


@login_required
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entity = get_object_or_404(selectors.entity_page(), pk=pk)
    context = {
        "entity": entity,
        "vendor": getattr(entity, "vendor", None),
        "owners": selectors.entity_owners(entity=entity),
        "holdings": selectors.entity_holdings(entity=entity),
        "events": selectors.entity_events(entity=entity),
        "today": timezone.localdate(),
    }
    return render(request, "web/entities/detail.html", context)


def _entity_form_page(request, form, *, title, submit, cancel, token=None) -> HttpResponse:
    return render(
        request,
        "web/form.html",
        {"form": form, "token": token, "title": title, "submit": submit, "cancel": cancel},
    )


@permission_required("registry.add_entity")
def entity_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = EntityForm(request.POST)
        token = request.POST.get("token", "")
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("confirm_duplicate")

            def save() -> str:
                form.duplicates_refuse()
                entity = entity_create(actor=request.user, **data)
                return reverse("web:entity-detail", args=[entity.pk])

            response, token = form_save_once(request, form, token, save)
            if response:
                return response
    else:
        form = EntityForm(initial={"name": request.GET.get("name", "")[:255]})
        token = form_token_issue(request)
    return _entity_form_page(
        request,
        form,
        title="New entity",
        submit="Create entity",
        cancel=reverse("web:entity-list"),
        token=token,
    )


@permission_required("registry.change_entity")
def entity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entity = get_object_or_404(selectors.entity_list(), pk=pk)
    initial = EntityForm.initial_for(entity)
    if request.method == "POST":
        form = EntityForm(request.POST, initial=initial, entity=entity)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("confirm_duplicate")
            try:
                form.duplicates_refuse()
                entity_update(entity=entity, actor=request.user, **data)
                return redirect("web:entity-detail", pk=entity.pk)
            except ValidationError as error:
                service_errors_add(form, error)
    else:
        form = EntityForm(initial=initial, entity=entity)
    return _entity_form_page(
        request,
        form,
        title=f"Edit {entity.name}",
        submit="Save changes",
        cancel=reverse("web:entity-detail", args=[entity.pk]),
    )


@login_required
def entity_picker(request: HttpRequest) -> HttpResponse:
    """``<option>``s of at most 20 entities matching ``?q=`` (or ``?<field>_q=``, as a picker
    sends it), for the htmx entity pickers; ``?kind=`` narrows to one kind."""
    field = request.GET.get("field", "")
    query = request.GET.get("q") or (
        request.GET.get(f"{field}_q", "") if field.isidentifier() else ""
    )
    kind = request.GET.get("kind") or None
    if kind not in (None, *EntityKind.values):
        kind = None
    query = query.strip()[:100]
    matches = selectors.entity_search(query=query, kind=kind)
    return render(
        request,
        "web/widgets/entity_options.html",
        {"matches": matches, "query": query},
    )
