"""Pre-flight: map a document against what Spectrum is known to hold, before anything is sent.

The mapper is pure; this module feeds it. It runs the mapper once with nothing known to learn
which master records the document refers to (each comes back as a missing parent), reads exactly
those from the mirror (and from our own succeeded exports, which Spectrum has even before the next
poll mirrors them), then maps again for real.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.utils import timezone

from connectors.spectrum.errors import SpectrumError
from linking.lookup import linked_spectrum_key
from mappings.completeness import missing_in
from mappings.mappers import Mapped, Problem, company_of, spectrum_date
from mappings.models import ProcessingDateRange, SpectrumModule
from mappings.rules import Known, MappingNeed, MappingRules, load_rules, ranges_for, rules_for
from spectrum_sync import connections
from spectrum_sync.catalogue import EXPORTS
from spectrum_sync.catalogue.base import DatedColumns
from spectrum_sync.exports import writer
from spectrum_sync.models import Direction, MirrorRecord, SyncRecord, SyncStatus, Tenant


@dataclass
class Preflight:
    mapped: Mapped
    config_problems: list[str] = field(default_factory=list)
    # Spectrum will hold another total than the platform's (its tax rule): the words, or ''.
    total_difference: str = ""
    # Dates outside the open processing range recorded here: the document waits for the period to
    # open (exports/periods.py), it does not fail.
    period_problems: list[Problem] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """What the engine would do: "send", "hold" (waits for a parent, mappings or a period) or "fail"."""
        if self.mapped.blocking:
            return "fail"
        if self.config_problems or self.mapped.missing_parents or self.period_problems:
            return "hold"
        return "send"

    def problems_as_dicts(self) -> list[dict[str, Any]]:
        # A missing mapping row is a configuration problem: it is listed once, among those.
        out: list[dict[str, Any]] = [
            {"code": p.code, "message": p.message, "column": p.column, "waits_for": _waits_for(p)}
            for p in self.mapped.problems
            if p.need is None
        ]
        out.extend({"code": "CFG", "message": text, "column": "", "waits_for": None} for text in self.config_problems)
        out.extend(
            {"code": "PERIOD", "message": p.message, "column": p.column, "waits_for": None}
            for p in self.period_problems
        )
        return out


def _waits_for(problem: Problem) -> dict[str, str] | None:
    return {"object_type": problem.parent[0], "key": problem.parent[1]} if problem.parent else None


def default_company(tenant: Tenant) -> str:
    connection = getattr(tenant, "connection", None)
    return connection.default_company if connection else ""


def known_records(tenant: Tenant, wanted: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``wanted`` exist: mirrored from Spectrum (not deleted) or exported by us successfully."""
    if not wanted:
        return set()
    query = Q()
    for object_type, key in wanted:
        query |= Q(object_type=object_type, key=key)
    found = set(
        MirrorRecord.objects.filter(query, tenant=tenant, deleted_at__isnull=True).values_list("object_type", "key")
    )
    ours = Q()
    for object_type, key in wanted - found:
        ours |= Q(object_type=object_type, spectrum_key=key)
    if ours:
        found |= set(
            SyncRecord.objects.filter(
                ours, tenant=tenant, direction=Direction.EXPORT, status__in=[SyncStatus.SUCCEEDED, SyncStatus.BYPASSED]
            ).values_list("object_type", "spectrum_key")
        )
    return found


def build_known(tenant: Tenant, object_type: str, document: Mapping[str, Any], rules: MappingRules) -> Known:
    declaration = EXPORTS[object_type]
    company = company_of(document, default_company(tenant))
    probe = declaration.mapper(document, rules, Known(), company)
    wanted = {p.parent for p in probe.missing_parents if p.parent}
    own = declaration.own_key(document, company) if declaration.own_key else None
    if own is not None:
        wanted.add(own)
    existing = known_records(tenant, wanted)
    job_tax, rates = declaration.tax_facts(tenant, company, document, rules) if declaration.tax_facts else ({}, {})
    # A platform job linked to a job Spectrum has (linking/) is that job: updated, never added again.
    platform_id = str(document.get("document_id") or "")
    linked = own is not None and own not in existing and bool(linked_spectrum_key(tenant.pk, object_type, platform_id))
    exists = own is not None and (own in existing or linked)
    return Known(
        existing=frozenset(existing),
        job_tax=job_tax,
        tax_rates=rates,
        today=timezone.localdate(),
        job_exists_in_spectrum=exists,
        phases=known_phases(tenant, own[1]) if exists and own is not None and own[0] == "job" else {},
    )


def known_phases(tenant: Tenant, job_key: str) -> dict[str, dict[str, Any]]:
    """The mirrored phases of a job Spectrum has (one query), by their key in upper case: the job
    mapper sends AddPhase only for the phases that differ (docs/spectrum.md#addphase)."""
    rows = MirrorRecord.objects.filter(
        tenant=tenant, object_type="phase", key__startswith=f"{job_key}|", deleted_at__isnull=True
    ).values_list("key", "data")
    return {key.upper(): data for key, data in rows if isinstance(data, dict)}


def configuration_problems(rules: MappingRules, object_type: str, company: str, mapped: Mapped) -> list[str]:
    """What the tenant must set up before this document can go: company, mapping rows, UDFs."""
    config = [] if company else ["Spectrum connection: no company code is set"]
    return config + [need.describe() for need in mapped.mapping_needs] + missing_in(rules, object_type)


