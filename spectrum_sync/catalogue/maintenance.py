"""Service-agreement maintenance: a scheduled visit on its service contract (REST
serviceContract/Visit), or, for a maintenance without a service agreement, a stand-alone work order
(WorkOrderHeader); the UDFs go to the contract or the work order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.spectrum.layouts import SERVICE_CONTRACT_VISIT
from mappings.mappers import map_maintenance
from spectrum_sync.api.serializers import MaintenanceSerializer
from spectrum_sync.catalogue.base import ExportType

VISIT = SERVICE_CONTRACT_VISIT.name


def post(client: Any, company: str, fields: Mapping[str, Any]) -> list[Any]:
    # docs/spectrum.md#service-contract-visit-rest — POST /serviceContract/Visit, {"serviceContractVisits": [...]}.
    return list(client.rest.post_documents(VISIT, company, [dict(fields)]))


EXPORT = ExportType(
    name="maintenance",
    api_name="maintenances",
    label="Maintenance",
    serializer=MaintenanceSerializer,
    mapper=map_maintenance,
    services=(
        VISIT,
        "UpdateServiceContract_UDF",
        "WorkOrderHeader",
        "UpdateWokOrderHeader_UDF",
    ),
    # The visit service adds a visit; a visit whose date, summary and budget all match an existing
    # one is that visit (docs/spectrum.md#service-contract-visit-rest), so sending the same visit
    # again adds no second one. WorkOrderHeader with our WO_Number adds or updates by key.
    creating_services=frozenset({VISIT}),
    resend_is_safe=True,
    rest_post=post,
    number_column="WO_Number",
)
