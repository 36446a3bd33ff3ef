"""The dashboard: what needs action now."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from registry import web_selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    alerts_by_severity = web_selectors.open_alerts_by_severity()
    vendors_by_level = web_selectors.vendors_by_risk_level()
    context = {
        "today": today,
        "horizon_days": web_selectors.DASHBOARD_HORIZON_DAYS,
        "alerts_by_severity": alerts_by_severity,
        "open_alert_total": sum(row["count"] for row in alerts_by_severity),
        "vendors_by_level": vendors_by_level,
        "vendor_total": sum(row["count"] for row in vendors_by_level),
        "deadlines": web_selectors.change_of_control_deadlines(today=today),
        "renewals": web_selectors.contract_renewals(today=today),
        "exposures": web_selectors.exposure_by_influencing_party(today=today),
        "recent_events": web_selectors.recent_events(),
    }
    return render(request, "web/dashboard.html", context)
