"""URL configuration."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from core.health import health
from core.signin import signin_throttled
from core.web.sso import SignInView, SsoCallbackView, SsoStartView

web_patterns = [
    path("alerts/", include("alerts.web.urls")),
    path("imports/", include("imports.web.urls")),
    path("", include("reports.web.urls")),
    path("", include("registry.web.urls")),
]

urlpatterns = [
    # Sign-in pages are throttled; these come before the routes that would serve them too.
    path("admin/login/", signin_throttled(admin.site.login)),
    path("accounts/login/", signin_throttled(SignInView.as_view()), name="login"),
    # Single sign-on (OpenID Connect): 404 unless configured.
    path("accounts/oidc/start/", SsoStartView.as_view(), name="sso-start"),
    path("accounts/oidc/callback/", SsoCallbackView.as_view(), name="sso-callback"),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/v1/", include("config.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=[AllowAny]),
        name="api-docs",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Every app's pages share the ``web`` namespace: ``web:vendor-list``, ``web:alert-inbox`` …
    path("", include((web_patterns, "web"))),
]
