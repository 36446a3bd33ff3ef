"""The sign-in page, and the two doors of single sign-on: off to the provider, and back.

The flow itself (state, nonce, PKCE, the code exchange) is mozilla-django-oidc's; these views
turn every way it can fail — a forged or expired token, a replayed or unknown state, a
provider that refuses or cannot be reached — into a sentence on the sign-in page, never an
error page. Both doors answer 404 while SSO is not configured.
"""

import logging
import re
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from core.sso import SignInRefused, provider_failure_message, provider_name

logger = logging.getLogger(__name__)

# The authorization endpoint's error codes (RFC 6749 4.1.2.1, OpenID Connect Core 3.1.2.6).
PROVIDER_ERRORS = {
    "access_denied": "access was declined",
    "login_required": "you are not signed in there",
    "consent_required": "your consent is needed",
    "interaction_required": "it needs you to act there first",
    "unauthorized_client": "this site is not allowed to sign people in there",
    "invalid_scope": "this site asked for information it may not have",
    "server_error": "it had an internal error",
    "temporarily_unavailable": "it is temporarily unavailable",
}
_ERROR_CODE_UNSAFE = re.compile(r"[^a-z_]")


def sso_enabled() -> bool:
    return settings.OIDC_ENABLED


def local_signin_enabled() -> bool:
    return settings.OIDC_LOCAL_SIGNIN or not settings.OIDC_ENABLED


class SignInView(LoginView):
    """Django's sign-in page, with a "Sign in with <provider>" button when SSO is on, and
    without the password form when ``OIDC_LOCAL_SIGNIN`` is off."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["local_signin"] = local_signin_enabled()
        if sso_enabled():
            query = urlencode({"next": context["next"]}) if context.get("next") else ""
            context["sso"] = {
                "provider": provider_name(),
                "url": reverse("sso-start") + (f"?{query}" if query else ""),
            }
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not local_signin_enabled():
            messages.error(
                request, f"Sign-in with a password is turned off here: use {provider_name()}."
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().post(request, *args, **kwargs)


class SsoStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's authorization endpoint (state, nonce and PKCE
    verifier kept in the session)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back with a code (or an error). Success signs the
    user in and goes on to ``next``; any failure goes back to the sign-in page with a message
    saying why, and signs nobody in."""

    refusal: SignInRefused | None = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except SignInRefused as refusal:
            self.refusal = refusal
        except SuspiciousOperation as error:  # a state this browser's session never issued
            self.refusal = self._state_refusal(str(error))
        except requests.RequestException as error:
            self.refusal = provider_failure_message(error)
        return self.login_failure()

    def _state_refusal(self, reason: str) -> SignInRefused:
        return SignInRefused(
            f"This answer from {provider_name()} does not belong to a sign-in started in this "
            "browser, or it was already used. Nobody was signed in; please sign in again.",
            reason=reason,
        )

    def _refusal_from_answer(self) -> SignInRefused:
        answer = self.request.GET
        if answer.get("error"):
            # Only the error code, never the free text beside it: anyone can write a link to
            # this page, and the sign-in page must not repeat what they wrote.
            code = _ERROR_CODE_UNSAFE.sub("", answer["error"])[:40] or "unknown_error"
            said = PROVIDER_ERRORS.get(code, f"it answered “{code}”")
            return SignInRefused(
                f"{provider_name()} did not sign you in: {said}.",
                reason=f"provider error {answer['error'][:80]!r}",
            )
        if not (answer.get("code") and answer.get("state")):
            return SignInRefused(
                f"The answer from {provider_name()} was incomplete. Please sign in again.",
                reason="callback without code or state",
            )
        if "oidc_states" not in self.request.session:
            return self._state_refusal("no sign-in under way in this session")
        return SignInRefused(
            f"Sign-in with {provider_name()} could not be completed. Please sign in again.",
            reason="the backend returned no user",
        )

    def login_failure(self) -> HttpResponse:
        refusal = self.refusal or self._refusal_from_answer()
        logger.warning("Single sign-on refused: %s", refusal.reason)
        messages.error(self.request, refusal.message)
        return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
