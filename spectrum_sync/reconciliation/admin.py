"""The reconciliation screen: choose tenant, company and month; see both sides, the chart, the differences.

Registered on the admin site as the list of :class:`ReconciliationReport` (loaded from
``spectrum_sync/admin.py``), so it sits on the admin index with the other screens. Managers and
accountants view reports (``view_reconciliationreport``) and may run one now (``run_reconciliation``,
declared in roles.py; it only reads). Scoped to the tenants the user serves.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from spectrum_sync.adminsite.scoped_admin import TenantScopedAdmin
from spectrum_sync.adminsite.scoping import tenants_for
from spectrum_sync.models import ReconciliationReport, Tenant
from spectrum_sync.reconciliation import chart, export, report
from spectrum_sync.reconciliation.period import BadMonth, month_label, month_text, parse_month, previous_month

RUN_PERMISSION = "spectrum_sync.run_reconciliation"
HISTORY_LENGTH = 12


def default_month(tenant: Tenant | None) -> str:
    today = timezone.localdate(timezone=_zone(tenant)) if tenant else timezone.localdate()
    return month_text(previous_month(today)[0])


def _zone(tenant: Tenant) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(tenant.timezone or "UTC")


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(TenantScopedAdmin):
    """One page instead of a list: the chooser, the chosen report, the earlier ones."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reports are computed ("Run now"), never typed in

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("run/", view(self.run_view), name="spectrum_sync_reconciliation_run"),
            path("<int:pk>/report.csv", view(self.csv_view), name="spectrum_sync_reconciliation_csv"),
            path("<int:pk>/change/", view(self.show_view), name="spectrum_sync_reconciliationreport_change"),
            path("", view(self.page_view), name="spectrum_sync_reconciliationreport_changelist"),
        ]

    # --- The page ---

    def _tenant(self, request: HttpRequest, raw: str | None) -> Tenant | None:
        tenants = tenants_for(request.user).order_by("name")
        if raw and raw.isdigit():
            return tenants.filter(pk=int(raw)).first()
        return tenants.first()

    def _report(self, request: HttpRequest, pk: int) -> ReconciliationReport:
        found = self.get_queryset(request).select_related("tenant").filter(pk=pk).first()
        if found is None:
            raise Http404("No such reconciliation report.")
        return found

    def page_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.GET.get("report", "").isdigit():
            chosen = self._report(request, int(request.GET["report"]))
            return self._render(request, chosen.tenant, chosen.company_code, month_text(chosen.period_start), chosen)
        tenant = self._tenant(request, request.GET.get("tenant"))
        companies = report.companies_of(tenant) if tenant else []
        company = (request.GET.get("company") or "").strip().upper()
        company = company if company in companies else (companies[0] if companies else "")
        month = request.GET.get("month") or default_month(tenant)
        shown: ReconciliationReport | None = None
        try:
            first, _ = parse_month(month)
        except BadMonth as exc:
            messages.error(request, str(exc))
            month = default_month(tenant)
            first, _ = parse_month(month)
        if tenant and company:
            shown = (
                self.get_queryset(request)
                .filter(tenant=tenant, company_code=company, period_start=first)
                .order_by("-created_at")
                .first()
            )
        return self._render(request, tenant, company, month, shown)

    def show_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:spectrum_sync_reconciliationreport_changelist") + f"?report={pk}")

    def _render(
        self, request: HttpRequest, tenant: Tenant | None, company: str, month: str, shown: ReconciliationReport | None
    ) -> HttpResponse:
        history = (
            self.get_queryset(request)
            .filter(tenant=tenant, company_code=company)
            .order_by("-period_start", "-created_at")
            if tenant
            else self.get_queryset(request).none()
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Reconciliation",
            "opts": self.opts,
            "tenants": tenants_for(request.user).order_by("name"),
            "tenant": tenant,
            "companies": report.companies_of(tenant) if tenant else [],
            "company": company,
            "month": month,
            "month_label": month_label(parse_month(month)[0]),
            "report": shown,
            "chart": chart.render_svg(shown.summary) if shown else "",
            "colors": {"ours": chart.OURS_COLOR, "spectrum": chart.SPECTRUM_COLOR},
            "history": list(history[:HISTORY_LENGTH]),
            "can_run": request.user.has_perm(RUN_PERMISSION),
        }
        return TemplateResponse(request, "admin/reconciliation.html", context)

    # --- Run now, CSV ---

    def run_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        tenant = self._tenant(request, request.POST.get("tenant"))
        if tenant is None:
            raise PermissionDenied
        company = (request.POST.get("company") or "").strip().upper()
        query = {"tenant": tenant.pk, "company": company, "month": request.POST.get("month", "")}
        back = reverse("admin:spectrum_sync_reconciliationreport_changelist")
        if company not in report.companies_of(tenant):
            messages.error(request, f"{company or 'No company'} is not one of {tenant}'s Spectrum companies.")
            return HttpResponseRedirect(f"{back}?{urlencode(query)}")
        try:
            first, last = parse_month(request.POST.get("month", ""))
        except BadMonth as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(f"{back}?{urlencode(query)}")
        made = report.run(tenant, company, first, last, user=request.user)
        if made.error:
            messages.warning(request, made.error)
        else:
            counts = made.summary.get("counts", {})
            messages.success(request, f"Reconciled {month_label(first)}: {counts.get('differences', 0)} difference(s).")
        return HttpResponseRedirect(f"{back}?report={made.pk}")

    def csv_view(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        chosen = self._report(request, pk)
        response = StreamingHttpResponse(export.csv_text(chosen), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{export.filename(chosen)}"'
        return response
