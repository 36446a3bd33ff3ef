"""Routes of the reports, in the ``web`` namespace (config/urls.py)."""

from django.urls import path

from reports.web import views

urlpatterns = [
    path("reports/exposure/<int:pk>/", views.exposure_report, name="exposure-report"),
    path("vendors/<int:pk>/report/", views.vendor_report, name="vendor-report"),
]
