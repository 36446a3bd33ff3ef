"""The alert inbox and the actions on an alert (acknowledge, resolve, dismiss, assign)."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from alerts import selectors
from alerts import services as alert_services
from alerts.choices import OPEN_STATUSES, AlertKind, AlertStatus
from alerts.models import Alert
from alerts.web.filters import AlertInboxFilterSet
from alerts.web.forms import AlertAssignForm, AlertNoteForm
from core.exports import Column, list_export
from core.people import person_label
from core.selectors import active_users
from core.web.access import safe_next
from core.web.pages import paginate, query_without
from registry.choices import RiskLevel

#: The vendor filter offers the vendors with alerts still open, up to this many.
VENDOR_CHOICES = 500


def _permissions(user) -> dict[str, bool]:
    return {
        "acknowledge": user.has_perm("alerts.acknowledge_alert"),
        "resolve": user.has_perm("alerts.resolve_alert"),
        "dismiss": user.has_perm("alerts.dismiss_alert"),
        "assign": user.has_perm("alerts.assign_alert"),
    }


#: The columns of the inbox's exports.
ALERT_COLUMNS = [
    Column("id", lambda a: a.pk),
    Column("kind", lambda a: a.kind),
    Column("severity", lambda a: a.severity),
    Column("status", lambda a: a.status),
    Column("title", lambda a: a.title),
    Column("vendor_id", lambda a: a.vendor_id),
    Column("vendor", lambda a: a.vendor.entity.name if a.vendor else ""),
    Column("contract", lambda a: a.contract.reference if a.contract else ""),
    Column("event_id", lambda a: a.event_id),
    Column("due_date", lambda a: a.due_date),
    Column("assignee", lambda a: a.assignee.get_username() if a.assignee else ""),
    Column("created_at", lambda a: a.created_at),
]


@login_required
def alert_inbox(request: HttpRequest) -> HttpResponse:
    """Open and acknowledged alerts by default, most urgent first; ``?mine=1`` for the
    signed-in user's."""
    params = request.GET.copy()
    params.setdefault("status", AlertInboxFilterSet.ACTIVE)
    mine = params.get("mine") == "1"
    if mine:
        params["assignee"] = str(request.user.pk)
    filterset = AlertInboxFilterSet(params, queryset=selectors.alert_inbox())
    alerts = filterset.qs if filterset.is_valid() else Alert.objects.none()
    export = list_export(
        request,
        filterset=filterset,
        objects=alerts,
        columns=ALERT_COLUMNS,
        name="alerts",
        title="Alerts",
    )
    if export is not None:
        return export
    vendor = None
    if filterset.is_valid():
        vendor = filterset.form.cleaned_data.get("vendor")
    context = {
        "filterset": filterset,
        "params": params,
        "mine": mine,
        "vendor": vendor,
        "page": paginate(request, alerts, default_size=50),
        "page_query": query_without(request, "page"),
        "export_query": query_without(request, "page", "size", "export"),
        "statuses": [(AlertInboxFilterSet.ACTIVE, "Open or acknowledged"), *AlertStatus.choices],
        "severities": list(reversed(RiskLevel.choices)),
        "kinds": AlertKind.choices,
        "users": list(active_users()),
        "vendors_alerted": selectors.vendors_with_open_alerts(limit=VENDOR_CHOICES),
        "can": _permissions(request.user),
        "today": timezone.localdate(),
        "here": request.get_full_path(),
    }
    return render(request, "alerts/inbox.html", context)


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(selectors.alert_inbox(), pk=pk)
    context = {
        "alert": alert,
        "can": _permissions(request.user),
        "note_form": AlertNoteForm(),
        "assign_form": AlertAssignForm(initial={"assignee": alert.assignee_id}),
        "today": timezone.localdate(),
        "is_open": alert.status in OPEN_STATUSES,
        "here": request.get_full_path(),
    }
    return render(request, "alerts/detail.html", context)


def _alert_action(perm: str, act: Callable[[HttpRequest, Alert], str]) -> Callable:
    """A POST-only view that runs ``act`` on the alert (refused with 403 without ``perm``) and
    answers with the updated row for htmx, or a redirect back with a message."""

    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(perm):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        alert = get_object_or_404(selectors.alert_list(), pk=pk)
        back = safe_next(request, reverse("web:alert-detail", args=[alert.pk]))
        try:
            done = act(request, alert)
        except ValidationError as error:
            problem = " ".join(error.messages)
            if request.htmx:
                return _row(request, alert.pk, problem=problem, status=409)
            messages.error(request, problem)
            return HttpResponseRedirect(back)
        if request.htmx:
            return _row(request, alert.pk, done=done)
        messages.success(request, done)
        return HttpResponseRedirect(back)

    return view


def _row(request: HttpRequest, pk: int, *, done: str = "", problem: str = "", status=200):
    alert = selectors.alert_inbox().get(pk=pk)
    context = {
        "alert": alert,
        "can": _permissions(request.user),
        "today": timezone.localdate(),
        "done": done,
        "problem": problem,
        "here": safe_next(request, reverse("web:alert-inbox")),
    }
    return render(request, "alerts/_row.html", context, status=status)


def _note(request: HttpRequest) -> str:
    """The posted note; a blank one is left for the service to refuse (with the status)."""
    form = AlertNoteForm(request.POST)
    if not form.is_valid():
        raise ValidationError({"note": form.errors["note"]})
    return form.cleaned_data["note"]


def _acknowledge(request: HttpRequest, alert: Alert) -> str:
    alert_services.alert_acknowledge(alert=alert, actor=request.user)
    return f"Acknowledged: {alert.title}"


def _resolve(request: HttpRequest, alert: Alert) -> str:
    alert_services.alert_resolve(alert=alert, note=_note(request), actor=request.user)
    return f"Resolved: {alert.title}"


def _dismiss(request: HttpRequest, alert: Alert) -> str:
    alert_services.alert_dismiss(alert=alert, note=_note(request), actor=request.user)
    return f"Dismissed: {alert.title}"


def _assign(request: HttpRequest, alert: Alert) -> str:
    form = AlertAssignForm(request.POST)
    if not form.is_valid():
        raise ValidationError({"assignee": form.errors["assignee"]})
    assignee = form.cleaned_data["assignee"]
    alert_services.alert_assign(alert=alert, assignee=assignee, actor=request.user)
    who = person_label(assignee, empty="nobody")
    return f"Assigned to {who}: {alert.title}"


alert_acknowledge = _alert_action("alerts.acknowledge_alert", _acknowledge)
alert_resolve = _alert_action("alerts.resolve_alert", _resolve)
alert_dismiss = _alert_action("alerts.dismiss_alert", _dismiss)
alert_assign = _alert_action("alerts.assign_alert", _assign)
