"""Fields and parsers shared by the API's serializers."""

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class IdField(serializers.PrimaryKeyRelatedField):
    """A related object given by its integer id: a float (``1.5``, ``1e400``) is refused on the
    field instead of being truncated or overflowing."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, float | bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            return super().to_internal_value(data)
        except OverflowError:
            self.fail("does_not_exist", pk_value=data)


class RegistryModelSerializer(serializers.ModelSerializer):
    """Model serializers of the API: foreign keys are ids (:class:`IdField`)."""

    serializer_related_field = IdField


class SafeJSONParser(JSONParser):
    """JSON parser that answers 400 to a body nested too deeply to decode."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


def _messages(detail: Any, prefix: str = "") -> list[str]:
    """Every message in a (possibly nested) DRF error detail, each led by where it belongs."""
    if isinstance(detail, dict):
        return [
            message
            for key, value in detail.items()
            for message in _messages(
                value, f"{prefix}{key}: " if key != "non_field_errors" else prefix
            )
        ]
    if isinstance(detail, list):
        nested = any(isinstance(item, dict | list) for item in detail)
        return [
            message
            for index, item in enumerate(detail)
            for message in _messages(item, f"{prefix}{index}: " if nested else prefix)
        ]
    return [f"{prefix}{detail}"]


def exception_handler(exc: Exception, context: dict) -> Any:
    """DRF's handler, with every 400 in the contract's shape ``{"field": ["message", …]}``:
    a parse error goes under ``non_field_errors`` and nested errors (an item of a list field)
    are flattened into their field's list, each message saying which item it is about."""
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None or response.status_code != 400 or not isinstance(response.data, dict):
        return response
    if set(response.data) == {"detail"}:
        response.data = {"non_field_errors": [str(response.data["detail"])]}
    else:
        response.data = {field: _messages(detail) for field, detail in response.data.items()}
    return response
