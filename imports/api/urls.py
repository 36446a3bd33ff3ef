"""Routes of import runs and the BODS export, included in the API v1 (``/api/v1/``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from imports.api import views

router = SimpleRouter()
router.register("imports", views.ImportRunViewSet, basename="importrun")

urlpatterns = [
    path("export/bods/", views.BodsExportViewSet.as_view({"get": "list"}), name="export-bods"),
    *router.urls,
]
