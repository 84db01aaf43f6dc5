"""Is a tenant's mapping complete enough to export a document type? (``missing`` says what is not.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mappings.rules import MappingRules, load_rules

if TYPE_CHECKING:
    from spectrum_sync.models import Tenant

# Line kinds whose GL account must resolve even for a line without a department.
REQUIRED_GL_KINDS: dict[str, tuple[str, ...]] = {
    "ar_invoice": ("labor", "material"),
    "commitment": ("commitment",),
}

KIND_LABELS = {"labor": "labor", "material": "material", "commitment": "commitment (subcontract cost)"}


# Document types whose Spectrum services have no UDF1…UDF20 elements (reference 2.5, 2.8, 2.10, 2.11).
NO_UDF_SERVICES = ("ar_invoice", "po_receipt", "change_order", "maintenance", "commitment")


def missing_in(rules: MappingRules, document_type: str) -> list[str]:
    """Pure form of :func:`missing`, on a rules snapshot."""
    problems = []
    if document_type in NO_UDF_SERVICES and rules.udfs(document_type):
        problems.append(
            "UDF mapping: Spectrum's services for this document type have no UDF fields; "
            "remove its UDF mappings (only jobs carry UDFs)"
        )
    for kind in REQUIRED_GL_KINDS.get(document_type, ()):
        if rules.gl_rule("", kind) is None:
            problems.append(
                f"GL account mapping: no default GL account for {KIND_LABELS[kind]} lines "
                "(add a row with no department for that line kind, or a default row)"
            )
    return problems


def missing(tenant: Tenant, document_type: str) -> list[str]:
    """What must still be mapped before documents of ``document_type`` can be exported; [] = complete."""
    problems = []
    connection = getattr(tenant, "connection", None)
    if connection is None or not connection.companies:
        problems.append("Spectrum connection: no company code is set")
    return problems + missing_in(load_rules(tenant), document_type)
