"""Serializers of the alerts resource of the REST API v1."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from alerts.models import Alert
from core.api.fields import IdField, RegistryModelSerializer


class AlertSerializer(RegistryModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id",
            "vendor",
            "contract",
            "event",
            "import_run",
            "kind",
            "severity",
            "title",
            "status",
            "due_date",
            "created_at",
        ]
        read_only_fields = fields


class AlertNoteSerializer(serializers.Serializer):
    """What was done (resolve) or why it is no concern (dismiss)."""

    note = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=10000,
        help_text="Required, not blank: what was done, or why the alert is not a concern.",
    )


class AlertAssignSerializer(serializers.Serializer):
    """Who should handle the alert; ``null`` for nobody."""

    assignee = IdField(
        queryset=get_user_model().objects.all(), allow_null=True, help_text="User id."
    )
