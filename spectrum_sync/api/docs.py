"""API docs pages whose assets come from drf-spectacular-sidecar (served as static files), never a CDN.

Equivalent to ``SWAGGER_UI_DIST = SWAGGER_UI_FAVICON_HREF = REDOC_DIST = "SIDECAR"`` in
SPECTACULAR_SETTINGS, but independent of them. ``drf_spectacular_sidecar`` must be in INSTALLED_APPS
for the static files to be found.
"""

from __future__ import annotations

from django.templatetags.static import static
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView


def sidecar(path: str) -> str:
    return static(f"drf_spectacular_sidecar/{path}")


class LocalSwaggerView(SpectacularSwaggerView):
    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return sidecar(f"swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return sidecar("swagger-ui-dist/favicon-32x32.png")


class LocalRedocView(SpectacularRedocView):
    @staticmethod
    def _redoc_standalone() -> str:
        return sidecar("redoc/bundles/redoc.standalone.js")
