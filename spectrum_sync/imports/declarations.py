"""One declaration per imported object type: where it is read, what identifies it, what counts as a
change, how the platform receives it, and what must be imported before it.

The engine (:mod:`spectrum_sync.imports.engine`) is generic; this table is where the Spectrum
knowledge of imports lives. Readers: Spectrum has Get web services only for customers, vendors,
jobs and phases (cost types, budgets and job cost are derived from phases by the client);
everything else is read from the database (docs/spectrum.md#objects-without-a-get-service,
docs/spectrum.md#tables-read-by-imports).
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connectors.spectrum import records as r
from spectrum_sync.imports import mappers
from spectrum_sync.models import ObjectType

Mapper = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class ImportDeclaration:
    object_type: str  # ObjectType value and the readers' object type name
    record_type: type[r.SpectrumRecord]
    resource: str  # platform resource the items are POSTed to
    mapper: Mapper
    web_services: bool  # readable through Data Exchange Get services
    depends_on: tuple[str, ...] = ()
    # Fields whose change is worth a delivery; () = every field of the record.
    hash_fields: tuple[str, ...] = ()
    # Bump when the hash recipe of this type changes on purpose: every record then counts as
    # changed once (and is re-delivered) instead of silently drifting.
    hash_version: int = 1

    @property
    def label(self) -> str:
        return str(ObjectType(self.object_type).label)

    @property
    def fields_hashed(self) -> tuple[str, ...]:
        return self.hash_fields or tuple(f.name for f in dataclasses.fields(self.record_type))

    def key(self, record: r.SpectrumRecord) -> str:
        return record.key

    def to_item_data(self, record: r.SpectrumRecord) -> dict[str, Any]:
        return self.mapper(record)


def _hash_parts(values: Iterable[Any]) -> str:
    # Unit separator between fields; None is spelled apart from "" so an emptied amount is a change.
    return "\x1f".join("\x00" if v is None else str(v) for v in values)


Hasher = Callable[[r.SpectrumRecord], bytes]
_HASHERS: dict[ImportDeclaration, Hasher] = {}


def hasher(declaration: ImportDeclaration) -> Hasher:
    """:func:`record_hash` for one declaration, with its field lookup done once (a poll hashes every record)."""
    found = _HASHERS.get(declaration)
    if found is not None:
        return found
    names = declaration.fields_hashed
    values = operator.attrgetter(*names) if len(names) > 1 else lambda record: (getattr(record, names[0]),)
    prefix = f"v{declaration.hash_version}\x1e"
    blake2b = hashlib.blake2b

    def digest(record: r.SpectrumRecord) -> bytes:
        fields = values(record)
        try:
            # All text (the usual record): joining the values is what _hash_parts spells out.
            text = "\x1f".join(fields)
        except TypeError:  # a None, Decimal or date among them
            text = _hash_parts(fields)
        return blake2b((prefix + text).encode(), digest_size=16).digest()

    _HASHERS[declaration] = digest
    return digest


def record_hash(declaration: ImportDeclaration, record: r.SpectrumRecord) -> bytes:
    """The 16-byte blake2b digest of the fields that matter."""
    return hasher(declaration)(record)


_PHASE_DESCRIPTIVE = ("company_code", "job_number", "phase_code", "cost_type", "description", "status_code")

DECLARATIONS: dict[str, ImportDeclaration] = {
    d.object_type: d
    for d in (
        # docs/spectrum.md#getcustomers / CR_CUSTOMER_MASTER_MC.
        ImportDeclaration("customer", r.Customer, "customers", mappers.customer, web_services=True),
        # docs/spectrum.md#getvendors (SOAP or REST) / VN_VENDOR_MASTER_MC.
        ImportDeclaration("vendor", r.Vendor, "vendors", mappers.vendor, web_services=True),
        # No Get service for GL; database only (docs/spectrum.md#objects-without-a-get-service).
        ImportDeclaration("gl_account", r.GLAccount, "gl-accounts", mappers.gl_account, web_services=False),
        ImportDeclaration("gl_department", r.GLDepartment, "classes", mappers.gl_department, web_services=False),
        # Tax codes have Put services only (docs/spectrum.md#objects-without-a-get-service).
        ImportDeclaration("sales_tax", r.SalesTax, "sales-tax-rates", mappers.tax_rate, web_services=False),
        ImportDeclaration("purchase_tax", r.PurchaseTax, "purchase-tax-rates", mappers.tax_rate, web_services=False),
        # CR pay-adjust history (docs/spectrum.md#tables-read-by-imports).
        ImportDeclaration(
            "ar_payment", r.ARPayment, "ar-payments", mappers.ar_payment, web_services=False, depends_on=("customer",)
        ),
        # AP invoices referencing a PO receipt, database only (docs/spectrum.md#tables-read-by-imports).
        ImportDeclaration(
            "po_bill", r.POBill, "po-bills", mappers.po_bill, web_services=False, depends_on=("vendor", "job")
        ),
        # docs/spectrum.md#getjob + docs/spectrum.md#getjobmain / JC_JOB_MASTER_MC.
        ImportDeclaration("job", r.Job, "projects", mappers.project, web_services=True, depends_on=("customer",)),
        ImportDeclaration("cost_type", r.CostType, "categories", mappers.category, web_services=True),
        # docs/spectrum.md#getphase: a cost code changes when its description or status does, not when
        # cost is posted to it (that is job cost's business).
        ImportDeclaration(
            "phase",
            r.Phase,
            "cost-codes",
            mappers.cost_code,
            web_services=True,
            depends_on=("job", "cost_type"),
            hash_fields=(*_PHASE_DESCRIPTIVE, "unit_of_measure", "cost_center"),
        ),
        ImportDeclaration("budget", r.Budget, "budgets", mappers.budget, web_services=True, depends_on=("phase",)),
        ImportDeclaration(
            "job_cost", r.JobCost, "job-costs", mappers.job_cost, web_services=True, depends_on=("phase",)
        ),
        # CR_CONTRACT_MASTER_MC (docs/spectrum.md#tables-read-by-imports), one per job.
        ImportDeclaration(
            "prime_contract",
            r.PrimeContract,
            "prime-contracts",
            mappers.prime_contract,
            web_services=False,
            depends_on=("job", "customer"),
        ),
    )
}


def get(object_type: str) -> ImportDeclaration:
    try:
        return DECLARATIONS[object_type]
    except KeyError:
        raise ValueError(
            f"{object_type!r} is not an imported object type; choose one of {', '.join(DECLARATIONS)}"
        ) from None


def in_dependency_order(object_types: Iterable[str]) -> list[str]:
    """The given types ordered so that each comes after what it depends on (among those given)."""
    wanted = set(object_types)
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for parent in DECLARATIONS[name].depends_on:
            if parent in wanted:
                visit(parent)
        ordered.append(name)

    for name in DECLARATIONS:  # declaration order breaks ties, so the result is stable
        if name in wanted:
            visit(name)
    return ordered


def readable_types(web_services: bool, database: bool) -> list[str]:
    """Object types a connection can read: web services cover some, the database all."""
    return [name for name, d in DECLARATIONS.items() if database or (web_services and d.web_services)]
