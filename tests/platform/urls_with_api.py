"""The inbound API alone, for tests that post to it before the root URLs include it."""

from django.urls import include, path

urlpatterns = [path("api/", include("spectrum_sync.api.urls"))]
