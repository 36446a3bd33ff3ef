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
