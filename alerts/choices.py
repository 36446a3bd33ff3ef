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


class WebhookFormat(models.TextChoices):
    """What a webhook endpoint is sent: the signed JSON of an alert, or a chat message that an
    incoming webhook of Slack or Microsoft Teams posts to a channel."""

    GENERIC = "generic", "Generic (signed JSON)"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams incoming webhook"


class ReminderKind(models.TextChoices):
    COC_DEADLINE = "coc_deadline", "Change-of-control deadline"
    CONTRACT_END = "contract_end", "Contract renewal"
    COC_OVERDUE = "coc_overdue", "Overdue change of control (escalated)"
    DIGEST = "digest", "Daily digest"
