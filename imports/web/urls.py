"""Routes of the import pages, mounted at ``/imports/`` in the ``web`` namespace
(config/urls.py)."""

from django.urls import path

from imports.web import views

urlpatterns = [
    path("", views.import_run_list, name="import-list"),
    path("<int:pk>/", views.import_run_detail, name="import-detail"),
]
