"""Sign-in throttling, shared by the web and admin sign-in pages and the API's token endpoint.

Two counters, each at its own rate (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``): ``auth`` per
client address and ``auth_account`` per username tried, so neither spreading guesses over many
addresses nor over many accounts gets more tries. The client address is the peer's address
unless ``TRUSTED_PROXY_COUNT`` proxies stand in front of the app (``client_address``).

The counters live in the shared cache (Redis in production). When the cache cannot be reached,
they fall back to a counter in this process's memory, so that sign-in keeps working, still
throttled per process, while Redis is down.
"""

import ipaddress
import logging
from collections.abc import Callable
from functools import wraps
from hashlib import sha256

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# What the cache raises when its server is down or unreachable.
CACHE_UNAVAILABLE = (RedisError, OSError)


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request``.

    With ``TRUSTED_PROXY_COUNT`` = 0 (the default) it is the peer's address and
    ``X-Forwarded-For`` is ignored, since anyone can send that header. With N trusted proxies,
    each appends the address it received the request from, so the client is the Nth address
    from the right; anything further left was written by the client and is not believed. A
    header too short or not an address means the request did not come through the proxies:
    the peer's address is used.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < proxies:
        return peer
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


class FailOpenCache:
    """The shared cache, or this process's own memory while the shared cache is unreachable."""

    def __init__(self) -> None:
        self.local = LocMemCache("signin-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

    def get(self, key: str, default=None):
        try:
            return shared_cache.get(key, default)
        except CACHE_UNAVAILABLE as error:
            self._fell_back(error)
            return self.local.get(key, default)

    def set(self, key: str, value, timeout: int | None = None) -> None:
        try:
            shared_cache.set(key, value, timeout)
        except CACHE_UNAVAILABLE as error:
            self._fell_back(error)
            self.local.set(key, value, timeout)

    @staticmethod
    def _fell_back(error: Exception) -> None:
        logger.warning(
            "Sign-in throttle: the cache is unreachable (%s); counting in this process instead.",
            error,
        )


FAIL_OPEN_CACHE = FailOpenCache()


def _username_tried(request) -> str:
    data = getattr(request, "data", None)  # a DRF request (the token endpoint)
    if data is None:
        data = request.POST
    try:
        username = data.get("username", "")
    except AttributeError:  # a JSON body that is not an object
        return ""
    return username.strip().casefold() if isinstance(username, str) else ""


class SignInAddressThrottle(SimpleRateThrottle):
    """At most the ``auth`` rate of sign-in attempts per client address."""

    scope = "auth"
    cache = FAIL_OPEN_CACHE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class SignInAccountThrottle(SimpleRateThrottle):
    """At most the ``auth_account`` rate of sign-in attempts per username, from anywhere."""

    scope = "auth_account"
    cache = FAIL_OPEN_CACHE

    def get_cache_key(self, request, view) -> str | None:
        username = _username_tried(request)
        if not username:
            return None
        # Usernames are free text: hash them so the key is safe for any cache.
        ident = sha256(username.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


SIGNIN_THROTTLES = (SignInAddressThrottle, SignInAccountThrottle)


def signin_wait(request) -> int | None:
    """Seconds the sender of this sign-in attempt must wait, or ``None`` if it may go ahead.

    Every counter is checked (and counts the attempt if it allows it), so that an attempt
    refused by one still counts against the other."""
    waits = []
    for throttle_class in SIGNIN_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait() or 1)
    return max(1, round(max(waits))) if waits else None


def signin_throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 429 to sign-in attempts (POSTs) beyond the rate, saying when to try again."""

    @wraps(view)
    def throttled(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            wait = signin_wait(request)
            if wait is not None:
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
