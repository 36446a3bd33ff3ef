"""OpenAPI description of the API's error answers, so that an integration written from the
schema alone knows every status code it can get back."""

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from core.idempotency import HEADER, KEY_MAX_LENGTH

F = TypeVar("F", bound=Callable[..., Any])


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong.")


BAD_INPUT = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description='Bad input: `{"field": ["message", …]}`, with errors that belong to no field '
    "under `non_field_errors` (and a filter's name for a filter value it cannot read).",
)
ERRORS = {
    400: BAD_INPUT,
    401: OpenApiResponse(ErrorDetailSerializer, description="No or an invalid token."),
    403: OpenApiResponse(ErrorDetailSerializer, description="The role lacks this right."),
    404: OpenApiResponse(ErrorDetailSerializer, description="No such record or page."),
}
CONFLICT = {
    409: OpenApiResponse(
        ErrorDetailSerializer, description="Other records still refer to this one."
    )
}

IDEMPOTENCY_ERRORS = {
    409: OpenApiResponse(
        ErrorDetailSerializer,
        description=f"A request with the same `{HEADER}` is still in progress.",
    ),
    422: OpenApiResponse(
        ErrorDetailSerializer,
        description=f"The `{HEADER}` was already used with a different request.",
    ),
}
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID, say) of up to "
    f"{KEY_MAX_LENGTH} characters. A retry with the same key and the same request within "
    "24 hours gets the first answer again (with `Idempotent-Replayed: true`) instead of "
    "running twice.",
)


class RegistryAutoSchema(AutoSchema):
    """drf-spectacular's schema with the error answers every operation may give, and the
    ``Idempotency-Key`` header on every POST."""

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_bodies(self, direction: str = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        errors = {
            **ERRORS,
            **(CONFLICT if self.method == "DELETE" else {}),
            **(IDEMPOTENCY_ERRORS if self.method == "POST" else {}),
        }
        for code, response in errors.items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    response, str(code), direction=direction
                )
        return responses


def documented(**kwargs: Any) -> Callable[[F], F]:
    """``extend_schema`` for a view method that keeps the error answers of
    :class:`RegistryAutoSchema` (plain ``extend_schema`` starts from the default schema)."""

    def decorator(view_method: F) -> F:
        view_method.schema = RegistryAutoSchema
        return extend_schema(**kwargs)(view_method)

    return decorator
