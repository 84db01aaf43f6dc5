"""Approval: the rules on the tenant page, and the accountants' approval queue.

Implementation staff switch approval on per export type in the tenant page's "Approval rules"
inline (:class:`ApprovalRuleInline`, also listed on its own as :class:`ApprovalRuleAdmin`). The
queue (``admin:spectrum_sync_approval_queue``) lists the exports that wait, filtered by tenant,
type and day received; beside each, the Spectrum document it will become and its pre-flight (the
dry run of spectrum_sync/exports/preflight.py). Accountants (``approve_syncrecord``) approve one or
many, or reject one with a comment; managers see the queue and decide nothing. The state changes
are spectrum_sync/exports/approval.py's; every decision is also written to the admin log.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from spectrum_sync.adminsite.explanations import VERDICTS
from spectrum_sync.adminsite.history import TenantFilter, tenant_choices
from spectrum_sync.adminsite.scoped_admin import TenantScopedAdmin
from spectrum_sync.adminsite.scoping import scope
from spectrum_sync.catalogue import EXPORTS, export_choices
from spectrum_sync.exports import approval, preflight
from spectrum_sync.models import ApprovalRule, SyncRecord
from spectrum_sync.plain_words import explain

logger = logging.getLogger(__name__)

QUEUE_SHOWN = 50  # rows on one page (each runs a dry run); the count says how many wait
FIELDS_SHOWN = 10  # Spectrum fields shown per call; the whole call is one click away
# What the platform document is, in the few words an accountant recognises it by.
DOCUMENT_FIELDS = (
    ("invoice_number", "Invoice"),
    ("job_number", "Job"),
    ("po_number", "PO"),
    ("commitment_number", "Commitment"),
    ("change_order_number", "Change order"),
    ("customer_code", "Customer"),
    ("vendor_code", "Vendor"),
    ("invoice_date", "Date"),
    ("description", "Description"),
)


def export_type_choices() -> list[tuple[str, str]]:
    return export_choices()


def queue_url(**filters: Any) -> str:
    query = urlencode({k: v for k, v in filters.items() if v})
    return reverse("admin:spectrum_sync_approval_queue") + (f"?{query}" if query else "")


class ApprovalRuleInline(admin.TabularInline):
    """On the tenant page: which export types wait for an accountant's approval (none by default)."""

    model = ApprovalRule
    extra = 0
    fields = ("object_type", "required", "updated_at")
    readonly_fields = ("updated_at",)
    verbose_name = "approval rule"
    verbose_name_plural = "Approval before export (documents of these types wait for an accountant)"

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "object_type":
            kwargs["choices"] = export_type_choices()
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(TenantScopedAdmin):
    """Every tenant's approval rules in one list; the approval queue hangs off it."""

    list_display = ("tenant", "object_type", "required", "updated_at")
    list_filter = (TenantFilter, "object_type", "required")
    list_select_related = ("tenant",)

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "object_type":
            kwargs["choices"] = export_type_choices()
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [path("queue/", view(self.queue_view), name="spectrum_sync_approval_queue"), *super().get_urls()]

    # --- the queue ---------------------------------------------------------------------------

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("spectrum_sync.view_syncrecord"):
            raise PermissionDenied
        filters = QueueFilters.from_query(request.GET)
        if request.method == "POST":
            return self._decide(request, filters)
        records = filters.apply(approval.waiting(scope(SyncRecord.objects.all(), request.user)))
        shown = list(records.select_related("tenant")[:QUEUE_SHOWN])
        context = {
            **self.admin_site.each_context(request),
            "title": "Approval queue",
            "opts": self.opts,
            "rows": [queue_row(record) for record in shown],
            "waiting_count": records.count(),
            "shown_limit": QUEUE_SHOWN,
            "may_approve": approval.may_approve(request.user),
            "filters": filters,
            "tenant_choices": tenant_choices(request.user),
            "type_choices": export_type_choices(),
        }
        return TemplateResponse(request, "admin/spectrum_sync/approvals/queue.html", context)

    def _decide(self, request: HttpRequest, filters: QueueFilters) -> HttpResponse:
        if not approval.may_approve(request.user):
            raise PermissionDenied
        waiting = approval.waiting(scope(SyncRecord.objects.all(), request.user))
        if "reject" in request.POST:
            self._reject(request, waiting, request.POST["reject"])
        else:
            chosen = [request.POST["approve_one"]] if "approve_one" in request.POST else request.POST.getlist("ids")
            self._approve(request, waiting, chosen)
        return HttpResponseRedirect(queue_url(**filters.as_query()))

    def _approve(self, request: HttpRequest, waiting: QuerySet[SyncRecord], chosen: list[str]) -> None:
        records = list(waiting.filter(pk__in=[int(pk) for pk in chosen if pk.isdigit()]))
        if not records:
            messages.warning(request, "Tick the documents to approve first (or they were decided meanwhile).")
            return
        approved = [record for record in records if approval.approve(record, request.user)]
        for record in approved:
            self.log_change(request, record, "Approved for export to Spectrum")
        messages.success(
            request, f"Approved {len(approved)} document(s): they go to Spectrum now, as any other export."
        )
        if len(approved) < len(records):
            messages.warning(request, f"{len(records) - len(approved)} no longer waited: decided by someone else.")

    def _reject(self, request: HttpRequest, waiting: QuerySet[SyncRecord], chosen: str) -> None:
        record = waiting.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        if record is None:
            messages.warning(request, "That document no longer waits for approval: someone decided meanwhile.")
            return
        comment = request.POST.get(f"comment-{record.pk}", "")
        try:
            rejected = approval.reject(record, request.user, comment)
        except approval.CommentRequired as missing:
            messages.error(request, f"{record}: not rejected. {missing}")
            return
        if rejected:
            self.log_change(request, record, f"Rejected: {comment.strip()}")
            messages.success(request, f"Rejected {record}; the platform is told why: “{comment.strip()}”.")
        else:
            messages.warning(request, f"{record} no longer waits for approval: someone decided meanwhile.")


