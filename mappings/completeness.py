"""Is a tenant's mapping complete enough to export a document? (``missing_in`` says what is not.)

A document needs exactly the mapping rows its own lines resolve through (the mappers name each
one as a :class:`~mappings.rules.MappingNeed`); on top of that, the tenant's configuration must fit
what Spectrum's services accept, which is derived from the service layouts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mappings.rules import MappingRules, load_rules
from mappings.services import no_udf_reason, udf_slots
from spectrum_sync.catalogue.registry import EXPORTS

if TYPE_CHECKING:
    from spectrum_sync.models import Tenant


def udf_document_types() -> tuple[str, ...]:
    """The exported document types whose Spectrum services carry UDF fields, in catalogue order."""
    return tuple(t for t in EXPORTS if udf_slots(t))


def no_udf_document_types() -> tuple[str, ...]:
    """The exported document types Spectrum takes no UDFs for, in catalogue order."""
    return tuple(t for t in EXPORTS if not udf_slots(t))


def missing_in(rules: MappingRules, document_type: str) -> list[str]:
    """What the tenant's configuration gets wrong for ``document_type`` whatever the document."""
    slots = set(udf_slots(document_type))
    wrong = sorted(rule.slot for rule in rules.udfs(document_type) if rule.slot not in slots)
    if not wrong:
        return []
    if not slots:
        return [f"UDF mapping: {no_udf_reason(document_type)} Remove its UDF mappings."]
    return [f"UDF mapping: Spectrum's services for this document type have no UDF{', UDF'.join(map(str, wrong))}"]


def missing(tenant: Tenant, document_type: str) -> list[str]:
    """What must still be configured before documents of ``document_type`` can be exported; [] = complete."""
    problems = []
    connection = getattr(tenant, "connection", None)
    if connection is None or not connection.companies:
        problems.append("Spectrum connection: no company code is set")
    return problems + missing_in(load_rules(tenant), document_type)
