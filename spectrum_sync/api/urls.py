"""Include from the root urls with: ``path("api/", include("spectrum_sync.api.urls"))``."""

from __future__ import annotations

from django.urls import path, re_path

from linking.views import DirectoryView
from spectrum_sync.api.docs import LocalRedocView, LocalSchemaView, LocalSwaggerView
from spectrum_sync.api.views import SyncRecordView, document_views, not_found

app_name = "api"

urlpatterns = [
    *(path(f"v1/{name}/", view.as_view(), name=name) for name, view in document_views().items()),
    path("v1/sync-records/<int:pk>/", SyncRecordView.as_view(), name="sync-record"),
    # The platform's existing records, to be linked (linking/views.py).
    re_path(r"^v1/directory/(?P<kind>customers|vendors|jobs)/$", DirectoryView.as_view(), name="directory"),
    path("schema/", LocalSchemaView.as_view(), name="schema"),
    path("docs/", LocalSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", LocalRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Last: anything else under /api/ is a JSON 404, never Django's HTML page.
    re_path(r"", not_found, name="not-found"),
]