class QueueFilters:
    """The queue's filters, read from the query string (anything unreadable is simply no filter)."""

    def __init__(
        self, tenant: str = "", object_type: str = "", since: date | None = None, until: date | None = None
    ) -> None:
        self.tenant = tenant
        self.object_type = object_type
        self.since = since
        self.until = until

    @classmethod
    def from_query(cls, query: Any) -> QueueFilters:
        tenant = str(query.get("tenant", ""))
        object_type = str(query.get("type", ""))
        return cls(
            tenant if tenant.isdigit() else "",
            object_type if object_type in EXPORTS else "",
            _day(query.get("since")),
            _day(query.get("until")),
        )

    def apply(self, records: QuerySet[SyncRecord]) -> QuerySet[SyncRecord]:
        if self.tenant:
            records = records.filter(tenant_id=int(self.tenant))
        if self.object_type:
            records = records.filter(object_type=self.object_type)
        if self.since:
            records = records.filter(created_at__date__gte=self.since)
        if self.until:
            records = records.filter(created_at__date__lte=self.until)
        return records

    def as_query(self) -> dict[str, str]:
        return {
            "tenant": self.tenant,
            "type": self.object_type,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


# --- one row: the platform's document, the Spectrum document it becomes, its pre-flight ----------


def queue_row(record: SyncRecord) -> dict[str, Any]:
    return {"record": record, "document": document_lines(record), **preflight_of(record)}


def document_lines(record: SyncRecord) -> list[tuple[str, str]]:
    """The platform document in a few labelled values, with its line count and amount."""
    payload = record.payload or {}
    found = [(label, str(payload[key])) for key, label in DOCUMENT_FIELDS if payload.get(key)]
    lines = payload.get("lines")
    if isinstance(lines, list) and lines:
        amounts = [str(line.get("amount")) for line in lines if isinstance(line, dict) and line.get("amount")]
        found.append(("Lines", f"{len(lines)}" + (f", amounts {', '.join(amounts[:6])}" if amounts else "")))
    return found


def preflight_of(record: SyncRecord) -> dict[str, Any]:
    """The dry run beside the document: verdict, problems in plain words, the calls Spectrum gets."""
    try:
        result = preflight.dry_run(record.tenant, record.object_type, record.payload)
    except Exception as exc:  # one document that cannot be checked must not hide the whole queue
        logger.warning("dry run of record %s failed", record.pk, exc_info=True)
        return {"verdict": "fail", "verdict_text": f"The pre-flight could not run: {exc}", "problems": [], "calls": []}
    problems = []
    for problem in result.problems:
        plain = explain(problem["code"], problem["message"], problem["column"])
        problems.append({**problem, "plain": plain.plain if plain else ""})
    return {
        "verdict": result.verdict,
        "verdict_text": VERDICTS[result.verdict],
        "problems": problems,
        "totals": result.totals,
        "calls": [call_summary(call) for call in result.calls],
    }


def call_summary(call: dict[str, Any]) -> dict[str, Any]:
    """One Spectrum call as "service" and its first filled-in fields; the full call as JSON."""
    fields = call.get("fields") or {}
    scalars = [
        (name, str(value))
        for name, value in fields.items()
        if value not in ("", None) and not isinstance(value, (list, dict)) and not name.startswith("Authorization")
    ]
    nested = {name: len(value) for name, value in fields.items() if isinstance(value, list)}
    return {
        "service": call.get("service", ""),
        "rest": bool(call.get("rest")),
        "fields": scalars[:FIELDS_SHOWN],
        "more": max(len(scalars) - FIELDS_SHOWN, 0),
        "nested": sorted(nested.items()),
        "json": json.dumps(call, indent=2, sort_keys=True, default=str),
    }
