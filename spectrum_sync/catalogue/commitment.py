"""Commitments: a subcontract, its UDFs and its phases (UpdateSubcontract, UpdateSubcontract_UDF,
UpdateSubcontractPhases)."""

from __future__ import annotations

from mappings.mappers import map_commitment
from spectrum_sync.api.serializers import CommitmentSerializer
from spectrum_sync.catalogue.base import ExportType

# UpdateSubcontract(Phases) add or update by key (docs/spectrum.md#rules-per-service): a resend
# updates, it does not create a second document.
EXPORT = ExportType(
    name="commitment",
    api_name="commitments",
    label="Commitment",
    serializer=CommitmentSerializer,
    mapper=map_commitment,
    services=("UpdateSubcontract", "UpdateSubcontract_UDF", "UpdateSubcontractPhases"),
)
