"""The dashboard: what needs action now."""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from alerts import selectors as alert_selectors
from registry import selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    alerts_by_severity = alert_selectors.open_alerts_by_severity()
    levels = selectors.vendors_by_risk_level()
    context = {
        "today": today,
        "horizon_days": selectors.DASHBOARD_HORIZON_DAYS,
        "horizon_end": today + datetime.timedelta(days=selectors.DASHBOARD_HORIZON_DAYS),
        "alerts_by_severity": alerts_by_severity,
        "open_alert_total": sum(row["count"] for row in alerts_by_severity),
        "vendors_by_level": levels.rows,
        "vendor_total": levels.total,
        "vendors_offboarded": levels.offboarded,
        "undisclosed_total": sum(row["undisclosed"] for row in levels.rows),
        "deadlines": alert_selectors.change_of_control_deadlines(
            today=today, horizon_days=selectors.DASHBOARD_HORIZON_DAYS
        ),
        "renewals": selectors.contract_renewals(today=today),
        "exposure": selectors.exposure_by_influencing_party(today=today),
        "recent_events": selectors.recent_events(),
    }
    return render(request, "web/dashboard.html", context)
