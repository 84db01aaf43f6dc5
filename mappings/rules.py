"""Plain snapshots handed to the pure mappers: a tenant's mapping rows and what Spectrum is known to hold.

Nothing here touches the database except :func:`load_rules`, which the engine calls once per record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spectrum_sync.models import Tenant


@dataclass(frozen=True)
class GLRule:
    department: str
    line_kind: str
    gl_account: str
    cost_center: str = ""


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

    def gl_rule(self, department: str, line_kind: str) -> GLRule | None:
        """The most specific rule: department + kind, department, kind, then the default row."""
        department = department.strip().upper()
        by_key = {(r.department.strip().upper(), r.line_kind): r for r in self.gl}
        for key in ((department, line_kind), (department, ""), ("", line_kind), ("", "")):
            if key in by_key and (key[0] == "" or department):
                return by_key[key]
        return None

    def udfs(self, document_type: str) -> tuple[UDFRule, ...]:
        return self.udf.get(document_type, ())


@dataclass(frozen=True)
class Known:
    """What the mirror of Spectrum holds that a document refers to.

    ``existing`` holds (object_type, key) pairs with keys as the mirror writes them
    (``COMPANY|code``); ``job_tax`` gives a job's sales tax code; ``tax_rates`` a code's percent.
    """

    existing: frozenset[tuple[str, str]] = frozenset()
    job_tax: dict[str, str] = field(default_factory=dict)
    tax_rates: dict[str, Decimal] = field(default_factory=dict)
    today: date = field(default_factory=date.today)
    job_exists_in_spectrum: bool = False  # the job was created before (mirror or an earlier export)

    def has(self, object_type: str, key: str) -> bool:
        return (object_type, key) in self.existing


def load_rules(tenant: Tenant) -> MappingRules:
    """Read a tenant's mapping rows into a :class:`MappingRules` (three small queries)."""
    from mappings.models import GLAccountMapping, TaxCodeDefault, UDFMapping

    gl = tuple(
        GLRule(m.department, m.line_kind, m.gl_account, m.cost_center)
        for m in GLAccountMapping.objects.filter(tenant=tenant)
    )
    udf: dict[str, list[UDFRule]] = {}
    for u in UDFMapping.objects.filter(tenant=tenant).order_by("udf_slot"):
        udf.setdefault(u.document_type, []).append(UDFRule(u.platform_field, u.udf_slot, u.max_length, u.required))
    tax = {t.document_type: TaxDefault(t.tax_code, t.rate) for t in TaxCodeDefault.objects.filter(tenant=tenant)}
    return MappingRules(gl=gl, udf={k: tuple(v) for k, v in udf.items()}, tax_defaults=tax)