def run(tenant: Tenant, object_type: str, document: Mapping[str, Any]) -> Preflight:
    """Map ``document`` as it would be sent now, with every problem found before sending."""
    rules = rules_for(tenant)
    known = build_known(tenant, object_type, document, rules)
    company = default_company(tenant)
    mapped = EXPORTS[object_type].mapper(document, rules, known, company)
    totals = EXPORTS[object_type].totals
    difference = ""
    if totals is not None and mapped.calls and not mapped.blocking:
        difference = totals.preview(document, mapped.calls[0].fields)
    return Preflight(
        mapped=mapped,
        config_problems=configuration_problems(rules, object_type, company, mapped),
        total_difference=difference,
        period_problems=date_range_problems(tenant, object_type, document, company),
    )


def mapping_needs(tenant: Tenant, object_type: str, document: Mapping[str, Any]) -> list[MappingNeed]:
    """Every mapping row ``document`` needs that the tenant does not have (no mirror needed)."""
    declaration = EXPORTS.get(object_type)
    if declaration is None:
        return []
    return declaration.mapper(document, load_rules(tenant), Known(), default_company(tenant)).mapping_needs


# --- Spectrum's open date windows ------------------------------------------------------------------


def _dated(object_type: str) -> DatedColumns | None:
    """The dates a type's Spectrum module checks (its catalogue entry); None for types it checks none of."""
    declared = EXPORTS.get(object_type)
    return declared.dated if declared else None


def processing_range(tenant: Tenant, module: str, company: str) -> ProcessingDateRange | None:
    """The module's open window for ``company``: its own row, else the row for every company."""
    rows = {r.company_code: r for r in ranges_for(tenant) if r.module == module}
    return rows.get(company) or rows.get("")


def date_range_problems(tenant: Tenant, object_type: str, document: Mapping[str, Any], default: str) -> list[Problem]:
    """Dates Spectrum would refuse because they fall outside the module's open processing range."""
    dated = _dated(object_type)
    if dated is None:
        return []
    window = processing_range(tenant, dated.module, company_of(document, default))
    if window is None:
        return []
    problems = []
    for column, keys in dated.columns:
        day = _document_date(document, keys)
        if day is not None and not window.minimum_date <= day <= window.maximum_date:
            problems.append(
                Problem(
                    "I",
                    f"{column} {spectrum_date(day.isoformat())} is outside Spectrum's open "
                    f"{window.get_module_display()} processing range "
                    f"{spectrum_date(window.minimum_date.isoformat())}–{spectrum_date(window.maximum_date.isoformat())}",
                    column,
                )
            )
    return problems


def _document_date(document: Mapping[str, Any], keys: tuple[str, ...]) -> date | None:
    for key in keys:
        try:
            return date.fromisoformat(str(document.get(key) or "")[:10])
        except ValueError:
            continue
    return None


# --- the dry run ---------------------------------------------------------------------------------------


@dataclass
class DryRun:
    """What would happen to a document if it were exported now; nothing is stored or sent."""

    verdict: str  # "send", "hold" or "fail"
    calls: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    mapping_needs: list[MappingNeed]
    date_ranges: list[str]
    # What Spectrum will hold beside the platform's totals, when they differ, and what then happens.
    totals: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "calls": self.calls, "problems": self.problems, "totals": self.totals}


def dry_run(tenant: Tenant, object_type: str, document: Mapping[str, Any]) -> DryRun:
    """The exact Spectrum calls and every problem found before sending (the client's own checks too)."""
    check = run(tenant, object_type, document)
    problems = check.problems_as_dicts()
    problems.extend(
        {"code": m.code, "message": m.message, "column": m.column, "waits_for": None}
        for m in _client_problems(tenant, check.mapped)
    )
    verdict = check.verdict
    if verdict == "send" and any(p["code"] in ("I", "M") and not p["waits_for"] for p in problems):
        verdict = "fail"
    totals = []
    if check.total_difference:
        holds = tenant.total_difference == Tenant.TotalDifference.HOLD
        then = (
            "it would be held for an accountant to send with Spectrum's total"
            if holds
            else "it would be sent, and the platform told Spectrum's total"
        )
        totals.append(f"{check.total_difference}: {then} (the tenant's setting).")
        verdict = "hold" if holds and verdict == "send" else verdict
    return DryRun(
        verdict=verdict,
        calls=[c.as_dict() for c in check.mapped.calls],
        problems=problems,
        mapping_needs=check.mapped.mapping_needs,
        date_ranges=_ranges_checked(tenant, object_type, document),
        totals=totals,
    )


def _client_problems(tenant: Tenant, mapped: Mapped) -> list[Any]:
    try:
        client = connections.spectrum_client(tenant)
    except (ImportError, SpectrumError, ObjectDoesNotExist):
        return []  # no client to validate with: the mapper's own checks still apply
    try:
        return writer.client_side_problems(client, mapped.calls)
    finally:
        client.close()


def _ranges_checked(tenant: Tenant, object_type: str, document: Mapping[str, Any]) -> list[str]:
    """In words, which open date window the dates were checked against (or that none is recorded)."""
    dated = _dated(object_type)
    if dated is None:
        return []
    module = dated.module
    company = company_of(document, default_company(tenant))
    window = processing_range(tenant, module, company)
    if window is None:
        label = dict(SpectrumModule.choices)[module]
        return [
            f"No {label} processing date range is recorded for company {company}: dates were not checked "
            "(copy it from Spectrum's Processing Date Change screen into Processing date ranges)."
        ]
    return [f"Dates checked against {window}."]
