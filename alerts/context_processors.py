"""What every page's navigation shows of the alerts."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from alerts.selectors import open_alert_count


def navigation(request: HttpRequest) -> dict:
    """``nav_open_alerts``: how many alerts are still open. Counted (one query) only when a
    template shows it, so the admin, the API and partial page updates pay nothing."""
    return {"nav_open_alerts": SimpleLazyObject(open_alert_count)}
