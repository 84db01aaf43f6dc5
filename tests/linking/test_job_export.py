"""An export of a job linked to one Spectrum has is UpdateJob, never AddJob (the job pre-flight)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from linking import services
from linking.models import RecordLink
from spectrum_sync.exports import preflight
from spectrum_sync.models import MirrorRecord, Tenant

pytestmark = [pytest.mark.django_db]

JOB = {
    "document_id": "prj-9",
    "version": "1",
    "job_number": "J100",
    "description": "Cedar Street clinic",
    "customer_code": "CUST1",
}


@pytest.fixture
def unseen_job(tenant: Tenant) -> Tenant:
    # The mirror has marked the job gone though Spectrum still has it: GetJob returns only the cost
    # centers the Authorization ID may see (docs/spectrum.md#getjob), and that may change.
    MirrorRecord.objects.create(tenant=tenant, object_type="customer", key="AC1|CUST1", row_hash="x")
    MirrorRecord.objects.create(
        tenant=tenant,
        object_type="job",
        key="AC1|J100",
        row_hash="x",
        data={"company_code": "AC1", "job_number": "J100", "job_description": "Cedar St Clinic"},
        deleted_at=timezone.now(),
    )
    return tenant


def services_called(tenant: Tenant, document: dict[str, Any]) -> list[str]:
    return [call["service"] for call in preflight.dry_run(tenant, "job", document).as_dict()["calls"]]


def test_a_linked_job_is_updated_not_added_again(unseen_job: Tenant) -> None:
    assert services_called(unseen_job, JOB)[0] == "AddJob"  # control: unlinked, it would be added
    link = RecordLink.objects.create(tenant=unseen_job, object_type="job", platform_id="prj-9", spectrum_key="AC1|J100")
    services.decide(link, "confirmed", None, tell=False)
    assert services_called(unseen_job, JOB)[0] == "UpdateJob"
    assert services_called(unseen_job, {**JOB, "document_id": "prj-10"})[0] == "AddJob"  # another platform job
    services.decide(link, "unlinked", None)
    assert services_called(unseen_job, JOB)[0] == "AddJob"  # unlinked: the link no longer counts
