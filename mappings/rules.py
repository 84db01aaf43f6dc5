"""Plain snapshots handed to the pure mappers: a tenant's mapping rows and what Spectrum is known to hold.

Nothing here touches the database except :func:`load_rules` and :func:`processing_ranges`; the
engine asks through :func:`rules_for` and :func:`ranges_for`, which keep a worker's copy for as long
as the tenant's ``rules_stamp`` (read with each record) is the one it was loaded under.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from mappings.models import ProcessingDateRange
    from spectrum_sync.models import Tenant

T = TypeVar("T")


@dataclass(frozen=True)
class GLRule:
    department: str
    line_kind: str
    gl_account: str
    cost_center: str = ""
    company: str = ""  # blank = every company of the tenant


@dataclass(frozen=True)
class MappingNeed:
    """A GL account mapping row a document needs and the tenant does not have yet."""

    company: str
    department: str
    line_kind: str

    def describe(self) -> str:
        department = f"department {self.department}" if self.department else "lines without a department"
        return (
            f"GL account mapping: no GL account for {self.line_kind} lines of {department} in company "
            f"{self.company or '(any)'}"
        )


@dataclass(frozen=True)
class UDFRule:
    platform_field: str
    slot: int
    max_length: int = 20
    required: bool = False


@dataclass(frozen=True)
class TaxDefault:
    tax_code: str
    rate: Decimal | None = None


@dataclass(frozen=True)
class MappingRules:
    """One tenant's mapping tables, as plain values."""

    gl: tuple[GLRule, ...] = ()
    udf: dict[str, tuple[UDFRule, ...]] = field(default_factory=dict)
    tax_defaults: dict[str, TaxDefault] = field(default_factory=dict)
    # How AR invoices are put in Spectrum batches (mappings.batches; Tenant.batch_rule).
    batch_rule: str = "day"

    def gl_rule(self, department: str, line_kind: str, company: str = "") -> GLRule | None:
        """The most specific rule: department + kind, department, kind, then the default row;
        at each step a row of the document's company before a row for every company."""
        department, company = department.strip().upper(), company.strip().upper()
        by_key = {(r.company.strip().upper(), r.department.strip().upper(), r.line_kind): r for r in self.gl}
        for dept, kind in ((department, line_kind), (department, ""), ("", line_kind), ("", "")):
            if dept and not department:
                continue
            for owner in (company, ""):
                if (owner, dept, kind) in by_key and (owner == "" or company):
                    return by_key[(owner, dept, kind)]
        return None

    def udfs(self, document_type: str) -> tuple[UDFRule, ...]:
        return self.udf.get(document_type, ())


@dataclass(frozen=True)
class Known:
    """What the mirror of Spectrum holds that a document refers to.

    ``existing`` holds (object_type, key) pairs with keys as the mirror writes them
    (``COMPANY|code``); ``job_tax`` gives a job's sales tax code; ``tax_rates`` a code's percent.
    ``phases`` holds what the mirror has of a known job's phases: its key
    (``COMPANY|job|phase|cost type``, upper case) → the mirrored row (connectors.spectrum.records.Phase).
    """

    existing: frozenset[tuple[str, str]] = frozenset()
    job_tax: dict[str, str] = field(default_factory=dict)
    tax_rates: dict[str, Decimal] = field(default_factory=dict)
    today: date = field(default_factory=date.today)
    job_exists_in_spectrum: bool = False  # the job was created before (mirror or an earlier export)
    phases: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def phase(self, key: str) -> Mapping[str, Any] | None:
        return self.phases.get(key.upper())

    def has(self, object_type: str, key: str) -> bool:
        return (object_type, key) in self.existing


