"""API docs pages whose assets come from drf-spectacular-sidecar (served as static files), never a CDN.

Equivalent to ``SWAGGER_UI_DIST = SWAGGER_UI_FAVICON_HREF = REDOC_DIST = "SIDECAR"`` in
SPECTACULAR_SETTINGS, but independent of them. ``drf_spectacular_sidecar`` must be in INSTALLED_APPS
for the static files to be found.
"""

from __future__ import annotations

from typing import Any

from django.templatetags.static import static
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def sidecar(path: str) -> str:
    return static(f"drf_spectacular_sidecar/{path}")


class JSONErrors(APIView):
    """A page that is YAML or HTML still answers its errors (405, 401...) in JSON, like the rest of
    the API; without this DRF renders the error with the page's own renderer.

    The pages are public and read no credentials at all: answering a login sent as HTTP Basic
    with 200 or 403 would let anyone test admin passwords here.
    """

    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [AllowAny]

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        if getattr(response, "exception", False):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class LocalSchemaView(JSONErrors, SpectacularAPIView):
    pass


class LocalSwaggerView(JSONErrors, SpectacularSwaggerSplitView):
    """Swagger UI whose start-up script is a request of its own (``?script``), not inline: the
    Content-Security-Policy allows scripts from this origin only."""

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return sidecar(f"swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return sidecar("swagger-ui-dist/favicon-32x32.png")


class LocalRedocView(JSONErrors, SpectacularRedocView):
    @staticmethod
    def _redoc_standalone() -> str:
        return sidecar("redoc/bundles/redoc.standalone.js")
