"""A job update sends AddPhase only for the phases that changed since the mirror read them,
through the engine and pre-flight (one mirror query fills ``Known.phases``)."""

from __future__ import annotations

from typing import Any

import pytest

from spectrum_sync.exports import preflight
from spectrum_sync.models import MirrorRecord, SyncStatus, Tenant
from tests.exports.fakes import Wiring
from tests.exports.test_engine import ready, run, submit  # noqa: F401

pytestmark = pytest.mark.django_db


def mirror_phase(tenant: Tenant, phase: str, cost_type: str, description: str, budget: str) -> None:
    data = {"job_number": "J100", "phase_code": phase, "cost_type": cost_type, "description": description,
            "unit_of_measure": "", "original_estimated_dollars": budget}  # fmt: skip
    MirrorRecord.objects.create(
        tenant=tenant, object_type="phase", key=f"AC1|J100|{phase}|{cost_type}", company_code="AC1",
        row_hash="x", data=data,
    )  # fmt: skip


def job_update(*budgets: str) -> dict[str, Any]:
    phases = [
        {"phase_code": "0100", "cost_type": "L", "description": "Labor", "budget_amount": budgets[0]},
        {"phase_code": "0200", "cost_type": "M", "description": "Materials", "budget_amount": budgets[1]},
    ]
    return {"document_id": "job-100", "version": "2", "job_number": "J100", "description": "Main", "phases": phases}


@pytest.fixture
def phased(ready: Tenant) -> Tenant:  # noqa: F811
    mirror_phase(ready, "0100", "L", "Labor", "1500.00")
    mirror_phase(ready, "0200", "M", "Materials", "800.00")
    MirrorRecord.objects.create(  # a deleted phase is no longer Spectrum's
        tenant=ready, object_type="phase", key="AC1|J100|0300|L", company_code="AC1", row_hash="x",
        data={"description": "Gone", "original_estimated_dollars": "0"}, deleted_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    return ready


def test_an_update_of_a_known_job_sends_only_the_changed_phase(
    phased: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    wired.spectrum.jobs["J100"] = {"Job_Number": "J100"}  # Spectrum has it: GetJob reads it back
    record = run(submit(phased, job_update("1500", "950.00"), "job"), django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert [c[0] for c in wired.spectrum.calls] == ["UpdateJob", "AddPhase"]
    assert wired.spectrum.calls[1][1]["Phase_Code"] == "0200"


def test_an_update_with_no_phase_changed_sends_only_the_job(
    phased: Tenant, wired: Wiring, django_capture_on_commit_callbacks: Any
) -> None:
    wired.spectrum.jobs["J100"] = {"Job_Number": "J100"}
    record = run(submit(phased, job_update("1500", "800"), "job"), django_capture_on_commit_callbacks)
    assert record.status == SyncStatus.SUCCEEDED, record.error_message
    assert [c[0] for c in wired.spectrum.calls] == ["UpdateJob"]


def test_pre_flight_reads_the_job_s_phases_in_one_query(phased: Tenant, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        phases = preflight.known_phases(phased, "AC1|J100")
    assert set(phases) == {"AC1|J100|0100|L", "AC1|J100|0200|M"}
    check = preflight.run(phased, "job", job_update("1500", "800"))
    assert [c.service for c in check.mapped.calls] == ["UpdateJob"]  # the dry run shows the same
