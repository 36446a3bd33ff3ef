"""Admin for alerts (handled in bulk through the lifecycle services) and outgoing webhooks."""

import json
import secrets
from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from alerts.choices import OPEN_STATUSES, AlertKind, DeliveryStatus, WebhookFormat
from alerts.models import (
    Alert,
    EmailNotification,
    NotificationPreference,
    Reminder,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from alerts.reminders import notification_preference_set
from alerts.selectors import alert_assignable_users
from alerts.services import alert_acknowledge, alert_assign, alert_dismiss, alert_resolve
from alerts.webhooks import (
    MAX_OVERLAP_HOURS,
    delivery_resend,
    webhook_endpoint_save,
    webhook_secret_rotate,
)
from core.admin import (
    EMPTY,
    AuditedAdmin,
    ReadOnlyInline,
    ReadOnlyMixin,
    RegistryAdmin,
    ServiceForm,
    ServiceFormMixin,
    badge,
)
from core.people import person_label
from core.web.forms import UserChoiceField

# --- Alerts -------------------------------------------------------------------------------------


class AlertActionForm(ActionForm):
    """The action bar, with the note that resolving or dismissing records."""

    note = forms.CharField(
        required=False,
        max_length=2000,
        label="Note",
        widget=forms.TextInput(attrs={"placeholder": "Note for resolve / dismiss", "size": 40}),
    )


class OverdueFilter(admin.SimpleListFilter):
    title = "due date"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("upcoming", "Due, not yet overdue")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        still_open = queryset.filter(status__in=OPEN_STATUSES)
        if self.value() == "overdue":
            return still_open.filter(due_date__lt=today)
        if self.value() == "upcoming":
            return still_open.filter(due_date__gte=today)
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = "assignee"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("nobody", "Unassigned")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset


class AlertForm(ServiceForm):
    """An alert's one editable field is its assignee (``alert_assign``); its status changes
    through the list's actions."""

    assignee = UserChoiceField(
        queryset=alert_assignable_users(),
        required=False,
        empty_label="Nobody",
        help_text="Only people who may act on alerts (Procurement, Risk analysts, superusers).",
    )

    class Meta:
        model = Alert
        fields = ("assignee",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = alert_assignable_users()

    def save_through_service(self) -> Alert:
        stored = self.stored()
        if "assignee" not in self.changed_data:
            return stored
        return alert_assign(alert=stored, assignee=self.cleaned_data["assignee"], actor=self.actor)


@admin.register(Alert)
class AlertAdmin(ServiceFormMixin, AuditedAdmin):
    """Alerts raised by rechecks. Select alerts and acknowledge, resolve or dismiss them in
    bulk; each goes through its lifecycle service, and those it refuses are listed."""

    form = AlertForm
    action_form = AlertActionForm
    list_display = (
        "title",
        "kind",
        "severity_badge",
        "status_badge",
        "vendor",
        "contract",
        "due",
        "assignee_name",
        "created_at",
    )
    list_filter = ("status", "severity", "kind", OverdueFilter, AssigneeFilter)
    list_select_related = ("vendor__entity", "contract", "assignee")
    search_fields = ("title", "vendor__entity__name", "contract__reference")
    date_hierarchy = "created_at"
    actions = ("acknowledge_selected", "resolve_selected", "dismiss_selected")
    fieldsets = [
        (None, {"fields": ("title", "kind", "severity_badge", "status_badge", "detail")}),
        ("About", {"fields": ("vendor", "contract", "event", "due")}),
        (
            "Handling",
            {
                "fields": (
                    "assignee",
                    "handled_by_name",
                    "handled_at",
                    "resolution_note",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    ]
    SHOWN_ONLY = (
        "title",
        "kind",
        "severity_badge",
        "status_badge",
        "detail",
        "vendor",
        "contract",
        "event",
        "due",
        "handled_by_name",
        "handled_at",
        "resolution_note",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alert]:
        # The changelist applies list_select_related only to a queryset without any.
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related, "event__subject", "handled_by")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Alert | None = None):
        if request.user.has_perm("alerts.assign_alert"):
            return self.SHOWN_ONLY
        return (*self.SHOWN_ONLY, "assignee_name")

    def get_fieldsets(self, request: HttpRequest, obj: Alert | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.has_perm("alerts.assign_alert"):
            return fieldsets
        # Without the right to assign, the assignee is shown, named as everywhere else.
        return [
            (
                name,
                {
                    **options,
                    "fields": tuple(
                        "assignee_name" if field == "assignee" else field
                        for field in options["fields"]
                    ),
                },
            )
            for name, options in fieldsets
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Alerts are raised by rechecks only.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, alert: Alert) -> str:
        return badge("level", alert.severity, alert.get_severity_display())

    @admin.display(description="status", ordering="status")
    def status_badge(self, alert: Alert) -> str:
        return badge("alert", alert.status, alert.get_status_display())

    @admin.display(description="assignee", ordering="assignee__username")
    def assignee_name(self, alert: Alert) -> str:
        return person_label(alert.assignee, empty=EMPTY)

    @admin.display(description="handled by", ordering="handled_by__username")
    def handled_by_name(self, alert: Alert) -> str:
        return person_label(alert.handled_by, empty=EMPTY)

    @admin.display(description="due", ordering="due_date")
    def due(self, alert: Alert) -> str:
        if alert.due_date is None:
            return EMPTY
        if alert.status in OPEN_STATUSES and alert.due_date < timezone.localdate():
            return format_html('<span class="vr-overdue">{} (overdue)</span>', alert.due_date)
        return str(alert.due_date)

    def _transition(
        self,
        request: HttpRequest,
        queryset: QuerySet[Alert],
        service: Callable[..., Alert],
        done: str,
        **arguments: object,
    ) -> None:
        changed, refused = 0, []
        for alert in queryset:
            try:
                service(alert=alert, actor=request.user, **arguments)
            except ValidationError as exc:
                refused.append(f"“{alert}” ({' '.join(exc.messages)})")
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{changed} alert(s) {done}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{len(refused)} alert(s) not {done}: {'; '.join(refused)}",
                messages.WARNING,
            )

    @admin.action(description="Acknowledge selected alerts", permissions=["acknowledge"])
    def acknowledge_selected(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        self._transition(request, queryset, alert_acknowledge, "acknowledged")

    def _with_note(
        self,
        request: HttpRequest,
        queryset: QuerySet[Alert],
        *,
        action: str,
        service: Callable[..., Alert],
        done: str,
        asks: str,
    ) -> TemplateResponse | None:
        """Resolve or dismiss with the note of the action bar; without one, nothing changes
        and an intermediate page asks for it (again, with an error, if it is sent blank)."""
        note = request.POST.get("note", "").strip()
        if note:
            self._transition(request, queryset, service, done, note=note)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"A note is needed to {action} these alerts",
            "opts": self.model._meta,
            "alerts": list(queryset),
            "action": f"{action}_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "verb": action,
            "asks": asks,
            "error": "A note is required: " + asks if "note_asked" in request.POST else "",
        }
        return TemplateResponse(request, "admin/alerts/alert/note_required.html", context)

    @admin.action(description="Resolve selected alerts (with a note)", permissions=["resolve"])
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[Alert]):
        return self._with_note(
            request,
            queryset,
            action="resolve",
            service=alert_resolve,
            done="resolved",
            asks="say what was done to resolve them.",
        )

    @admin.action(description="Dismiss selected alerts (with a note)", permissions=["dismiss"])
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet[Alert]):
        return self._with_note(
            request,
            queryset,
            action="dismiss",
            service=alert_dismiss,
            done="dismissed",
            asks="say why they are not a concern.",
        )

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("alerts.acknowledge_alert")

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("alerts.resolve_alert")

    def has_dismiss_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("alerts.dismiss_alert")


# --- Webhooks -----------------------------------------------------------------------------------


class WebhookEndpointForm(ServiceForm):
    """The secret is written, never read back: a new endpoint gets a random one to copy to the
    receiver; on an existing endpoint the field is blank and left blank keeps the secret."""

    alert_kinds = forms.MultipleChoiceField(
        choices=AlertKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave all unticked to send every kind.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = (
            "name",
            "url",
            "format",
            "secret",
            "alert_kinds",
            "min_severity",
            "posts_reminders",
            "is_active",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "format" in self.fields:
            self.fields["format"].required = False
        secret = self.fields.get("secret")
        if secret is None:
            return
        if self.instance.pk is None:
            secret.initial = secrets.token_hex(32)
            secret.help_text = (
                "Copy it to the receiver now: once saved, only its last four characters are shown."
            )
        else:
            secret.required = False
            secret.widget = forms.PasswordInput(render_value=False)
            secret.help_text = (
                "Leave empty to keep the current secret; type a new one to replace it at once. "
                "To rotate without downtime, use the list's “Rotate secret” action instead: "
                "both secrets sign during the overlap."
            )
            self.initial["secret"] = ""

    def clean_format(self) -> str:
        # Left out (an older form or script that does not know the field): the endpoint keeps
        # its format, and a new one is generic.
        return self.cleaned_data.get("format") or self.instance.format or WebhookFormat.GENERIC

    def _get_validation_exclusions(self):
        # An unchanged URL was vetted when stored (and is before every request): a receiver
        # whose host stopped resolving can still be switched off.
        excluded = super()._get_validation_exclusions()
        if not self.is_adding() and "url" not in self.changed_data:
            excluded.add("url")
        return excluded

    def clean_secret(self) -> str:
        # Blank on an existing endpoint keeps its secret (the instance still holds it here).
        return self.cleaned_data["secret"] or self.instance.secret

    def save_through_service(self) -> WebhookEndpoint:
        return webhook_endpoint_save(
            endpoint=None if self.is_adding() else self.stored(),
            actor=self.actor,
            **self.values(),
        )


class RotateActionForm(ActionForm):
    """The action bar, with the overlap of a secret rotation (checked by the service, so a bad
    value is reported by name rather than as "no action selected")."""

    overlap_hours = forms.CharField(
        required=False,
        initial="24",
        label="Overlap (hours)",
        widget=forms.NumberInput(attrs={"size": 4, "min": 0, "max": MAX_OVERLAP_HOURS}),
    )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceFormMixin, AuditedAdmin):
    """Receivers of signed alert notifications, saved through ``webhook_endpoint_save`` (which
    refuses private and loopback addresses)."""

    form = WebhookEndpointForm
    action_form = RotateActionForm
    actions = ("rotate_secret",)
    list_display = ("name", "url", "format", "kinds", "min_severity", "is_active", "secret_hint")
    list_filter = ("is_active", "format", "posts_reminders", "min_severity")
    search_fields = ("name", "url")
    readonly_fields = ("secret_hint", "previous_secret_expires_at", "created_at")

    @admin.action(
        description="Rotate secret (both sign during the overlap)", permissions=["change"]
    )
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        raw = (request.POST.get("overlap_hours") or "").strip() or "24"
        overlap: object = int(raw) if raw.isdigit() else raw
        rotated = []
        try:
            for endpoint in queryset:
                rotated.append(
                    (endpoint, webhook_secret_rotate(endpoint, overlap, actor=request.user))
                )
        except ValidationError as exc:
            problems = " ".join(exc.message_dict.get("overlap_hours", exc.messages))
            self.message_user(
                request, f"No secret rotated. Overlap (hours): {problems}", messages.ERROR
            )
            return
        for endpoint, new_secret in rotated:
            self.message_user(
                request,
                f"New secret of “{endpoint}”: {new_secret} — copy it to the receiver now, it "
                f"is not shown again. The previous secret also signs for {overlap} hour(s).",
                messages.SUCCESS,
            )

    def get_fieldsets(self, request: HttpRequest, obj: WebhookEndpoint | None = None):
        fields = (
            "name",
            "url",
            "format",
            "secret",
            "alert_kinds",
            "min_severity",
            "posts_reminders",
            "is_active",
        )
        if obj is None:
            return [(None, {"fields": fields})]
        return [(None, {"fields": fields}), ("Recorded", {"fields": self.readonly_fields})]

    @admin.display(description="alert kinds")
    def kinds(self, endpoint: WebhookEndpoint) -> str:
        labels = dict(AlertKind.choices)
        return ", ".join(labels.get(kind, kind) for kind in endpoint.alert_kinds) or "All"

    @admin.display(description="secret")
    def secret_hint(self, endpoint: WebhookEndpoint) -> str:
        return f"••••{endpoint.secret[-4:]}" if endpoint.secret else EMPTY

    def has_delete_permission(self, request: HttpRequest, obj: WebhookEndpoint | None = None):
        # Deleting would take the delivery records with it; an endpoint is switched off instead.
        return False


class WebhookAttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = ("attempted_at", "status_code", "duration_ms", "error")
    show_change_link = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyMixin, RegistryAdmin):
    """Each alert sent to each endpoint, with every attempt (status code, duration, error)."""

    list_display = (
        "about",
        "endpoint",
        "status_badge",
        "attempt_count",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
    list_filter = ("status", "endpoint")
    list_select_related = ("alert", "endpoint", "reminder__recipient", "reminder__endpoint")
    search_fields = ("alert__title", "endpoint__name")
    date_hierarchy = "created_at"
    fields = (
        "alert",
        "reminder",
        "endpoint",
        "status_badge",
        "attempt_count",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "payload_pretty",
    )
    inlines = (WebhookAttemptInline,)
    actions = ("resend_selected",)

    @admin.display(description="status", ordering="status")
    def status_badge(self, delivery: WebhookDelivery) -> str:
        return badge("delivery", delivery.status, delivery.get_status_display())

    @admin.display(description="alert or reminder")
    def about(self, delivery: WebhookDelivery) -> str:
        return str(delivery.alert or delivery.reminder)

    @admin.display(description="payload")
    def payload_pretty(self, delivery: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(delivery.payload, indent=2, sort_keys=True))

    @admin.action(description="Re-send failed deliveries", permissions=["resend"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        sent, refused = 0, []
        for delivery in queryset:
            if delivery.status != DeliveryStatus.FAILED:
                refused.append(f"“{delivery}” ({delivery.get_status_display().lower()})")
                continue
            delivery_resend(delivery=delivery, actor=request.user)
            sent += 1
        if sent:
            self.message_user(request, f"Re-sent {sent} delivery(ies).", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"Not re-sent, only failed deliveries are: {'; '.join(refused)}",
                messages.WARNING,
            )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("alerts.change_webhookdelivery")


@admin.register(EmailNotification)
class EmailNotificationAdmin(ReadOnlyMixin, RegistryAdmin):
    """The e-mail outbox: each message about an alert, recorded with the alert, and whether it
    was sent (with the last error while it is retried)."""

    list_display = (
        "subject",
        "recipient",
        "status_badge",
        "attempt_count",
        "next_attempt_at",
        "sent_at",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("alert", "reminder")
    search_fields = ("recipient", "subject")
    date_hierarchy = "created_at"
    fields = (
        "alert",
        "reminder",
        "recipient",
        "subject",
        "body",
        "status_badge",
        "attempt_count",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "created_at",
    )

    @admin.display(description="status", ordering="status")
    def status_badge(self, notification: EmailNotification) -> str:
        return badge("delivery", notification.status, notification.get_status_display())


# --- Reminders ----------------------------------------------------------------------------------


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyMixin, RegistryAdmin):
    """Every reminder sent (by the daily job, ``send_reminders``), each once, with its e-mail
    or webhook delivery."""

    list_display = (
        "kind",
        "day",
        "recipient",
        "endpoint",
        "alert",
        "contract",
        "deadline",
        "created_at",
    )
    list_filter = ("kind", "day", "endpoint")
    list_select_related = ("recipient", "endpoint", "alert", "contract")
    search_fields = ("recipient__username", "recipient__email", "contract__reference")
    date_hierarchy = "day"
    fields = (
        "kind",
        "day",
        "recipient",
        "endpoint",
        "alert",
        "contract",
        "deadline",
        "created_at",
        "sent_as",
    )

    @admin.display(description="sent as")
    def sent_as(self, reminder: Reminder) -> str:
        notification = getattr(reminder, "email_notification", None)
        if notification is not None:
            return f"E-mail “{notification.subject}” ({notification.get_status_display().lower()})"
        delivery = getattr(reminder, "webhook_delivery", None)
        if delivery is not None:
            return f"Webhook delivery #{delivery.pk} ({delivery.get_status_display().lower()})"
        return EMPTY


class NotificationPreferenceForm(ServiceForm):
    class Meta:
        model = NotificationPreference
        fields = ("user", "daily_digest")

    def save_through_service(self) -> NotificationPreference:
        return notification_preference_set(
            user=self.cleaned_data.get("user") or self.instance.user,
            daily_digest=self.cleaned_data["daily_digest"],
        )


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ServiceFormMixin, RegistryAdmin):
    """Who is sent the daily digest (everyone without a row is); people change their own on
    the E-mail preferences page."""

    form = NotificationPreferenceForm
    list_display = ("user", "daily_digest", "updated_at")
    list_filter = ("daily_digest",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    readonly_fields = ("updated_at",)

    def get_readonly_fields(self, request: HttpRequest, obj: NotificationPreference | None = None):
        return ("user", "updated_at") if obj is not None else ("updated_at",)
