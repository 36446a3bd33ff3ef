"""The list of ownership edges (search, filters, exports) and their forms: set one (history
kept by ending the previous edge) or change it."""

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
from registry.choices import Interest
from registry.services import ownership_set, ownership_update
from registry.web.filters import OwnershipListFilterSet
from registry.web.forms import OwnershipForm
from registry.web.widgets import FIND_BUTTON

#: The columns of the ownership list's exports.
OWNERSHIP_COLUMNS = [
    Column("id", lambda o: o.pk),
    Column("owner_id", lambda o: o.owner_id),
    Column("owner", lambda o: o.owner.name),
    Column("owned_id", lambda o: o.owned_id),
    Column("owned", lambda o: o.owned.name),
    Column("interest", lambda o: o.interest),
    Column("share", lambda o: o.share),
    Column("share_min", lambda o: o.share_min),
    Column("share_max", lambda o: o.share_max),
    Column("start_date", lambda o: o.start_date),
    Column("end_date", lambda o: o.end_date),
    Column("source_event_id", lambda o: o.source_event_id),
    Column("import_record", lambda o: o.import_record),
]


@login_required
def ownership_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.ownership_page_list()
    filterset = OwnershipListFilterSet(request.GET, queryset=queryset)
    edges = filterset.qs if filterset.is_valid() else queryset.none()
    export = list_export(
        request,
        filterset=filterset,
        objects=edges,
        columns=OWNERSHIP_COLUMNS,
        name="ownerships",
        title="Ownerships",
    )
    if export is not None:
        return export
    context = {
        "filterset": filterset,
        "page": paginate(request, edges),
        "page_query": query_without(request, "page"),
        "export_query": query_without(request, "page", "size", "export"),
        "interests": Interest.choices,
        "today": timezone.localdate(),
    }
    return render(request, "web/ownerships/list.html", context)


@permission_required("registry.add_ownership")
def ownership_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and FIND_BUTTON in request.POST:
        # A search in a picker without JavaScript: show the matches, judge nothing yet.
        form = OwnershipForm(initial=request.POST.dict())
        token = request.POST.get("token", "")
    elif request.method == "POST":
        form = OwnershipForm(request.POST)
        token = request.POST.get("token", "")
        if form.is_valid():
            data = form.cleaned_data

            def save() -> str:
                edge = ownership_set(actor=request.user, **data)
                return reverse("web:entity-detail", args=[edge.owned_id])

            response, token = form_save_once(request, form, token, save)
            if response:
                return response
    else:
        initial = {
            name: request.GET[name]
            for name in ("owner", "owned")
            if request.GET.get(name, "").isdigit()
        }
        form = OwnershipForm(initial=initial)
        token = form_token_issue(request)
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "token": token,
            "title": "New ownership or seat",
            "intro": "Who holds what in whom, from when. A new value for an existing holder "
            "ends the previous one the day before, so the history is kept.",
            "submit": "Save ownership",
            "cancel": reverse("web:entity-list"),
        },
    )


@permission_required("registry.change_ownership")
def ownership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    edge = get_object_or_404(selectors.ownership_page(), pk=pk)
    if request.method == "POST":
        form = OwnershipForm(request.POST, editing=True)
        if form.is_valid():
            try:
                ownership_update(ownership=edge, actor=request.user, **form.cleaned_data)
                return redirect("web:entity-detail", pk=edge.owned_id)
            except ValidationError as error:
                service_errors_add(form, error)
    else:
        form = OwnershipForm(
            initial={name: getattr(edge, name) for name in OwnershipForm.FIELDS}, editing=True
        )
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": f"{edge.owner.name} → {edge.owned.name} ({edge.get_interest_display()})",
            "intro": "Saving starts the new values on the start date: an earlier edge of the "
            "same holder is ended the day before, and one starting on or after it is replaced.",
            "submit": "Save",
            "cancel": reverse("web:entity-detail", args=[edge.owned_id]),
        },
    )
