"""Log an ownership event in two steps — the form, then a preview of its impact to confirm —
and follow its processing."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from alerts import selectors as alert_selectors
from core.exports import Column, list_export
from core.web.access import form_token_issue, form_token_known, permission_required
from core.web.forms import service_errors_add
from core.web.pages import form_save_once, paginate, query_without
from registry import selectors
from registry.choices import EventKind, EventStatus, RiskLevel
from registry.filtersets import OwnershipEventFilterSet
from registry.models import OwnershipEvent
from registry.services import ownership_event_log
from registry.services.preview import EventPreview, ownership_event_preview
from registry.web.forms import OwnershipEventForm
from registry.web.widgets import FIND_BUTTON

PREVIEW, CONFIRM, EDIT = "preview", "confirm", "edit"
RANK = {level: rank for rank, level in enumerate(RiskLevel.values)}
WAITING = (EventStatus.PENDING, EventStatus.PROCESSING)


#: The columns of the event list's exports.
EVENT_COLUMNS = [
    Column("id", lambda e: e.pk),
    Column("kind", lambda e: e.kind),
    Column("status", lambda e: e.status),
    Column("subject_id", lambda e: e.subject_id),
    Column("subject", lambda e: e.subject.name),
    Column("counterparty", lambda e: e.counterparty.name if e.counterparty else ""),
    Column("person", lambda e: e.person.name if e.person else ""),
    Column("share", lambda e: e.share),
    Column("effective_date", lambda e: e.effective_date),
    Column("source_url", lambda e: e.source_url),
    Column("logged_by", lambda e: e.logged_by.get_username() if e.logged_by else ""),
    Column("created_at", lambda e: e.created_at),
]


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.event_page_list()
    filterset = OwnershipEventFilterSet(request.GET, queryset=queryset)
    events = filterset.qs if filterset.is_valid() else queryset.none()
    export = list_export(
        request,
        filterset=filterset,
        objects=events,
        columns=EVENT_COLUMNS,
        name="events",
        title="Ownership events",
    )
    if export is not None:
        return export
    context = {
        "filterset": filterset,
        "page": paginate(request, events),
        "page_query": query_without(request, "page"),
        "export_query": query_without(request, "page", "size", "export"),
        "statuses": EventStatus.choices,
        "kinds": EventKind.choices,
    }
    return render(request, "web/events/list.html", context)


def _form_page(request: HttpRequest, form: OwnershipEventForm) -> HttpResponse:
    return render(request, "web/events/form.html", {"form": form})


def _preview_page(
    request: HttpRequest, form: OwnershipEventForm, preview: EventPreview, *, reconfirm: bool
) -> HttpResponse:
    rows = [
        {
            **row,
            "change": (RANK[row["projected_level"]] > RANK[row["current_level"]])
            - (RANK[row["projected_level"]] < RANK[row["current_level"]]),
        }
        for row in preview.affected_vendors
    ]
    context = {
        "form": form,
        "data": form.cleaned_data,
        "kind_label": EventKind(form.cleaned_data["kind"]).label,
        "impact": rows,
        "edge_changes": preview.edge_changes,
        "alerts": preview.alerts,
        "rising": sum(1 for row in rows if row["change"] > 0),
        "token": form_token_issue(request),
        "reconfirm": reconfirm,
        "hidden": [(name, form.data.get(name, "")) for name in OwnershipEventForm.FIELDS],
    }
    return render(request, "web/events/preview.html", context)


@permission_required("registry.add_ownershipevent", "registry.preview_ownershipevent")
def event_new(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST ``preview``: the impact of the event, to confirm. POST ``confirm``:
    log it (once per preview) and go to its page. POST ``edit``: back to the form."""
    if request.method != "POST":
        initial = {
            name: request.GET[name]
            for name in ("subject", "counterparty", "person")
            if request.GET.get(name, "").isdigit()
        }
        return _form_page(request, OwnershipEventForm(initial=initial))
    action = request.POST.get("action", PREVIEW)
    if FIND_BUTTON in request.POST or action == EDIT:
        return _form_page(request, OwnershipEventForm(initial=request.POST.dict()))
    form = OwnershipEventForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form)
    token = request.POST.get("token", "")
    if action == CONFIRM and form_token_known(request, token):
        data = form.service_kwargs()

        def save() -> str:
            event = ownership_event_log(actor=request.user, **data)
            return reverse("web:event-detail", args=[event.pk])

        response, _ = form_save_once(request, form, token, save)
        return response or _form_page(request, form)
    # A preview, or a confirmation this session never previewed (expired or forged): show
    # the impact, to be confirmed with a fresh token.
    try:
        impact = ownership_event_preview(**form.service_kwargs())
    except ValidationError as error:
        service_errors_add(form, error)
        return _form_page(request, form)
    return _preview_page(request, form, impact, reconfirm=action == CONFIRM)


def _event_context(event: OwnershipEvent) -> dict:
    done = event.status not in WAITING
    return {
        "event": event,
        "waiting": not done,
        "affected": selectors.event_affected_vendors(event=event) if done else [],
        "alerts": alert_selectors.event_alerts(event=event) if done else [],
    }


def _event(pk: int) -> OwnershipEvent:
    return get_object_or_404(selectors.event_page(), pk=pk)


@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "web/events/detail.html", _event_context(_event(pk)))


@login_required
def event_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status panel alone, polled by htmx every second until the event is processed or
    failed (the answer then carries no polling trigger, so polling stops)."""
    return render(request, "web/events/_status.html", _event_context(_event(pk)))
