"""Routes of the alert pages, mounted at ``/alerts/`` in the ``web`` namespace (config/urls.py)."""

from django.urls import path

from alerts.web import views

urlpatterns = [
    path("", views.alert_inbox, name="alert-inbox"),
    path("preferences/", views.notification_preferences, name="notification-preferences"),
    path("<int:pk>/", views.alert_detail, name="alert-detail"),
    path("<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
    path("<int:pk>/resolve/", views.alert_resolve, name="alert-resolve"),
    path("<int:pk>/dismiss/", views.alert_dismiss, name="alert-dismiss"),
    path("<int:pk>/assign/", views.alert_assign, name="alert-assign"),
]
