"""REST API v1 viewsets (docs/api.md).

Reads go through the selectors; every write goes through the services, and a service's
validation error becomes a 400 naming the field.
"""

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models.deletion import ProtectedError, RestrictedError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, pagination, serializers, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from registry import selectors, services
from registry.api import serializers as api
from registry.api.schema import ErrorDetailSerializer, RegistryAutoSchema, documented
from registry.filtersets import (
    ContractFilterSet,
    EntityFilterSet,
    OwnershipEventFilterSet,
    OwnershipFilterSet,
    VendorFilterSet,
    WatchlistEntryFilterSet,
)
from registry.models import (
    Contract,
    Entity,
    Ownership,
    OwnershipEvent,
    RiskPolicy,
    Vendor,
    WatchlistEntry,
)
from registry.services.policy import policy_recheck_progress
from registry.services.preview import ownership_event_preview
from registry.services.risk import policy_current, vendor_recheck_request, vendor_risk_as_of


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (up to 200); ``{"count", "next", "previous", "results"}``."""

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


def _blockers(error: ProtectedError | RestrictedError) -> str:
    """``"ownerships (2), watchlist (1)"``: what still refers to the row being deleted."""
    blocking = (
        error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    )
    counts = Counter(str(obj._meta.verbose_name_plural) for obj in blocking)
    return ", ".join(f"{label} ({count})" for label, count in sorted(counts.items()))


class ServiceViewSet(viewsets.GenericViewSet):
    """Common ground of the API's viewsets: pagination, service errors as 400 and deletes
    refused while other records still point at the row as 409."""

    pagination_class = PageNumberPagination
    schema = RegistryAutoSchema()
    # Any id segment reaches the view, so that a malformed id is a JSON 404 like an unknown one.
    lookup_value_regex = "[^/]+"

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError):
            exc = ValidationError(drf_errors(exc))
        elif isinstance(exc, ProtectedError | RestrictedError):
            return Response(
                {
                    "detail": "This record cannot be deleted while other records refer to it: "
                    f"{_blockers(exc)}."
                },
                status=status.HTTP_409_CONFLICT,
            )
        return super().handle_exception(exc)


class HistoryMixin:
    """``GET {id}/history/``: the record's audit trail, also after it was deleted."""

    @documented(
        responses=api.HistoryRecordSerializer(many=True),
        summary="Audit trail of the record: who changed which fields, when (newest first).",
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        try:
            key = int(pk)
        except (TypeError, ValueError):
            raise NotFound() from None
        records = selectors.history_records(model=self.queryset.model, pk=key)
        if not records:
            raise NotFound()
        return Response(api.HistoryRecordSerializer(records, many=True).data)


class ListReadCreateMixin(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin
):
    pass


class FullResourceMixin(ListReadCreateMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin):
    pass


class EntityViewSet(HistoryMixin, FullResourceMixin, ServiceViewSet):
    """Companies, funds, governments and people that own or are owned."""

    queryset = Entity.objects.all()
    serializer_class = api.EntitySerializer
    filterset_class = EntityFilterSet

    def get_queryset(self):
        return selectors.entity_list()

    @staticmethod
    def _identifiers(data: dict) -> list[tuple[str, str]] | None:
        if "identifiers" not in data:
            return None
        return [(item["scheme"], item["value"]) for item in data.pop("identifiers")]

    def perform_create(self, serializer: api.EntitySerializer) -> None:
        data = dict(serializer.validated_data)
        identifiers = self._identifiers(data) or []
        serializer.instance = services.entity_create(
            **data, identifiers=identifiers, actor=self.request.user
        )

    def perform_update(self, serializer: api.EntitySerializer) -> None:
        data = dict(serializer.validated_data)
        identifiers = self._identifiers(data)
        serializer.instance = services.entity_update(
            entity=serializer.instance, identifiers=identifiers, actor=self.request.user, **data
        )

    def perform_destroy(self, instance: Entity) -> None:
        services.entity_delete(entity=instance, actor=self.request.user)


class WatchlistEntryViewSet(HistoryMixin, FullResourceMixin, ServiceViewSet):
    """Entities the company treats as a concern (competitors, sanctioned, state-owned …)."""

    queryset = WatchlistEntry.objects.all()
    serializer_class = api.WatchlistEntrySerializer
    filterset_class = WatchlistEntryFilterSet

    def get_queryset(self):
        return selectors.watchlist_entry_list()

    def perform_create(self, serializer: api.WatchlistEntrySerializer) -> None:
        serializer.instance = services.watchlist_entry_create(
            **serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer: api.WatchlistEntrySerializer) -> None:
        serializer.instance = services.watchlist_entry_update(
            entry=serializer.instance, **serializer.validated_data, actor=self.request.user
        )

    def perform_destroy(self, instance: WatchlistEntry) -> None:
        services.watchlist_entry_delete(entry=instance, actor=self.request.user)


OWNERSHIP_TERMS = ("share", "share_min", "share_max", "start_date", "end_date")


@extend_schema_view(
    update=documented(
        description="Change an edge's share or dates. A new share or start date writes a new "
        "edge (the earlier one ends the day before, or is replaced if it starts on or after "
        "that date), so the answer may carry a new id; changing only the end date ends the "
        "edge. Owner, owned and interest cannot change."
    ),
    partial_update=documented(
        description="As the full update, for the fields given.",
    ),
    destroy=documented(
        description="Remove an edge entered by mistake; its audit history keeps it."
    ),
)
class OwnershipViewSet(HistoryMixin, FullResourceMixin, ServiceViewSet):
    """Edges of the ownership graph (owner → owned), current and past."""

    queryset = Ownership.objects.all()
    serializer_class = api.OwnershipSerializer
    filterset_class = OwnershipFilterSet

    def get_queryset(self):
        return selectors.ownership_list()

    def perform_create(self, serializer: api.OwnershipSerializer) -> None:
        serializer.instance = services.ownership_set(
            **serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer: api.OwnershipSerializer) -> None:
        edge: Ownership = serializer.instance
        data = serializer.validated_data
        terms = {field: data.get(field, getattr(edge, field)) for field in OWNERSHIP_TERMS}
        serializer.instance = services.ownership_update(
            ownership=edge,
            **{field: data[field] for field in services.OWNERSHIP_KEY if field in data},
            **terms,
            actor=self.request.user,
        )

    def perform_destroy(self, instance: Ownership) -> None:
        services.ownership_delete(ownership=instance, actor=self.request.user)


class VendorViewSet(HistoryMixin, FullResourceMixin, ServiceViewSet):
    """Entities we buy from, with their current risk level and score."""

    queryset = Vendor.objects.all()
    serializer_class = api.VendorSerializer
    filterset_class = VendorFilterSet
    action_permissions = {
        "risk": ("registry.view_vendor", "registry.view_riskassessment"),
        "recheck": ("registry.recheck_vendor",),
    }

    def get_queryset(self):
        return selectors.vendor_list()

    # Re-read after the service: without a broker the recheck it asked for has already run,
    # so the answer shows the risk level the vendor has now.
    def perform_create(self, serializer: api.VendorSerializer) -> None:
        vendor = services.vendor_create(**serializer.validated_data, actor=self.request.user)
        serializer.instance = selectors.vendor_list().get(pk=vendor.pk)

    def perform_update(self, serializer: api.VendorSerializer) -> None:
        vendor = services.vendor_update(
            vendor=serializer.instance, **serializer.validated_data, actor=self.request.user
        )
        serializer.instance = selectors.vendor_list().get(pk=vendor.pk)

    def perform_destroy(self, instance: Vendor) -> None:
        services.vendor_delete(vendor=instance, actor=self.request.user)

    @documented(
        responses=api.VendorRiskSerializer,
        parameters=[
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATE,
                description="Compute the risk as of this date (past or future) instead of "
                "returning the latest stored assessment; nothing is stored.",
            )
        ],
        summary="The vendor's latest risk assessment with its explained factors.",
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def risk(self, request: Request, pk: str | None = None) -> Response:
        vendor = self.get_object()
        if "as_of" in request.query_params:
            query = api.RiskAsOfSerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            return Response(
                api.VendorRiskSerializer(
                    api.risk_as_of_data(
                        vendor,
                        vendor_risk_as_of(vendor=vendor, as_of=query.validated_data["as_of"]),
                    )
                ).data
            )
        assessment = selectors.vendor_latest_assessment(vendor=vendor)
        data = {
            "vendor": vendor.pk,
            "level": assessment.level if assessment else "low",
            "score": assessment.score if assessment else 0,
            "assessed_at": assessment.assessed_at if assessment else None,
            "factors": list(assessment.factors.all()) if assessment else [],
        }
        return Response(api.VendorRiskSerializer(data).data)

    @documented(
        request=None,
        responses={202: api.RecheckAcceptedSerializer},
        summary="Ask for a fresh risk assessment; it is stored even if nothing changed.",
    )
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def recheck(self, request: Request, pk: str | None = None) -> Response:
        vendor = self.get_object()
        recheck = vendor_recheck_request(vendor=vendor, actor=request.user)
        return Response(
            {"vendor": vendor.pk, "recheck_request": recheck.pk}, status=status.HTTP_202_ACCEPTED
        )


class ContractViewSet(HistoryMixin, FullResourceMixin, ServiceViewSet):
    """Contracts with vendors, with their change-of-control terms."""

    queryset = Contract.objects.all()
    serializer_class = api.ContractSerializer
    filterset_class = ContractFilterSet

    def get_queryset(self):
        return selectors.contract_list()

    def perform_create(self, serializer: api.ContractSerializer) -> None:
        serializer.instance = services.contract_create(
            **serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer: api.ContractSerializer) -> None:
        serializer.instance = services.contract_update(
            contract=serializer.instance, **serializer.validated_data, actor=self.request.user
        )

    def perform_destroy(self, instance: Contract) -> None:
        services.contract_delete(contract=instance, actor=self.request.user)


class OwnershipEventViewSet(ListReadCreateMixin, ServiceViewSet):
    """What happened: logged once, applied to the edges, then processed by the pipeline.
    Events are never changed or deleted."""

    queryset = OwnershipEvent.objects.all()
    serializer_class = api.OwnershipEventSerializer
    filterset_class = OwnershipEventFilterSet
    action_permissions = {"preview": ("registry.preview_ownershipevent",)}

    def get_queryset(self):
        return selectors.ownership_event_list()

    @documented(
        responses={201: api.OwnershipEventSerializer},
        description="Log an event. It is answered with its status: `pending`, or already "
        "`processing` or `processed` when the pipeline was quick.",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: api.OwnershipEventSerializer) -> None:
        event = services.ownership_event_log(**serializer.validated_data, actor=self.request.user)
        # With in-process tasks the event may be processed by now: answer with what is stored.
        serializer.instance = selectors.ownership_event_list().get(pk=event.pk)

    @documented(
        request=api.OwnershipEventSerializer,
        responses=api.OwnershipEventPreviewSerializer,
        summary="What logging this event would do to each affected vendor; writes nothing.",
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def preview(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preview = ownership_event_preview(**serializer.validated_data, actor=request.user)
        return Response(api.OwnershipEventPreviewSerializer(preview).data)


@extend_schema_view(
    retrieve=documented(description="The risk policy in force (its latest version)."),
    update=documented(
        description="Store a new version of the policy (Risk analyst, superuser). Every vendor "
        "is rechecked under it in the background, in batches; `recheck` shows how far that is."
    ),
    partial_update=documented(description="As the full update, for the fields given."),
)
class RiskPolicyViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, ServiceViewSet):
    """The thresholds, escalation and severities the engine grades with."""

    queryset = RiskPolicy.objects.all()
    serializer_class = api.RiskPolicySerializer
    pagination_class = None
    filter_backends = []

    def get_object(self) -> RiskPolicy:
        return policy_current()

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "recheck_progress": policy_recheck_progress}

    def perform_update(self, serializer: api.RiskPolicySerializer) -> None:
        serializer.instance = services.risk_policy_update(
            **serializer.validated_data, actor=self.request.user
        )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


@extend_schema(
    request=ObtainAuthToken.serializer_class,
    responses={
        200: TokenSerializer,
        400: OpenApiResponse(description="Wrong credentials."),
        429: OpenApiResponse(ErrorDetailSerializer, description="Too many tries; wait."),
    },
    summary="Exchange a username and password for an API token (throttled).",
)
class TokenView(ObtainAuthToken):
    """``POST {username, password}`` → ``{"token": …}``; use it as ``Authorization: Token …``."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
