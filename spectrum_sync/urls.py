from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Spectrum Sync"
admin.site.site_title = "Spectrum Sync"
admin.site.index_title = "Operations platform ⇄ Spectrum"


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("spectrum_sync.api.urls")),
]
