"""Service-agreement maintenance: a work order header (WorkOrderHeader), added or updated by key."""

from __future__ import annotations

from mappings.mappers import map_maintenance
from spectrum_sync.api.serializers import MaintenanceSerializer
from spectrum_sync.catalogue.base import ExportType

# WorkOrderHeader with our WO_Number adds or updates by key (docs/spectrum.md#rules-per-service):
# a resend updates, it does not create a second document, so nothing needs a lookup first.
EXPORT = ExportType(
    name="maintenance",
    api_name="maintenances",
    label="Maintenance",
    serializer=MaintenanceSerializer,
    mapper=map_maintenance,
    services=("WorkOrderHeader",),
    number_column="WO_Number",
)
