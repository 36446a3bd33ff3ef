"""Choice sets of alerts and webhook deliveries."""

from django.db import models


class AlertKind(models.TextChoices):
    RISK_INCREASED = "risk_increased", "Risk increased"
    CHANGE_OF_CONTROL = "change_of_control", "Change of control"
    PIPELINE_FAILURE = "pipeline_failure", "Pipeline failure"
    NEW_INFLUENCE = "new_influence", "New influence"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


#: Alerts that still need someone's attention.
OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