def load_rules(tenant: Tenant) -> MappingRules:
    """Read a tenant's mapping rows into a :class:`MappingRules`: its three tables in one query."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast

    from mappings.models import GLAccountMapping, TaxCodeDefault, UDFMapping

    text: CharField[str, str] = CharField()
    blank = Value("", output_field=text)
    # .order_by(): a compound statement takes no ORDER BY in its parts (SQLite refuses one; the
    # models' default ordering would add it). The rows are sorted below.
    gl = (
        GLAccountMapping.objects.filter(tenant=tenant)
        .order_by()
        .values_list(
            Value("gl", output_field=text), "department", "line_kind", "gl_account", "cost_center", "company_code"
        )
    )
    udfs = (
        UDFMapping.objects.filter(tenant=tenant)
        .order_by()
        .values_list(
            Value("udf", output_field=text),
            "document_type",
            "platform_field",
            Cast("udf_slot", text),
            Cast("max_length", text),
            Cast("required", text),
        )
    )
    taxes = (
        TaxCodeDefault.objects.filter(tenant=tenant)
        .order_by()
        .values_list(Value("tax", output_field=text), "document_type", "tax_code", Cast("rate", text), blank, blank)
    )
    places = TaxCodeDefault._meta.get_field("rate").decimal_places
    rules: list[GLRule] = []
    udf: dict[str, list[UDFRule]] = {}
    tax: dict[str, TaxDefault] = {}
    for kind, a, b, c, d, e in gl.union(udfs, taxes, all=True):
        if kind == "gl":
            rules.append(GLRule(a, b, c, d, e))
        elif kind == "udf":
            udf.setdefault(a, []).append(UDFRule(b, int(c), int(d), str(e).lower() in ("1", "t", "true")))
        else:
            rate = Decimal(c).quantize(Decimal(1).scaleb(-places)) if c not in (None, "") else None
            tax[a] = TaxDefault(b, rate)
    return MappingRules(
        gl=tuple(sorted(rules, key=lambda rule: (rule.company, rule.department, rule.line_kind))),
        udf={k: tuple(sorted(v, key=lambda rule: rule.slot)) for k, v in udf.items()},
        tax_defaults=tax,
        batch_rule=tenant.batch_rule,
    )


# --- a worker's copy -----------------------------------------------------------------------------

# A copy is kept while the tenant's stamp is unchanged, and at most this long: a row edited outside
# the admin and the models (SQL by hand) is seen within two minutes.
KEEP_SECONDS = 120.0
_kept: dict[tuple[int, str, str], tuple[float, Any]] = {}


def _kept_or_load(tenant: Tenant, what: str, load: Callable[[], T]) -> T:
    key = (tenant.pk, str(tenant.rules_stamp), what)
    now = time.monotonic()
    hit = _kept.get(key)
    if hit is not None and now - hit[0] < KEEP_SECONDS:
        return hit[1]
    value = load()
    if len(_kept) > 1000:  # tenants come and go: never grow without bound
        _kept.clear()
    _kept[key] = (now, value)
    return value


def forget() -> None:
    """Drop every kept copy (tests that write rows around the models, with ``update()``)."""
    _kept.clear()


def rules_for(tenant: Tenant) -> MappingRules:
    """:func:`load_rules`, without a query while the tenant's rows are those last read. The batch
    rule is the tenant's own column, so it is taken from the tenant in hand."""
    rules = _kept_or_load(tenant, "rules", lambda: load_rules(tenant))
    return rules if rules.batch_rule == tenant.batch_rule else replace(rules, batch_rule=tenant.batch_rule)


def processing_ranges(tenant: Tenant) -> tuple[ProcessingDateRange, ...]:
    """The tenant's open processing date windows, every module and company (one query)."""
    from mappings.models import ProcessingDateRange

    return tuple(ProcessingDateRange.objects.filter(tenant=tenant))


def ranges_for(tenant: Tenant) -> tuple[ProcessingDateRange, ...]:
    """:func:`processing_ranges`, kept like :func:`rules_for`."""
    return _kept_or_load(tenant, "ranges", lambda: processing_ranges(tenant))


def load_class_names(tenant: Tenant) -> dict[str, str]:
    """Spectrum department code (upper case) → the platform class name the tenant maps it to."""
    from mappings.models import DepartmentClassMapping

    rows = DepartmentClassMapping.objects.filter(tenant=tenant).values_list("spectrum_department", "platform_class")
    return {department.strip().upper(): name.strip() for department, name in rows}
