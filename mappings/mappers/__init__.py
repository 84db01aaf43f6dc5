"""What every mapper shares. A mapper turns a platform document into the Spectrum calls that create it.

No I/O: each mapper takes the document (JSON-friendly, as the inbound API stored it), the tenant's
:class:`~mappings.rules.MappingRules` and what the mirror :class:`~mappings.rules.Known` says exists,
and returns a :class:`Mapped`: the exact calls (service + fields) and every problem found before
sending. Problems use Spectrum's own codes (docs/spectrum.md#replies-and-codes): ``M`` missing, ``I`` invalid, with the
Spectrum column, so an accountant reads one kind of error whichever side found it. A problem with a
``parent`` is a master record Spectrum does not have yet: the engine holds the document instead of
failing it.

Lengths and formats follow the services' field tables (docs/spectrum.md#services): codes that are too long
are refused (Spectrum would refuse them too), free text is cut to the column's length.

Each exported type's own mapper lives in its catalogue module (``spectrum_sync/catalogue/<type>.py``,
e.g. ``map_job``); what they share is here (``common``), importable as ``from mappings.mappers import Mapped``.
"""

from __future__ import annotations

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

__all__ = [
    "CENT",
    "Checker",
    "Mapped",
    "Mapper",
    "Problem",
    "SpectrumCall",
    "cents",
    "company_of",
    "key_of",
    "money",
    "num",
    "number_fits",
    "spectrum_date",
    "text",
    "udf_fields",
]
