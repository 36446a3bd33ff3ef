"""Routes of the registry's pages, in the ``web`` namespace (config/urls.py)."""

from django.urls import path

from registry.web.views import contracts, dashboard, entities, events, ownerships, vendors

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("vendors/", vendors.vendor_list, name="vendor-list"),
    path("vendors/export.csv", vendors.vendor_export, name="vendor-export"),
    path("vendors/new/", vendors.vendor_new, name="vendor-new"),
    path("vendors/<int:pk>/", vendors.vendor_detail, name="vendor-detail"),
    path("vendors/<int:pk>/edit/", vendors.vendor_edit, name="vendor-edit"),
    path("vendors/<int:pk>/recheck/", vendors.vendor_recheck, name="vendor-recheck"),
    path("vendors/<int:vendor_pk>/contracts/new/", contracts.contract_new, name="contract-new"),
    path("contracts/", contracts.contract_list, name="contract-list"),
    path("contracts/<int:pk>/", contracts.contract_detail, name="contract-detail"),
    path("contracts/<int:pk>/edit/", contracts.contract_edit, name="contract-edit"),
    path("entities/", entities.entity_list, name="entity-list"),
    path("entities/new/", entities.entity_new, name="entity-new"),
    path("entities/search/", entities.entity_picker, name="entity-picker"),
    path("entities/<int:pk>/", entities.entity_detail, name="entity-detail"),
    path("entities/<int:pk>/edit/", entities.entity_edit, name="entity-edit"),
    path("ownerships/", ownerships.ownership_list, name="ownership-list"),
    path("ownerships/new/", ownerships.ownership_new, name="ownership-new"),
    path("ownerships/<int:pk>/edit/", ownerships.ownership_edit, name="ownership-edit"),
    path("events/", events.event_list, name="event-list"),
    path("events/new/", events.event_new, name="event-new"),
    path("events/<int:pk>/", events.event_detail, name="event-detail"),
    path("events/<int:pk>/status/", events.event_status, name="event-status"),
]
