"""Outgoing webhooks (signed deliveries of alerts)."""

from alerts.models import Alert


def deliveries_create(*, alert: Alert) -> None:
    """Queue one delivery per matching active endpoint."""
