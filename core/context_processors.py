"""What every page can show of the pipeline's health."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core.health import PipelineHealth, pipeline_health_for_banner
from registry.roles import is_risk_analyst


def _alarm(request: HttpRequest) -> PipelineHealth | None:
    if not is_risk_analyst(getattr(request, "user", None)):
        return None
    state = pipeline_health_for_banner()
    return None if state.healthy else state


def pipeline(request: HttpRequest) -> dict:
    """``pipeline_alarm``: for a risk analyst, the pipeline's health while it is unwell (else
    nothing). Checked only when a template shows it (the dashboard, the admin), so other pages
    pay nothing, and then at most every few seconds (``core.health.BANNER_CACHE_SECONDS``)."""
    return {"pipeline_alarm": SimpleLazyObject(lambda: _alarm(request))}
