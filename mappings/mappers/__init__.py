"""Pure functions that turn a platform document into the Spectrum calls that create it.

No I/O: each mapper takes the document (JSON-friendly, as the inbound API stored it), the tenant's
:class:`~mappings.rules.MappingRules` and what the mirror :class:`~mappings.rules.Known` says exists,
and returns a :class:`Mapped`: the exact calls (service + fields) and every problem found before
sending. Problems use Spectrum's own codes (docs/spectrum.md#replies-and-codes): ``M`` missing, ``I`` invalid, with the
Spectrum column, so an accountant reads one kind of error whichever side found it. A problem with a
``parent`` is a master record Spectrum does not have yet: the engine holds the document instead of
failing it.

Lengths and formats follow the services' field tables (docs/spectrum.md#services): codes that are too long
are refused (Spectrum would refuse them too), free text is cut to the column's length.

One module per exported type (``ar_invoice``, ``job``, ``po_receipt``, ``maintenance``,
``commitment``, ``change_order``) and what they share (``common``); everything is importable from
here as before (``from mappings.mappers import map_job, Mapped``).
"""

from __future__ import annotations

from mappings.mappers.ar_invoice import REVENUE_KINDS, allocate, invoice_tax, map_ar_invoice
from mappings.mappers.change_order import map_change_order
from mappings.mappers.commitment import map_commitment
from mappings.mappers.common import (
    CENT,
    Checker,
    Mapped,
    Mapper,
    Problem,
    SpectrumCall,
    cents,
    company_of,
    key_of,
    money,
    num,
    number_fits,
    spectrum_date,
    text,
    udf_fields,
)
from mappings.mappers.job import map_job
from mappings.mappers.maintenance import map_maintenance
from mappings.mappers.po_receipt import map_po_receipt

__all__ = [
    "CENT",
    "REVENUE_KINDS",
    "Checker",
    "Mapped",
    "Mapper",
    "Problem",
    "SpectrumCall",
    "allocate",
    "cents",
    "company_of",
    "invoice_tax",
    "key_of",
    "map_ar_invoice",
    "map_change_order",
    "map_commitment",
    "map_job",
    "map_maintenance",
    "map_po_receipt",
    "money",
    "num",
    "number_fits",
    "spectrum_date",
    "text",
    "udf_fields",
]
