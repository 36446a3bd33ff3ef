"""The exposure report of a watchlisted party and a vendor's one-page summary: a printable
page each, and the same page as a PDF with ``?format=pdf``; both as of ``?as_of=YYYY-MM-DD``
(today by default)."""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from registry import selectors
from registry.models import Entity
from registry.web.graph import ownership_chains, ownership_graph_svg
from reports import selectors as report_selectors
from reports.pdf import PdfUnavailable, html_to_pdf, static_file_text


class BadReportRequest(Exception):
    """A query parameter of a report that cannot be used, with the message to show."""


def _as_of(request: HttpRequest) -> datetime.date:
    today = timezone.localdate()
    text = request.GET.get("as_of", "").strip()
    if not text:
        return today
    try:
        as_of = datetime.date.fromisoformat(text)
    except ValueError:
        raise BadReportRequest(
            f"as_of: “{text[:40]}” is not a date; give it as YYYY-MM-DD, e.g. 2025-07-01."
        ) from None
    if len(text) != 10:
        raise BadReportRequest(f"as_of: give the date as YYYY-MM-DD, e.g. {today.isoformat()}.")
    if as_of > today:
        raise BadReportRequest(
            f"as_of: {as_of.isoformat()} is in the future; a report shows what the registry "
            f"recorded, on {today.isoformat()} at the latest."
        )
    return as_of


def _format(request: HttpRequest) -> str:
    wanted = request.GET.get("format", "html")
    if wanted not in ("html", "pdf"):
        raise BadReportRequest(f"format: “{wanted[:20]}” is not offered; use html or pdf.")
    return wanted


def _bad_request(request: HttpRequest, problem: str) -> HttpResponse:
    return render(request, "reports/bad_request.html", {"problem": problem}, status=400)


def _answer(request, *, template: str, context: dict, filename: str) -> HttpResponse:
    """The report as its page, or as a PDF (``?format=pdf``) rendered from the same
    template without the site's navigation."""
    if not context["document"]:
        return render(request, template, context)
    html = render_to_string(template, context, request=request)
    try:
        pdf = html_to_pdf(html, base_url=request.build_absolute_uri("/"))
    except PdfUnavailable as problem:
        page = request.build_absolute_uri(request.path)
        return HttpResponse(
            f"This report cannot be made as a PDF on this server. {problem}\n"
            f"The printable page is at {page} (print it to PDF from the browser).\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _entity_link(pk: int) -> str:
    return reverse("web:entity-detail", args=[pk])


def _drawing(svg: SafeString, *, n: int, document: bool) -> SafeString:
    """A graph drawing whose ids (its title, description and arrow head) are unique on a
    page that shows several; in a PDF, with its styles inside it (WeasyPrint draws an SVG
    with its own styles only)."""
    for name in ("graph-title", "graph-desc", "arrow"):
        svg = svg.replace(f'id="{name}"', f'id="{name}-{n}"').replace(f"#{name})", f"#{name}-{n})")
    svg = svg.replace(
        'aria-labelledby="graph-title graph-desc"',
        f'aria-labelledby="graph-title-{n} graph-desc-{n}"',
    )
    if document:
        style = static_file_text("css/report-graph.css")
        svg = svg.replace("<title", f"<style>{style}</style><title", 1)
    # The drawing and the stylesheet are the project's own, escaped when the drawing was made.
    return mark_safe(svg)


@login_required
def exposure_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The vendors under a watchlisted party's influence, with their chains, contracts and
    open alerts; 404 for an entity that is not on the watchlist."""
    party = get_object_or_404(
        Entity.objects.filter(watchlist_entries__isnull=False).distinct(), pk=pk
    )
    try:
        as_of, document = _as_of(request), _format(request) == "pdf"
    except BadReportRequest as problem:
        return _bad_request(request, str(problem))
    report = report_selectors.party_exposure_report(party=party, as_of=as_of)
    vendors = [
        {
            "exposure": exposure,
            "svg": _drawing(
                ownership_graph_svg(
                    exposure.graph,
                    title=f"How {party.name} reaches {exposure.vendor.entity.name}",
                    entity_url=_entity_link,
                ),
                n=n,
                document=document,
            ),
        }
        for n, exposure in enumerate(report.vendors, start=1)
    ]
    context = {
        "report": report,
        "vendors": vendors,
        "as_of": as_of,
        "party": party,
        "document": document,
    }
    return _answer(
        request,
        template="reports/exposure.html",
        context=context,
        filename=f"exposure-{slugify(party.name)}-{as_of.isoformat()}.pdf",
    )


@login_required
def vendor_report(request: HttpRequest, pk: int) -> HttpResponse:
    """A vendor's one-page summary."""
    vendor = get_object_or_404(selectors.vendor_page(), pk=pk)
    try:
        as_of, document = _as_of(request), _format(request) == "pdf"
    except BadReportRequest as problem:
        return _bad_request(request, str(problem))
    summary = report_selectors.vendor_summary(vendor=vendor, as_of=as_of)
    context = {
        "summary": summary,
        "vendor": vendor,
        "as_of": as_of,
        "document": document,
        "graph_svg": _drawing(
            ownership_graph_svg(
                summary.graph,
                title=f"Ownership graph of {vendor.entity.name}",
                entity_url=_entity_link,
            ),
            n=1,
            document=document,
        ),
        "graph_chains": ownership_chains(summary.graph, root_id=vendor.entity_id),
    }
    return _answer(
        request,
        template="reports/vendor.html",
        context=context,
        filename=f"vendor-{slugify(vendor.entity.name)}-{as_of.isoformat()}.pdf",
    )
