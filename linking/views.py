"""``POST /api/v1/directory/<customers|vendors|jobs>/``: the platform's existing records, to be linked."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from linking import services
from linking.models import API_NAMES
from linking.serializers import DirectoryAnswerSerializer, DirectorySerializer
from spectrum_sync.api.views import TenantAPIView


class DirectoryView(TenantAPIView):
    @extend_schema(
        operation_id="directory_receive",
        summary="Send the platform's existing records to be linked",
        description=(
            "The platform's own customers, vendors (companies) or jobs (projects), so that records "
            "already in Spectrum are linked instead of created twice. Each record is matched against "
            "the Spectrum records imported so far (same code; same name with the same address or "
            "phone; same tax id) and every likely match is proposed with a score. Nothing changes "
            "on either side until implementation staff confirm a link; the platform then receives an "
            "upsert carrying its platform_id and the Spectrum key. Sending a platform_id again "
            'replaces what was sent before. The body is {"records": [...]} or the list itself.'
        ),
        request=DirectorySerializer,
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(API_NAMES)),
        ],
        responses={
            200: DirectoryAnswerSerializer,
            400: OpenApiResponse(description="Field errors; nothing stored"),
            401: OpenApiResponse(description="Missing or unknown API key"),
            413: OpenApiResponse(description="Body over the size limit"),
            429: OpenApiResponse(description="Over the tenant's request rate; Retry-After says when to retry"),
        },
        tags=["directory"],
    )
    def post(self, request: Request, kind: str) -> Response:
        # A bare JSON list of records is the same as {"records": [...]}.
        body = {"records": request.data} if isinstance(request.data, list) else request.data
        serializer = DirectorySerializer(data=body)
        serializer.is_valid(raise_exception=True)
        received = services.receive_directory(
            self.tenant(request), API_NAMES[kind], serializer.validated_data["records"]
        )
        return Response({"received": received.stored, "proposed": received.proposed}, status=status.HTTP_200_OK)
