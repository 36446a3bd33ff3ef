"""Serializers every resource shares: its audit trail (``GET {id}/history/``)."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers


class HistoryValueField(serializers.JSONField):
    """A field's value as the resource itself shows it (decimals as strings, dates ISO 8601)."""

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        return super().to_representation(value)


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = HistoryValueField(allow_null=True)
    new = HistoryValueField(allow_null=True)


class HistoryRecordSerializer(serializers.Serializer):
    """One change of a record in the audit trail: who, when, and which fields changed."""

    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = serializers.ChoiceField(
        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")]
    )
    history_user = serializers.CharField(
        allow_null=True, help_text="Username of who made the change."
    )
    request = serializers.CharField(
        allow_null=True,
        help_text="The request the change came from (``METHOD /path``); null for changes made "
        "by background tasks or commands.",
    )
    changes = HistoryChangeSerializer(many=True)
