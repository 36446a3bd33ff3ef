"""The alerts resource of the REST API v1: read, and move an alert through its lifecycle."""

from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import services
from alerts.api.serializers import AlertAssignSerializer, AlertNoteSerializer, AlertSerializer
from alerts.filtersets import AlertFilterSet
from alerts.models import Alert
from alerts.selectors import alert_list
from core.api.schema import documented
from core.api.views import HistoryMixin, ServiceViewSet

LIFECYCLE = {"filterset_class": None, "pagination_class": None}


class AlertViewSet(HistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """Alerts raised by rechecks. Procurement acknowledges and resolves them; risk analysts
    also dismiss and assign them."""

    queryset = Alert.objects.all()
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    action_permissions = {
        "acknowledge": ("alerts.acknowledge_alert",),
        "resolve": ("alerts.resolve_alert",),
        "dismiss": ("alerts.dismiss_alert",),
        "assign": ("alerts.assign_alert",),
    }

    def get_queryset(self):
        return alert_list()

    def _answer(self, alert: Alert) -> Response:
        return Response(AlertSerializer(alert, context=self.get_serializer_context()).data)

    @documented(request=None, responses=AlertSerializer, summary="Someone is on it.")
    @action(detail=True, methods=["post"], **LIFECYCLE)
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        alert = services.alert_acknowledge(alert=self.get_object(), actor=request.user)
        return self._answer(alert)

    @documented(
        request=AlertNoteSerializer, responses=AlertSerializer, summary="Done, with a note."
    )
    @action(detail=True, methods=["post"], **LIFECYCLE)
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        body = AlertNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.alert_resolve(
                alert=alert, note=body.validated_data["note"], actor=request.user
            )
        )

    @documented(
        request=AlertNoteSerializer, responses=AlertSerializer, summary="Not a real concern."
    )
    @action(detail=True, methods=["post"], **LIFECYCLE)
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        body = AlertNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.alert_dismiss(
                alert=alert, note=body.validated_data["note"], actor=request.user
            )
        )

    @documented(
        request=AlertAssignSerializer, responses=AlertSerializer, summary="Give it to someone."
    )
    @action(detail=True, methods=["post"], **LIFECYCLE)
    def assign(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        body = AlertAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.alert_assign(
                alert=alert, assignee=body.validated_data["assignee"], actor=request.user
            )
        )
