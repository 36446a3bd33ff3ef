"""REST API v1: import runs (``imports/``) and the BODS 0.4 export (``export/bods/``)."""

from pathlib import Path

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_view
from rest_framework import mixins, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.schema import documented
from core.api.views import ServiceViewSet
from imports import selectors, services
from imports.api import serializers as api
from imports.formats.bods_export import bods_json_chunks
from imports.models import ImportRun
from registry.models import Entity


@extend_schema_view(
    list=documented(description="Import runs, newest first, each with its report."),
    retrieve=documented(description="One import run and its report."),
)
class ImportRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ServiceViewSet
):
    """Runs of published ownership data brought into the registry (Risk analysts)."""

    queryset = ImportRun.objects.all()
    serializer_class = api.ImportRunSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return selectors.import_run_list()

    def get_serializer_class(self):
        return api.ImportUploadSerializer if self.action == "create" else api.ImportRunSerializer

    @documented(
        request=api.ImportUploadSerializer,
        responses={202: api.ImportRunSerializer},
        description="Upload a file to import. The run is queued and processed in the "
        "background; it is answered 202 with its status (`queued`, or already `running`, "
        "`done` or `failed`).",
    )
    def initialize_request(self, request: HttpRequest, *args, **kwargs) -> Request:
        if request.method == "POST":
            # Before anything reads the body: a file over the limit stops being stored as it
            # arrives, and the view answers 413.
            request.upload_handlers.insert(0, _LimitedUpload(request, api.max_upload_bytes()))
        return super().initialize_request(request, *args, **kwargs)

    def create(self, request: Request, *args, **kwargs) -> Response:
        if _declared_length(request) > api.max_upload_bytes() + MULTIPART_SLACK_BYTES:
            return _too_large()
        data = request.data
        if getattr(request._request, "import_upload_too_large", False):
            return _too_large()
        upload = api.ImportUploadSerializer(data=data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        file = data["file"]
        run = services.import_run_create(
            source_name=data.get("source_name") or Path(file.name or "upload").stem or "upload",
            file=file,
            file_name=file.name or "",
            format=data.get("format") or "",
            dry_run=data.get("dry_run", False),
            actor=request.user,
        )
        # With in-process tasks the run may be finished by now: answer with what is stored.
        run = selectors.import_run_list().get(pk=run.pk)
        return Response(api.ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


#: What a multipart body may hold beside the file (the other fields, boundaries, headers).
MULTIPART_SLACK_BYTES = 64 * 1024


def _declared_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_large() -> Response:
    return Response(
        {"file": [api.too_large_message()]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    )


class _LimitedUpload(FileUploadHandler):
    """Counts an upload's bytes as they arrive and stops the upload past ``limit`` (the
    rest of the body is read and dropped, not stored)."""

    def __init__(self, request: HttpRequest, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.import_upload_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class BodsExportViewSet(ServiceViewSet):
    """The registry's ownership graph as BODS 0.4 statements."""

    queryset = Entity.objects.all()
    pagination_class = None
    action_permissions = {"list": ("registry.view_entity", "registry.view_ownership")}

    @documented(
        parameters=[
            OpenApiParameter(
                "entity",
                OpenApiTypes.INT,
                description="Export this entity and everything above it (its owners, theirs …).",
            )
        ],
        responses={
            200: OpenApiResponse(
                # A list action: the schema wraps the statement object in an array.
                response={"type": "object"},
                description="BODS 0.4 statements: entities and people, then relationships.",
            )
        },
        summary="The ownership graph (or an entity and everything above it) as BODS 0.4.",
    )
    def list(self, request: Request) -> StreamingHttpResponse:
        query = api.BodsExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        entity = None
        if "entity" in query.validated_data:
            entity = Entity.objects.filter(pk=query.validated_data["entity"]).first()
            if entity is None:
                raise NotFound("No such entity.")
        return StreamingHttpResponse(
            bods_json_chunks(entity=entity), content_type="application/json"
        )
