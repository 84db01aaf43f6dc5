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

from spectrum_sync.api.auth import IsTenant, TenantAPIKeyAuthentication
from spectrum_sync.api.serializers import AcceptedSerializer, DryRunSerializer, SyncRecordSerializer
from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.catalogue.base import ExportType
from spectrum_sync.exports import intake, preflight
from spectrum_sync.models import Direction, SpectrumConnection, SyncRecord, Tenant

_TRUE = {"1", "true", "yes", "on"}


class TenantAPIView(APIView):
    authentication_classes = [TenantAPIKeyAuthentication]
    permission_classes = [IsTenant]

    def tenant(self, request: Request) -> Tenant:
        tenant = request.auth
        assert isinstance(tenant, Tenant)  # guaranteed by IsTenant
        return tenant


def _companies(tenant: Tenant) -> list[str]:
    if hasattr(tenant, intake.CONNECTION_COMPANY_CODES):  # loaded with the tenant by the authentication
        codes = getattr(tenant, intake.CONNECTION_COMPANY_CODES)
        return [] if codes is None else SpectrumConnection(company_codes=codes).companies
    connection = getattr(tenant, "connection", None)
    return connection.companies if connection else []


def dry_run(tenant: Tenant, declaration: ExportType, document: dict[str, Any]) -> dict[str, Any]:
    """The exact Spectrum calls and every pre-flight problem, without storing or sending anything."""
    return preflight.dry_run(tenant, declaration.name, document).as_dict()


class DocumentView(TenantAPIView):
    declaration: ExportType

    def post(self, request: Request) -> Response:
        tenant = self.tenant(request)
        serializer_class = self.declaration.serializer
        serializer = serializer_class(data=request.data, context={"companies": _companies(tenant)})
        serializer.is_valid(raise_exception=True)
        document = dict(serializer.data)  # JSON-friendly: decimals as text, dates ISO
        if str(request.query_params.get("dry_run", "")).lower() in _TRUE:
            return Response(dry_run(tenant, self.declaration, document), status=status.HTTP_200_OK)
        try:
            record, created = intake.accept(
                tenant, self.declaration.name, document["document_id"], document["version"], document
            )
        except intake.Refused as refused:
            return Response({"detail": str(refused), "code": refused.code}, status=status.HTTP_409_CONFLICT)
        url = settings.SITE_URL + reverse("api:sync-record", args=[record.pk])
        body = {"id": record.pk, "status": record.status, "status_url": url, "duplicate": not created}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


def _with_article(label: str) -> str:
    """The label with its article by sound ("an AR invoice", "a PO receipt", "a job"); initialisms stay capitals."""
    initialism = label[:2].isupper()
    vowel_sound = label[0] in ("AEFHILMNORSX" if initialism else "AEIOUaeiou")
    return f"{'an' if vowel_sound else 'a'} {label if initialism else label[0].lower() + label[1:]}"


def document_view(declaration: ExportType) -> type[DocumentView]:
    """A view class per document type, so the OpenAPI schema shows each type's own body."""
    serializer_class = declaration.serializer

    # A function of this class's own: extend_schema annotates the function object it is given.
    def post(self: DocumentView, request: Request) -> Response:
        return DocumentView.post(self, request)

    post = extend_schema(
        operation_id=f"export_{declaration.name}",
        summary=f"Export {_with_article(declaration.noun)} to Spectrum",
        description=(
            "Stores the document and queues it for Spectrum; answers 202 with the sync record's id and "
            "status URL. The same document_id and version posted again with the same body is the same "
            "record; with another body, or a version older than one already received, it is refused "
            "(409). Versions compare as numbers when both are whole numbers, otherwise as text. "
            'Amounts and quantities are decimal strings ("596.50"), never JSON numbers. With '
            "`?dry_run=true` nothing is stored or sent: the answer is the exact Spectrum payload and "
            "every pre-flight problem. A document of a type the tenant approves first is stored as "
            "`awaiting_approval` and not sent until an accountant approves it; if one rejects it, its status "
            "becomes `rejected` and `decision_comment` says why (both also reach the platform's export results)."
        ),
        request=serializer_class,
        parameters=[OpenApiParameter("dry_run", bool, description="Return the payload and problems only.")],
        responses={
            202: AcceptedSerializer,
            200: OpenApiResponse(DryRunSerializer, description="Dry run"),
            400: OpenApiResponse(description="Field errors; nothing stored"),
            401: OpenApiResponse(description="Missing or unknown API key"),
            409: OpenApiResponse(description="This version was received with another body, or a newer one was"),
            413: OpenApiResponse(description="Body over the size limit"),
            429: OpenApiResponse(description="Over the tenant's request rate; Retry-After says when to retry"),
        },
        tags=["documents"],
    )(post)
    name = "".join(part.capitalize() for part in declaration.api_name.split("-")) + "View"
    return type(name, (DocumentView,), {"declaration": declaration, "post": post})


def document_views() -> dict[str, type[DocumentView]]:
    """One view per exported type in the catalogue, by API name (the API's URLs are made from it)."""
    return {d.api_name: document_view(d) for d in EXPORTS.values()}


def api_names() -> dict[str, str]:
    """Each exported type's API name, by its object type."""
    return {d.name: d.api_name for d in EXPORTS.values()}


class SyncRecordView(TenantAPIView):
    @extend_schema(responses={200: SyncRecordSerializer}, tags=["status"], summary="A sync record's status")
    def get(self, request: Request, pk: int) -> Response:
        # Scoped by the key's tenant: another tenant's record is simply not found.
        record = get_object_or_404(
            SyncRecord.objects.filter(tenant=self.tenant(request), direction=Direction.EXPORT), pk=pk
        )
        return Response(SyncRecordSerializer(record, context={"api_names": api_names()}).data)


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
