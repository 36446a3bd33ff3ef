"""Sign-in throttling for the web and admin sign-in pages (the API's token endpoint uses
DRF's own throttle with the same ``auth`` rate)."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from rest_framework.throttling import SimpleRateThrottle


class SignInThrottle(SimpleRateThrottle):
    """At most the ``auth`` rate of sign-in attempts per client address."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def signin_throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 429 to sign-in attempts (POSTs) beyond the rate, saying when to try again."""

    @wraps(view)
    def throttled(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            throttle = SignInThrottle()
            if not throttle.allow_request(request, None):
                wait = max(1, round(throttle.wait() or 1))
                response = HttpResponse(
                    format_html(
                        "<!doctype html><title>Too many sign-in attempts</title>"
                        "<h1>Too many sign-in attempts</h1>"
                        "<p>Please wait {} seconds, then <a href='{}'>try again</a>.</p>",
                        wait,
                        request.get_full_path(),
                    ),
                    status=429,
                )
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return throttled
