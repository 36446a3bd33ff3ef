"""Routes of the import pages, mounted at ``/imports/`` in the ``web`` namespace
(config/urls.py)."""

from django.urls import path

from imports.web import spreadsheets, views

urlpatterns = [
    path("", views.import_run_list, name="import-list"),
    path("<int:pk>/", views.import_run_detail, name="import-detail"),
    path("spreadsheet/", spreadsheets.spreadsheet_upload, name="spreadsheet-upload"),
    path(
        "spreadsheet/template/<str:kind>.<str:file_format>",
        spreadsheets.spreadsheet_template_download,
        name="spreadsheet-template",
    ),
    path("spreadsheet/<int:pk>/", spreadsheets.spreadsheet_detail, name="spreadsheet-detail"),
    path("spreadsheet/<int:pk>/apply/", spreadsheets.spreadsheet_apply, name="spreadsheet-apply"),
]
