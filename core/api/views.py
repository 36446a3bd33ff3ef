"""The ground every API viewset stands on: pagination, errors in the contract's shape, the
audit-trail endpoint, and the token endpoint (docs/api.md).

Reads go through the apps' selectors; every write goes through their services, and a service's
validation error becomes a 400 naming the field.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models.deletion import ProtectedError, RestrictedError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import pagination, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.schema import ErrorDetailSerializer, RegistryAutoSchema, documented
from core.api.serializers import HistoryRecordSerializer
from core.history import DeleteRefused, HistoryCollection, delete_blockers, history_records
from core.idempotency import IdempotentPostMixin
from core.paging import KeysFirstPaginator
from core.signin import SIGNIN_THROTTLES
from core.tokens import api_token_issue, default_expiry


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (up to 200); ``{"count", "next", "previous", "results"}``.
    Deep pages cost about what the first does where an index serves the list's ordering."""

    django_paginator_class = KeysFirstPaginator
    page_size_query_param = "page_size"
    max_page_size = 200


def drf_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A Django validation error in the API's shape: ``{"field": ["message", …]}``, with
    errors that belong to no field under ``non_field_errors``."""
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": error.messages}
    return {
        ("non_field_errors" if field == "__all__" else field): messages
        for field, messages in error.message_dict.items()
    }


class ServiceViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Common ground of the API's viewsets: pagination, ``Idempotency-Key`` on POST, service
    errors as 400 and deletes refused while other records still point at the row as 409."""

    pagination_class = PageNumberPagination
    schema = RegistryAutoSchema()
    # Any id segment reaches the view, so that a malformed id is a JSON 404 like an unknown one.
    lookup_value_regex = "[^/]+"

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError):
            exc = ValidationError(drf_errors(exc))
        elif isinstance(exc, DeleteRefused):
            return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
        elif isinstance(exc, ProtectedError | RestrictedError):
            return Response(
                {
                    "detail": "This record cannot be deleted while other records refer to it: "
                    f"{delete_blockers(exc)}."
                },
                status=status.HTTP_409_CONFLICT,
            )
        return super().handle_exception(exc)


class HistoryMixin:
    """``GET {id}/history/``: the record's audit trail, also after it was deleted, with the
    changes of the rows edited with it (``history_collections``)."""

    history_collections: tuple[HistoryCollection, ...] = ()

    @documented(
        responses=HistoryRecordSerializer(many=True),
        summary="Audit trail of the record: who changed which fields, when (newest first).",
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        try:
            key = int(pk)
        except (TypeError, ValueError):
            raise NotFound() from None
        records = history_records(
            model=self.queryset.model, pk=key, collections=self.history_collections
        )
        if not records:
            raise NotFound()
        return Response(HistoryRecordSerializer(records, many=True).data)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="The key: shown only this once.")
    expires_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it stops working; null: never."
    )


@extend_schema(
    request=AuthTokenSerializer,
    responses={
        200: TokenSerializer,
        400: OpenApiResponse(description="Wrong credentials."),
        429: OpenApiResponse(ErrorDetailSerializer, description="Too many tries; wait."),
    },
    summary="Exchange a username and password for a new API token (throttled).",
)
class TokenView(APIView):
    """``POST {username, password}`` → ``{"token": …, "expires_at": …}``; use it as
    ``Authorization: Token …``. Each exchange issues a new token: only its digest is stored,
    so the key cannot be shown again."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # Per client address and per account, like the sign-in pages (core.signin).
    throttle_classes = list(SIGNIN_THROTTLES)

    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, key = api_token_issue(
            user=user, name="token endpoint", expires_at=default_expiry(), actor=user
        )
        return Response(TokenSerializer({"token": key, "expires_at": token.expires_at}).data)
