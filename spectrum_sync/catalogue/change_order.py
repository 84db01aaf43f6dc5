"""Prime contract change orders (ARChangeOrder), added or updated by key."""

from __future__ import annotations

from mappings.mappers import map_change_order
from spectrum_sync.api.serializers import ChangeOrderSerializer
from spectrum_sync.catalogue.base import ExportType

# ARChangeOrder adds or updates by key (docs/spectrum.md#rules-per-service): a resend updates, it
# does not create a second document.
EXPORT = ExportType(
    name="change_order",
    api_name="change-orders",
    label="Change order",
    serializer=ChangeOrderSerializer,
    mapper=map_change_order,
    services=("ARChangeOrder",),
)
