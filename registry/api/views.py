"""The registry's resources of the REST API v1 (docs/api.md).

Reads go through the selectors; every write goes through the services, and a service's
validation error becomes a 400 naming the field (``core.api.views.ServiceViewSet``).
"""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.schema import documented
from core.api.views import HistoryMixin, ServiceViewSet
from core.history import HistoryCollection
from registry import selectors, services
from registry.api import serializers as api
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
    EntityIdentifier,
    Ownership,
    OwnershipEvent,
    RiskPolicy,
    Vendor,
    WatchlistEntry,
)
from registry.services.policy import policy_recheck_progress
from registry.services.preview import ownership_event_preview
from registry.services.risk import policy_current, vendor_recheck_request, vendor_risk_as_of


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
    # Identifiers are edited with the entity but kept in their own history table.
    history_collections = (
        HistoryCollection(
            field="identifiers",
            model=EntityIdentifier,
            key="entity_id",
            item=lambda record: {"scheme": record.scheme, "id": record.value},
        ),
    )

    def get_queryset(self):
        return selectors.entity_list()

    @staticmethod
    def _identifiers(data: dict) -> list[tuple[str, str]] | None:
        if "identifiers" not in data:
            return None
        return [(item["scheme"], item["value"]) for item in data.pop("identifiers")]

    @documented(
        request=api.EntitySerializer,
        responses={201: api.EntityCreatedSerializer},
        description="Create an entity. One that may duplicate entities already there (the "
        "same name in any case and the same country, or an identifier in common) is created "
        "all the same, and the answer lists them under `warnings`.",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().create(request, *args, **kwargs)
        entity = response.data.serializer.instance
        duplicates = selectors.entity_possible_duplicates(
            entity.name,
            entity.country,
            [(i.scheme, i.value) for i in entity.identifiers.all()],
            exclude_pk=entity.pk,
        )
        if duplicates:
            response.data["warnings"] = api.duplicate_warnings(entity, duplicates)
        return response

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
    action_permissions = {
        "preview": ("registry.preview_ownershipevent",),
        "progress": ("registry.view_ownershipevent",),
    }

    def get_queryset(self):
        if self.action == "progress":  # no need for the (possibly many) affected vendors
            return OwnershipEvent.objects.all()
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
        responses=api.OwnershipEventProgressSerializer,
        summary="How far the event's recheck is (a large one runs in chunks).",
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def progress(self, request: Request, pk: str | None = None) -> Response:
        progress = selectors.ownership_event_progress(event=self.get_object())
        return Response(api.OwnershipEventProgressSerializer(progress).data)

    @documented(
        request=api.OwnershipEventSerializer,
        responses=api.OwnershipEventPreviewSerializer,
        summary="What logging this event would do to each affected vendor; writes nothing.",
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def preview(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preview = ownership_event_preview(**serializer.validated_data)
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
