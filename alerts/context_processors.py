"""What every page's navigation shows of the alerts."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from alerts.selectors import alert_action_count


def navigation(request: HttpRequest) -> dict:
    """``nav_open_alerts``: how many alerts need action by the signed-in user's role (open or
    acknowledged, as the inbox lists them by default; none for a Viewer). Counted (one query)
    only when a template shows it, so the admin, the API and partial page updates pay nothing."""
    user = getattr(request, "user", None)
    return {"nav_open_alerts": SimpleLazyObject(lambda: alert_action_count(user=user))}
