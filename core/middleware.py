"""Middleware of the project's own."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every answer that may carry registry data: pages
    and exports for a signed-in user, and everything under ``/api/`` (tokens included), so that
    neither a shared proxy nor the browser's disk keeps a copy after sign-out.

    Static files never reach it (WhiteNoise answers them earlier, cacheable for a year), and
    pages for anonymous visitors (the sign-in page) keep whatever their view set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path.startswith("/api/"):
            patch_cache_control(response, no_store=True, private=True)
        return response
