"""Include from the root urls with: ``path("api/", include("spectrum_sync.api.urls"))``."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from spectrum_sync.api.docs import LocalRedocView, LocalSwaggerView
from spectrum_sync.api.views import VIEWS, SyncRecordView

app_name = "api"

urlpatterns = [
    *(path(f"v1/{name}/", view.as_view(), name=name) for name, view in VIEWS.items()),
    path("v1/sync-records/<int:pk>/", SyncRecordView.as_view(), name="sync-record"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", LocalSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", LocalRedocView.as_view(url_name="api:schema"), name="redoc"),
]
