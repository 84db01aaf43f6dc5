"""Jobs: AddJob for a new job (UpdateJob once Spectrum has it), its UDFs and its phases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mappings.mappers import key_of, map_job
from spectrum_sync.api.serializers import JobSerializer
from spectrum_sync.catalogue.base import ExportType


def find_by_web_services(client: Any, company: str, lookup_key: Mapping[str, str]) -> bool:
    job = lookup_key["job_number"]
    # docs/spectrum.md#getjob — the web service view of jobs.
    return any(getattr(r, "job_number", "") == job for r in client.iter_records("job", company))


def own_key(document: Mapping[str, Any], company: str) -> tuple[str, str] | None:
    """The job's own mirror key: if Spectrum has it, the mapper updates it instead of adding it."""
    if not document.get("job_number"):
        return None
    return ("job", key_of(company, str(document["job_number"]).strip()))


EXPORT = ExportType(
    name="job",
    api_name="jobs",
    label="Job",
    serializer=JobSerializer,
    mapper=map_job,
    services=("AddJob", "UpdateJob", "UpdateJob_UDF", "AddPhase", "UpdatePhase_UDF"),
    creating_services=frozenset({"AddJob"}),
    # Job numbers must be unique (docs/spectrum.md#addjob).
    resend_is_safe=True,
    web_lookup=find_by_web_services,
    creates_object="job",
    own_key=own_key,
)
