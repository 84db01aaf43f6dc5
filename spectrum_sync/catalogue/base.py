"""What the project knows about one exported document type, declared once (:class:`ExportType`).

Each module of this package declares one type as ``EXPORT``; the package finds and registers them
(:func:`spectrum_sync.catalogue.discover`), so nothing lists the types by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from mappings.mappers.common import Mapper
from mappings.rules import MappingRules
from mappings.services import slots_of

if TYPE_CHECKING:
    from rest_framework.serializers import Serializer

    from spectrum_sync.models import Tenant

# Sends one REST call's fields for a company; answers the client's per-document results.
RestPost = Callable[[Any, str, Mapping[str, Any]], list[Any]]
# Asks Spectrum's web services whether the document with this lookup key exists (no database).
WebLookup = Callable[[Any, str, Mapping[str, str]], bool]
# The mirror record a document would itself be in Spectrum: (object type, key), or None.
OwnKey = Callable[[Mapping[str, Any], str], "tuple[str, str] | None"]
# The tax facts the mapper needs: job → sales tax code, tax code key → rate.
TaxFacts = Callable[["Tenant", str, Mapping[str, Any], MappingRules], "tuple[dict[str, str], dict[str, Decimal]]"]


class Totals(Protocol):
    """A type whose total Spectrum computes itself (an invoice's tax): its totals beside the platform's."""

    def preview(self, document: Mapping[str, Any], fields: Mapping[str, Any]) -> str:
        """Before sending: '' when Spectrum will hold the platform's total, else the difference in words."""

    def compare(self, document: Mapping[str, Any], held: Mapping[str, Any]) -> list[str]:
        """After read-back: how what Spectrum holds differs from the platform's totals."""

    def summary(self, held: Mapping[str, Any]) -> dict[str, str]:
        """Spectrum's total and tax of a document read back, for the platform."""


@dataclass(frozen=True)
class DatedColumns:
    """The document dates a Spectrum module checks against its Processing Date Change range."""

    module: str  # SpectrumModule value
    # (Spectrum column, the document's keys for it, first present wins)
    columns: tuple[tuple[str, tuple[str, ...]], ...]


def amount_of(value: Any) -> Decimal:
    """A stored document's amount as Decimal for totals: "", None and what is not a number count as zero
    (the document passed the API's checks; a total never fails on it)."""
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def sum_of_lines(column: str) -> Callable[[Mapping[str, Any]], Decimal]:
    """A total: the sum of ``column`` over the document's lines."""

    def total(payload: Mapping[str, Any]) -> Decimal:
        lines = payload.get("lines") or []
        return sum((amount_of(line.get(column)) for line in lines if isinstance(line, Mapping)), Decimal(0))

    return total


@dataclass(frozen=True)
class Reconciled:
    """How the period reconciliation reads the type on our side, and the Spectrum ledger it lands in."""

    ledger_kind: str  # a kind of connectors/spectrum/ledger.py LEDGER_KINDS
    key_fields: tuple[str, ...]  # the document's fields, in the ledger kind's key order
    date_field: str  # "" = dated by the day the export was accepted
    party_field: str = ""
    # The platform's total of a stored document; None = the type is counted, not totalled.
    total: Callable[[Mapping[str, Any]], Decimal | None] | None = None
    tax: Callable[[Mapping[str, Any]], Decimal] | None = None
    measure: str = "amount"  # "amount" (money) or "quantity"
    # The key as Spectrum holds it, from the key as sent (e.g. a zero-padded sequence); None = as sent.
    as_held: Callable[[tuple[str, ...]], tuple[str, ...]] | None = None
    # The key part that narrows a look-up of exported numbers (the rest is checked in full).
    narrowed_by: int = -1


@dataclass(frozen=True)
class ExportType:
    """One exported document type: what the API accepts, how it becomes Spectrum calls, and what the
    engine, the writer, the pre-flight, the read-back, the health check and the screens need of it."""

    name: str  # SyncRecord.object_type (also the mapping tables' document_type); never renamed
    api_name: str  # /api/v1/<api_name>/
    label: str  # how screens, filters, choices and e-mails name the type
    serializer: type[Serializer]  # the inbound API's body
    mapper: Mapper
    # Every service the mapper may call (the health check asks the Authorization ID for each).
    services: tuple[str, ...]
    # The shorter name the API's documentation uses ("Export a change order"); "" = the label.
    short_label: str = ""
    # The services that carry the type's UDFs (docs/spectrum.md#udf-services); a UDF mapping is
    # accepted only for a UDF number every one of them takes (read from their layouts).
    udf_services: tuple[str, ...] = ()
    # Why the type takes no UDFs, in the words the UDF screen, the model's check and the docs use.
    no_udf_reason: str = ""
    # Services that create a new record each time they are called: after an unknown outcome they
    # are resent only once a lookup in Spectrum says the document is not there.
    creating_services: frozenset[str] = frozenset()
    # Spectrum refuses a second create of the same document (or updates it), so when nothing can
    # look the document up, resending an uncertain create is still safe.
    resend_is_safe: bool = False
    # Without a database connection: the web-service lookup of an uncertain create, if there is one.
    web_lookup: WebLookup | None = None
    # The answer's column that carries the number Spectrum gave the document, if it gives one.
    number_column: str = ""
    # The mirror object type a successful export creates (released holds wait for it).
    creates_object: str = ""
    # Sends the type's REST call (services marked ``rest`` by the mapper); None: SOAP Puts only.
    rest_post: RestPost | None = None
    # Pre-flight hooks: the document's own key (is it already in Spectrum?) and its tax facts.
    own_key: OwnKey | None = None
    tax_facts: TaxFacts | None = None
    # The dates pre-flight checks against Spectrum's open window; None: the services check none.
    dated: DatedColumns | None = None
    # Totals Spectrum computes (pre-flight warns, read-back compares with the platform's); None: none.
    totals: Totals | None = None
    # How the period reconciliation totals it against Spectrum's ledger; None: not reconciled.
    reconciled: Reconciled | None = None

    @property
    def noun(self) -> str:
        """The name sentences use: the short label if there is one, else the label."""
        return self.short_label or self.label

    @property
    def takes_udfs(self) -> bool:
        """Whether the type's UDF services carry UDF fields (their layouts say which)."""
        return bool(slots_of(self.udf_services))
