"""Who may open and post to the pages, and one-time tokens that keep a form from saving twice."""

import secrets
from collections.abc import Callable
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

TOKENS_SESSION_KEY = "web_form_tokens"
#: Tokens kept per session; the oldest unused ones are forgotten first.
TOKENS_KEPT = 40


def permission_required(*perms: str) -> Callable:
    """Sign-in first (anonymous users are sent to the login page), then 403 without ``perms``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` path posted or asked for, if it stays on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class FormTokenInvalid(Exception):
    """The form carries no token this session issued: it was tampered with or has expired."""


def form_token_issue(request: HttpRequest) -> str:
    """A fresh one-time token for a form about to be shown."""
    token = secrets.token_urlsafe(18)
    tokens = dict(request.session.get(TOKENS_SESSION_KEY, {}))
    tokens[token] = ""
    request.session[TOKENS_SESSION_KEY] = dict(list(tokens.items())[-TOKENS_KEPT:])
    return token


def form_token_known(request: HttpRequest, token: str) -> bool:
    """Whether this session issued ``token`` (spent or not)."""
    return bool(token) and token in request.session.get(TOKENS_SESSION_KEY, {})


def _tokens_stored(request: HttpRequest) -> dict[str, str]:
    """The session's tokens as stored now, not as they were when this request started."""
    key = request.session.session_key
    if key is None:
        return dict(request.session.get(TOKENS_SESSION_KEY, {}))
    fresh = request.session.__class__(session_key=key).load()
    return dict(fresh.get(TOKENS_SESSION_KEY, {}))


def form_token_redeem(
    request: HttpRequest, token: str, save: Callable[[], str]
) -> tuple[str, bool]:
    """Run ``save`` once per token and return ``(url of what it saved, saved now?)``.

    A token redeemed before returns the first save's url and saves nothing (a double submit).
    The user's row is locked while the token is checked and spent, so two submits of the same
    form arriving together are taken one after the other; the spent token is written to the
    session inside the same transaction as the save. ``save`` may raise ``ValidationError``:
    then nothing is saved and the token stays valid.
    """
    with transaction.atomic():
        list(
            get_user_model()
            .objects.select_for_update()
            .filter(pk=request.user.pk)
            .values_list("pk", flat=True)
        )
        tokens = _tokens_stored(request)
        if not token or token not in tokens:
            raise FormTokenInvalid
        if tokens[token]:
            return tokens[token], False
        url = save()
        tokens[token] = url
        request.session[TOKENS_SESSION_KEY] = tokens
        request.session.save()
    return url, True
