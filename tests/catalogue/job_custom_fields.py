"""A test-only exported type, declared the way a new type is: one module with its API body, its
mapper and its declaration. It sends a job's custom fields to the job's UDFs through UpdateJob_UDF,
a service the Spectrum simulator knows (docs/spectrum.md#updatejob_udf).

It lives under tests/ so that production never registers it; the tests register its ``EXPORT``
through the registry the catalogue's discovery fills, and unregister it afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from mappings.mappers import Checker, Mapped, Problem, SpectrumCall, company_of, key_of, udf_fields
from mappings.rules import Known, MappingRules
from spectrum_sync.api.serializers import DocumentSerializer
from spectrum_sync.catalogue.base import ExportType

NAME = "job_custom_fields"
SERVICE = "UpdateJob_UDF"


class JobCustomFieldsSerializer(DocumentSerializer):
    job_number = serializers.CharField(max_length=40)


def map_job_custom_fields(
    document: Mapping[str, Any], rules: MappingRules, known: Known, default_company: str
) -> Mapped:
    """A job's custom fields → UpdateJob_UDF; the job must already be in Spectrum."""
    problems: list[Problem] = []
    check = Checker(problems, SERVICE)
    company = company_of(document, default_company)
    job = check.code(document.get("job_number"), "Job_Number", required=True)
    if job:
        check.parent(known, "job", key_of(company, job), "Job_Number", "Job")
    fields = {"Company_Code": company, "Job_Number": job, **udf_fields(document, rules, NAME, check)}
    return Mapped(calls=[SpectrumCall(SERVICE, fields)], problems=problems, document_number=job)


EXPORT = ExportType(
    name=NAME,
    api_name="job-custom-fields",
    label="Job custom fields",
    serializer=JobCustomFieldsSerializer,
    mapper=map_job_custom_fields,
    services=(SERVICE,),
    udf_services=(SERVICE,),
)
