"""What the project knows about one exported document type, declared once (:class:`ExportType`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from mappings.mappers import Mapper
from mappings.rules import MappingRules
from mappings.services import udf_slots

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


@dataclass(frozen=True)
class ExportType:
    name: str  # SyncRecord.object_type, the ObjectType value
    api_name: str  # /api/v1/<api_name>/
    label: str
    serializer: type[Serializer]  # the inbound API's body
    mapper: Mapper
    # Every service the mapper may call (the health check asks the Authorization ID for each).
    services: tuple[str, ...]
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

    @property
    def takes_udfs(self) -> bool:
        """Whether the type's services carry UDF fields (mappings/services.py, from the layouts)."""
        return bool(udf_slots(self.name))
