"""Risk policy versions, assessments and their factors."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet, Subquery
from django.http import HttpRequest

from core.admin import (
    EMPTY,
    ReadOnlyInline,
    ReadOnlyMixin,
    RegistryAdmin,
    ServiceForm,
    ServiceFormMixin,
    admin_link,
    badge,
)
from registry.models import Entity, RiskAssessment, RiskFactor, RiskPolicy
from registry.services.policy import POLICY_SETTINGS, policy_recheck_progress, risk_policy_update


class DayListField(forms.CharField):
    """Whole numbers of days typed as a comma-separated list ("7, 1"); the model checks their
    range, so the form, the admin and the service refuse the same values."""

    def prepare_value(self, value: object) -> object:
        if isinstance(value, list):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value: object) -> list[int]:
        text = super().to_python(value)
        parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
        bad = [part for part in parts if not part.isdigit()]
        if bad:
            raise forms.ValidationError(
                f"Give whole numbers of days separated by commas, e.g. 7, 1; not {', '.join(bad)}."
            )
        return [int(part) for part in parts]

    def has_changed(self, initial: object, data: object) -> bool:
        try:
            return self.to_python(data) != (initial or [])
        except forms.ValidationError:
            return True


class RiskPolicyForm(ServiceForm):
    reminder_days = DayListField(
        required=False,
        label="Reminder days",
        help_text="Days before a change-of-control deadline or a contract's end on which its "
        "assignee is reminded, besides the day itself (e.g. 7, 1); empty for the day only.",
    )

    class Meta:
        model = RiskPolicy
        fields = POLICY_SETTINGS

    def save_through_service(self) -> RiskPolicy:
        return risk_policy_update(actor=self.actor, **self.values())


@admin.register(RiskPolicy)
class RiskPolicyAdmin(ServiceFormMixin, RegistryAdmin):
    """Versions of the policy the engine applies. A version is never changed: "add" (prefilled
    from the latest version, or from the one it was opened from) saves the next version."""

    form = RiskPolicyForm
    list_display = (
        "version",
        "in_force",
        "critical_share",
        "high_share",
        "medium_share",
        "escalate_restricted",
        "interlock_severity",
        "undisclosed_severity",
        "reminder_days",
        "created_by",
        "created_at",
    )
    list_select_related = ("created_by",)
    readonly_fields = ("version", "created_by", "created_at", "recheck_progress")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RiskPolicy]:
        latest = RiskPolicy.objects.order_by("-version").values("version")[:1]
        return super().get_queryset(request).annotate(latest_version=Subquery(latest))

    def get_fieldsets(self, request: HttpRequest, obj: RiskPolicy | None = None):
        if obj is None:
            description = (
                "Saving creates the next version; earlier versions stay as they were and every "
                "assessment names the version it used."
            )
        else:
            description = "A version is never changed: start a new version from this one."
        engine_settings = tuple(name for name in POLICY_SETTINGS if name != "reminder_days")
        settings_ = [
            (
                "Thresholds and escalation",
                {"fields": engine_settings, "description": description},
            ),
            (
                "Reminders",
                {
                    "fields": ("reminder_days",),
                    "description": "Changing only these rechecks no vendor: the risk engine "
                    "does not read them.",
                },
            ),
        ]
        if obj is None:
            return settings_
        return [(None, {"fields": self.readonly_fields}), *settings_]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        base = None
        if request.GET.get("from", "").isdigit():
            base = RiskPolicy.objects.filter(pk=int(request.GET["from"])).first()
        base = base or RiskPolicy.objects.order_by("-version").first()
        if base is None:
            return {}
        # The note says why the new version is made, so it starts empty.
        return {name: getattr(base, name) for name in POLICY_SETTINGS if name != "note"}

    @admin.display(description="in force", boolean=True)
    def in_force(self, policy: RiskPolicy) -> bool:
        return policy.version == policy.latest_version

    @admin.display(description="recheck of every vendor")
    def recheck_progress(self, policy: RiskPolicy) -> str:
        return str(policy_recheck_progress(policy))

    def has_change_permission(self, request: HttpRequest, obj: RiskPolicy | None = None) -> bool:
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: RiskPolicy | None = None) -> bool:
        return False


class RiskFactorInline(ReadOnlyInline):
    model = RiskFactor
    fields = (
        "code",
        "severity_badge",
        "summary",
        "party",
        "effective_share",
        "effective_share_min",
        "path_names",
    )
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[RiskFactor]:
        return super().get_queryset(request).select_related("party")

    @admin.display(description="severity")
    def severity_badge(self, factor: RiskFactor) -> str:
        return badge("level", factor.severity, factor.get_severity_display())

    @admin.display(description="path (strongest chain)")
    def path_names(self, factor: RiskFactor) -> str:
        # An inline instance serves one request: the names of every path of the assessment
        # are read once, whatever the number of factors.
        if getattr(self, "_names_of", None) != factor.assessment_id:
            paths = RiskFactor.objects.filter(assessment_id=factor.assessment_id).values_list(
                "path", flat=True
            )
            self._names = _entity_names(pk for path in paths for pk in path)
            self._names_of = factor.assessment_id
        return _path_display(factor.path, self._names)


def _entity_names(ids) -> dict[int, str]:
    wanted = {pk for pk in ids if isinstance(pk, int)}
    return dict(Entity.objects.filter(pk__in=wanted).values_list("pk", "name"))


def _path_display(path: list, names: dict[int, str]) -> str:
    return " → ".join(names.get(pk, f"#{pk}") for pk in path) or EMPTY


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyMixin, RegistryAdmin):
    """A vendor's computed risk at one moment, with its explained factors (kept as history)."""

    list_display = (
        "vendor",
        "level_badge",
        "score",
        "as_of",
        "assessed_at",
        "policy_version",
        "event",
    )
    list_filter = ("level", "policy_version")
    list_select_related = ("vendor__entity", "event__subject")
    search_fields = ("vendor__entity__name",)
    date_hierarchy = "assessed_at"
    show_full_result_count = False
    fields = ("vendor", "level_badge", "score", "as_of", "assessed_at", "policy", "event")
    inlines = (RiskFactorInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RiskAssessment]:
        # The changelist applies list_select_related only to a queryset without any.
        return super().get_queryset(request).select_related(*self.list_select_related, "policy")

    @admin.display(description="level", ordering="score")
    def level_badge(self, assessment: RiskAssessment) -> str:
        return badge("level", assessment.level, assessment.get_level_display())


@admin.register(RiskFactor)
class RiskFactorAdmin(ReadOnlyMixin, RegistryAdmin):
    list_display = ("vendor", "code", "severity_badge", "party", "effective_share", "assessment")
    list_filter = ("code", "severity")
    list_select_related = ("assessment__vendor__entity", "party")
    search_fields = ("party__name", "assessment__vendor__entity__name", "summary")
    show_full_result_count = False
    fields = (
        "assessment",
        "code",
        "severity_badge",
        "summary",
        "party",
        "effective_share",
        "effective_share_min",
        "path_names",
    )

    @admin.display(description="vendor", ordering="assessment__vendor__entity__name")
    def vendor(self, factor: RiskFactor) -> str:
        return admin_link(factor.assessment.vendor)

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, factor: RiskFactor) -> str:
        return badge("level", factor.severity, factor.get_severity_display())

    @admin.display(description="path (strongest chain)")
    def path_names(self, factor: RiskFactor) -> str:
        return _path_display(factor.path, _entity_names(factor.path))
