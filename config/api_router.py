"""Routes of the REST API v1, mounted at ``/api/v1/``: every app's resources on one router."""

from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import APIRootView, DefaultRouter

from alerts.api.views import AlertViewSet
from core.api.views import TokenView
from registry.api import views


class RootView(APIRootView):
    """The list of the API's resources, for any signed-in user."""

    permission_classes = [IsAuthenticated]


class Router(DefaultRouter):
    APIRootView = RootView
    include_format_suffixes = False


router = Router()
router.register("entities", views.EntityViewSet, basename="entity")
router.register("watchlist", views.WatchlistEntryViewSet, basename="watchlistentry")
router.register("ownerships", views.OwnershipViewSet, basename="ownership")
router.register("vendors", views.VendorViewSet, basename="vendor")
router.register("contracts", views.ContractViewSet, basename="contract")
router.register("ownership-events", views.OwnershipEventViewSet, basename="ownershipevent")
router.register("alerts", AlertViewSet, basename="alert")

app_name = "api"
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path(
        "risk-policy/",
        views.RiskPolicyViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update"}
        ),
        name="risk-policy",
    ),
    *router.urls,
    path("", include("imports.api.urls")),
]
