"""Inbound API views: post a document (or dry-run it), read a sync record's status."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve, reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.spectrum.errors import SpectrumError
from spectrum_sync import connections
from spectrum_sync.api.auth import IsTenant, TenantAPIKeyAuthentication
from spectrum_sync.api.serializers import (
    SERIALIZERS,
    AcceptedSerializer,
    DryRunSerializer,
    SyncRecordSerializer,
)
from spectrum_sync.exports import intake, preflight, writer
from spectrum_sync.exports.documents import DOCUMENT_TYPES, DocumentType
from spectrum_sync.models import Direction, SyncRecord, Tenant

_TRUE = {"1", "true", "yes", "on"}


class TenantAPIView(APIView):
    authentication_classes = [TenantAPIKeyAuthentication]
    permission_classes = [IsTenant]

    def tenant(self, request: Request) -> Tenant:
        tenant = request.auth
        assert isinstance(tenant, Tenant)  # guaranteed by IsTenant
        return tenant


def _companies(tenant: Tenant) -> list[str]:
    connection = getattr(tenant, "connection", None)
    return connection.companies if connection else []


def dry_run(tenant: Tenant, declaration: DocumentType, document: dict[str, Any]) -> dict[str, Any]:
    """The exact Spectrum calls and every pre-flight problem, without storing or sending anything."""
    check = preflight.run(tenant, declaration.object_type, document)
    problems = check.problems_as_dicts()
    try:
        client = connections.spectrum_client(tenant)
    except (ImportError, SpectrumError):
        client = None  # no client to validate with: the mapper's own checks still apply
    if client is not None:
        try:
            for msg in writer.client_side_problems(client, check.mapped.calls):
                problems.append({"code": msg.code, "message": msg.message, "column": msg.column, "waits_for": None})
        finally:
            client.close()
    verdict = check.verdict
    if verdict == "send" and any(p["code"] in ("I", "M") and not p["waits_for"] for p in problems):
        verdict = "fail"
    return {"verdict": verdict, "calls": [c.as_dict() for c in check.mapped.calls], "problems": problems}


class DocumentView(TenantAPIView):
    declaration: DocumentType

    def post(self, request: Request) -> Response:
        tenant = self.tenant(request)
        serializer_class = SERIALIZERS[self.declaration.object_type]
        serializer = serializer_class(data=request.data, context={"companies": _companies(tenant)})
        serializer.is_valid(raise_exception=True)
        document = dict(serializer.data)  # JSON-friendly: decimals as text, dates ISO
        if str(request.query_params.get("dry_run", "")).lower() in _TRUE:
            return Response(dry_run(tenant, self.declaration, document), status=status.HTTP_200_OK)
        record, created = intake.accept(
            tenant, self.declaration.object_type, document["document_id"], document["version"], document
        )
        url = settings.SITE_URL + reverse("api:sync-record", args=[record.pk])
        body = {"id": record.pk, "status": record.status, "status_url": url, "duplicate": not created}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


def document_view(declaration: DocumentType) -> type[DocumentView]:
    """A view class per document type, so the OpenAPI schema shows each type's own body."""
    serializer_class = SERIALIZERS[declaration.object_type]

    # A function of this class's own: extend_schema annotates the function object it is given.
    def post(self: DocumentView, request: Request) -> Response:
        return DocumentView.post(self, request)

    post = extend_schema(
        operation_id=f"export_{declaration.object_type}",
        summary=f"Export a {declaration.label.lower()} to Spectrum",
        description=(
            "Stores the document and queues it for Spectrum; answers 202 with the sync record's id and "
            "status URL. The same document_id and version posted again is the same record. With "
            "`?dry_run=true` nothing is stored or sent: the answer is the exact Spectrum payload and "
            "every pre-flight problem."
        ),
        request=serializer_class,
        parameters=[OpenApiParameter("dry_run", bool, description="Return the payload and problems only.")],
        responses={
            202: AcceptedSerializer,
            200: OpenApiResponse(DryRunSerializer, description="Dry run"),
            400: OpenApiResponse(description="Field errors; nothing stored"),
            401: OpenApiResponse(description="Missing or unknown API key"),
        },
        tags=["documents"],
    )(post)
    name = "".join(part.capitalize() for part in declaration.api_name.split("-")) + "View"
    return type(name, (DocumentView,), {"declaration": declaration, "post": post})


VIEWS = {d.api_name: document_view(d) for d in DOCUMENT_TYPES.values()}


class SyncRecordView(TenantAPIView):
    @extend_schema(responses={200: SyncRecordSerializer}, tags=["status"], summary="A sync record's status")
    def get(self, request: Request, pk: int) -> Response:
        # Scoped by the key's tenant: another tenant's record is simply not found.
        record = get_object_or_404(
            SyncRecord.objects.filter(tenant=self.tenant(request), direction=Direction.EXPORT), pk=pk
        )
        return Response(SyncRecordSerializer(record).data)


@csrf_exempt  # nothing is done here; a POST to a mistyped path must get this answer, not a CSRF page
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under /api/ that no view takes, with any method: DRF's JSON 404, not Django's HTML.

    It stands last in the API's URLs, so it also takes a path that lacks only its trailing slash
    (Django's APPEND_SLASH cannot redirect a POST without losing its body): the answer says so.
    """
    body = {"detail": "Not found."}
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "not-found":
            body["hint"] = f"Did you mean {request.path}/ (with the trailing slash)?"
    return JsonResponse(body, status=404)
