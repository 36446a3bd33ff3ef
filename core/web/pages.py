"""Helpers every list and form page uses: pagination, query strings, saving a form once."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from core.paging import KeysFirstPaginator
from core.web.access import FormTokenInvalid, form_token_issue, form_token_redeem
from core.web.forms import service_errors_add

PAGE_SIZES = (25, 50, 100)
EXPIRED_FORM = "This form has expired or was changed. Check it and save again."


def paginate(request: HttpRequest, items, *, default_size: int = 25) -> Page:
    """The asked-for page of ``items`` (``?page=``, ``?size=``); a bad number gives page one."""
    try:
        size = int(request.GET.get("size", default_size))
    except ValueError:
        size = default_size
    if size not in PAGE_SIZES:
        size = default_size
    return KeysFirstPaginator(items, size).get_page(request.GET.get("page"))


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string without ``names`` (to build sort and page links)."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def form_save_once(
    request: HttpRequest, form, token: str, save: Callable[[], str]
) -> tuple[HttpResponse | None, str]:
    """Save a valid create form once per token: a redirect to what was saved (also for a
    double submit), or ``None`` with the service's errors put on the form. Returns the token
    the form is shown again with."""
    try:
        url, _ = form_token_redeem(request, token, save)
        return redirect(url), token
    except ValidationError as error:
        service_errors_add(form, error)
    except FormTokenInvalid:
        form.add_error(None, EXPIRED_FORM)
        token = form_token_issue(request)
    return None, token
