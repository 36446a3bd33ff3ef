"""URL configuration."""

from django.contrib import admin
from django.urls import include, path

from registry.views.health import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/v1/", include("registry.api.urls")),
    path("", include("registry.web.urls")),
]
