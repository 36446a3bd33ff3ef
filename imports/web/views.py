"""The import pages: the runs with their reports, and (Risk analysts) the upload that starts
one through the same service as the API and the admin."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from alerts import selectors as alert_selectors
from core.web.access import form_token_issue
from core.web.pages import form_save_once, paginate, query_without
from imports import selectors
from imports.choices import COUNT_KEYS, ImportStatus
from imports.models import ImportRun
from imports.services import import_run_create
from imports.web.forms import ImportUploadForm
from registry.choices import RiskLevel

START_PERMISSION = "imports.add_importrun"
WAITING = (ImportStatus.QUEUED, ImportStatus.RUNNING)
RANK = {level: rank for rank, level in enumerate(RiskLevel.values)}


@login_required
def import_run_list(request: HttpRequest) -> HttpResponse:
    """GET: the runs, newest first, and the upload form for those who may import. POST
    (Risk analysts, superusers; 403 otherwise): start a run and go to its report."""
    can_import = request.user.has_perm(START_PERMISSION)
    form, token = None, ""
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied
        form = ImportUploadForm(request.POST, request.FILES)
        token = request.POST.get("token", "")
        if form.is_valid():
            kwargs = form.service_kwargs()

            def save() -> str:
                run = import_run_create(actor=request.user, **kwargs)
                return reverse("web:import-detail", args=[run.pk])

            response, token = form_save_once(request, form, token, save)
            if response is not None:
                return response
    elif can_import:
        form = ImportUploadForm()
    if can_import and not token:
        token = form_token_issue(request)
    context = {
        "page": paginate(request, selectors.import_run_list()),
        "page_query": query_without(request, "page"),
        "form": form,
        "token": token,
        "can_import": can_import,
    }
    return render(request, "imports/list.html", context)


@login_required
def import_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's report: counts, errors, warnings, the events it logged (or would log), the
    affected vendors with their level before and after, and the alerts it raised."""
    run: ImportRun = get_object_or_404(selectors.import_run_list(), pk=pk)
    waiting = run.status in WAITING
    affected = [
        {
            **row,
            "change": (RANK[row["projected_level"]] > RANK[row["current_level"]])
            - (RANK[row["projected_level"]] < RANK[row["current_level"]]),
        }
        for row in run.affected_vendors
    ]
    context = {
        "run": run,
        "waiting": waiting,
        "counts": [(key.replace("_", " "), run.counts.get(key, 0)) for key in COUNT_KEYS],
        "affected": affected,
        # The report lists a run's first events (imports.services.REPORT_EVENTS).
        "unlisted_events": max(run.counts.get("events", 0) - len(run.events), 0),
        "alerts": []
        if waiting or run.dry_run
        else alert_selectors.import_run_alerts(run_id=run.pk),
    }
    return render(request, "imports/detail.html", context)
