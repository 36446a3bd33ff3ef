"""Reads of alerts shared by the API and the pages, each in a constant number of queries."""

from django.db.models import QuerySet

from alerts.models import Alert


def alert_list() -> QuerySet[Alert]:
    """Alerts, newest first."""
    return Alert.objects.all()
