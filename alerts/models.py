"""Alerts raised by rechecks, and the webhooks that carry them to other systems."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from alerts.choices import AlertKind, AlertStatus, DeliveryStatus, ReminderKind, WebhookFormat
from alerts.ssrf import validate_webhook_url
from core.audit import AUDITED
from core.validators import validate_single_line
from registry.choices import RiskLevel


class Alert(models.Model):
    """Something a person must look at. ``dedup_key`` makes raising the same alert twice
    impossible, however often a recheck runs."""

    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    severity = models.CharField(max_length=16, choices=RiskLevel.choices)
    title = models.CharField(max_length=255)
    detail = models.TextField(blank=True)
    vendor = models.ForeignKey(
        "registry.Vendor", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    contract = models.ForeignKey(
        "registry.Contract", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    event = models.ForeignKey(
        "registry.OwnershipEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts",
    )
    import_run = models.ForeignKey(
        "imports.ImportRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts",
        help_text="The import run whose recheck raised it, if any.",
    )
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    due_date = models.DateField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_alerts",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_alerts",
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    dedup_key = models.CharField(max_length=200, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=AUDITED)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("acknowledge_alert", "Can acknowledge an alert"),
            ("resolve_alert", "Can resolve an alert"),
            ("dismiss_alert", "Can dismiss an alert"),
            ("assign_alert", "Can assign an alert"),
        ]
        indexes = [
            models.Index(fields=["status", "severity"]),
            models.Index(fields=["due_date"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(dedup_key=""), name="alert_dedup_key_not_empty"),
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=AlertStatus.values), name="alert_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=RiskLevel.values), name="alert_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class WebhookEndpoint(models.Model):
    """A receiver of signed alert notifications."""

    name = models.CharField(max_length=100, validators=[validate_single_line])
    # Checked whenever the model is validated (the service, the admin, any other door); the
    # delivery checks it again after resolving, right before each request.
    url = models.URLField("URL", max_length=500, validators=[validate_webhook_url])
    secret = models.CharField(
        max_length=128, help_text="Shared secret for the HMAC-SHA256 signature."
    )
    # While a secret is rotated the one it replaced still signs, until it expires, so a receiver
    # can switch to the new secret at any moment of the overlap.
    previous_secret = models.CharField(
        max_length=128,
        blank=True,
        help_text="The secret before the last rotation; also signs until it expires.",
    )
    previous_secret_expires_at = models.DateTimeField(
        "previous secret expires at", null=True, blank=True
    )
    alert_kinds = models.JSONField(
        default=list, blank=True, help_text="Alert kinds to send; empty means all."
    )
    min_severity = models.CharField(
        "minimum severity", max_length=16, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    format = models.CharField(
        max_length=16,
        choices=WebhookFormat.choices,
        default=WebhookFormat.GENERIC,
        help_text="Generic: the alert as signed JSON. Slack or Teams: a message for the "
        "channel of an incoming webhook (the signature headers are sent too).",
    )
    posts_reminders = models.BooleanField(
        "post reminders",
        default=False,
        help_text="Also post the daily deadline reminders and escalations of overdue reviews "
        "(for the alert kinds and severity above; contract ends always).",
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["secret", "previous_secret"], bases=AUDITED)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One alert, or one reminder, to one endpoint: recorded as a row before any request is
    made."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    reminder = models.OneToOneField(
        "alerts.Reminder",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_delivery",
    )
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "alert"], name="delivery_unique_per_alert")
        ]

    def __str__(self) -> str:
        return f"{self.alert or self.reminder} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, with what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"Attempt at {self.attempted_at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"


class Reminder(models.Model):
    """A reminder sent to one person by e-mail, or posted to one webhook endpoint (a chat
    channel): a deadline coming or due, an overdue change of control escalated, a daily digest
    (people only). Recorded once — its key (the alert or contract, the kind, the day and the
    recipient or endpoint) is unique — so running the daily job again sends nothing twice."""

    kind = models.CharField(max_length=32, choices=ReminderKind.choices)
    day = models.DateField(
        help_text="The day it is for: the day it was due to be sent (for an escalation, the "
        "first day the alert was overdue)."
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    contract = models.ForeignKey(
        "registry.Contract",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    deadline = models.DateField(
        null=True, blank=True, help_text="The deadline it reminds of (none for a digest)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        # One key per shape: NULLs never collide in a unique index, so each constraint covers
        # the rows whose columns it names are all set.
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "kind", "day", "recipient"],
                condition=Q(alert__isnull=False, recipient__isnull=False),
                name="reminder_unique_per_alert",
            ),
            models.UniqueConstraint(
                fields=["contract", "kind", "day", "recipient"],
                condition=Q(alert__isnull=True, contract__isnull=False, recipient__isnull=False),
                name="reminder_unique_per_contract",
            ),
            models.UniqueConstraint(
                fields=["kind", "day", "recipient"],
                condition=Q(alert__isnull=True, contract__isnull=True, recipient__isnull=False),
                name="reminder_unique_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["alert", "kind", "day", "endpoint"],
                condition=Q(alert__isnull=False, endpoint__isnull=False),
                name="reminder_unique_per_alert_endpoint",
            ),
            models.UniqueConstraint(
                fields=["contract", "kind", "day", "endpoint"],
                condition=Q(alert__isnull=True, contract__isnull=False, endpoint__isnull=False),
                name="reminder_unique_per_contract_endpoint",
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False, endpoint__isnull=True)
                | Q(recipient__isnull=True, endpoint__isnull=False),
                name="reminder_to_a_person_or_an_endpoint",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} for {self.recipient or self.endpoint} "
            f"on {self.day:%Y-%m-%d}"
        )


class NotificationPreference(models.Model):
    """What a person wants to be sent besides the e-mails of alerts given to them. A user
    without a row has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    daily_digest = models.BooleanField(
        default=True,
        help_text="A daily e-mail of what is new, due and overdue among one's alerts and "
        "contracts.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Notification preferences of {self.user}"


class EmailNotification(models.Model):
    """One e-mail about an alert, or one reminder, to one recipient: recorded in the
    transaction that raised the alert (or recorded the reminder), before any message is sent,
    so a worker that dies after the commit loses nothing."""

    alert = models.ForeignKey(
        Alert,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email_notifications",
    )
    reminder = models.OneToOneField(
        Reminder,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email_notification",
    )
    recipient = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"
