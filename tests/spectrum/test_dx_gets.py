"""The client's Get services against the simulator over loopback: records, row cap, quirks, errors."""

from __future__ import annotations

import resource

import pytest

from connectors.spectrum.errors import SpectrumAuthorizationError, SpectrumBadReply, SpectrumRetryableError
from connectors.spectrum.records import Customer, Job
from tests.fixtures_spectrum import SpectrumSimulatorHandle

Sim = SpectrumSimulatorHandle


def codes(records: list[object], attr: str) -> list[str]:
    return sorted(getattr(r, attr) for r in records)


def test_customers_of_every_status_are_read_as_typed_records(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    records = list(sim.client().iter_records("customer", "DC1"))
    stored = sim.store.find("CR_CUSTOMER_MASTER_MC", Company_Code="DC1")
    assert codes(records, "customer_code") == sorted(r["Customer_Code"] for r in stored)
    first = next(r for r in records if r.customer_code == stored[0]["Customer_Code"])
    assert isinstance(first, Customer)
    assert first.name == stored[0]["Name"]
    assert first.status in ("Active", "Inactive", "Not Used")
    assert {r.status for r in records} >= {"Active", "Inactive"}


def test_vendors_jobs_and_phases_match_the_store(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    client = sim.client()
    vendors = list(client.iter_records("vendor", "DC1"))
    assert len(vendors) == len(sim.store.find("VN_VENDOR_MASTER_MC", Company_Code="DC1"))
    jobs = list(client.iter_records("job", "DC1"))
    stored_jobs = sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1")
    # Complete jobs are included although a blank status asks only for Active + Inactive.
    assert codes(jobs, "job_number") == sorted(r["Job_Number"] for r in stored_jobs)
    job = next(j for j in jobs if j.job_number == stored_jobs[0]["Job_Number"])
    assert isinstance(job, Job)
    assert job.original_contract == stored_jobs[0]["Original_Contract"]
    phases = list(client.iter_records("phase", "DC1"))
    assert len(phases) == len(sim.store.find("JC_PHASE_MASTER_MC", Company_Code="DC1"))


def test_cost_types_budgets_and_job_cost_are_derived_from_phases(spectrum_simulator_sqlite: Sim) -> None:
    client = spectrum_simulator_sqlite.client()
    phases = list(client.iter_records("phase", "DC1"))
    cost_types = list(client.iter_records("cost_type", "DC1"))
    budgets = list(client.iter_records("budget", "DC1"))
    costs = list(client.iter_records("job_cost", "DC1"))
    assert sorted(c.cost_type for c in cost_types) == sorted({p.cost_type for p in phases})
    assert [b.key for b in budgets] == [p.key for p in phases] == [c.key for c in costs]
    assert budgets[0].current_estimated_dollars == phases[0].current_estimated_dollars
    assert costs[0].jtd_actual_dollars == phases[0].jtd_actual_dollars


def test_job_udf_and_phase_enhanced_rows(spectrum_simulator_sqlite: Sim) -> None:
    client = spectrum_simulator_sqlite.client()
    udf_rows = list(client.iter_rows("GetJobUDF", {"pCompany_Code": "DC1"}))
    assert udf_rows and all("UDF20" in row for row in udf_rows)
    enhanced = list(client.iter_rows("GetPhaseEnhanced", {"pCompany_Code": "DC1", "pCost_Type": "L"}))
    assert enhanced and {row["Cost_Type"] for row in enhanced} == {"L"}
    assert all("Price_Method_Code" in row for row in enhanced)


def test_row_cap_is_worked_around_by_partitioning_until_every_row_is_read(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    expected_phases = len(sim.store.find("JC_PHASE_MASTER_MC", Company_Code="DC1"))
    expected_jobs = len(sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1"))
    sim.configure(row_cap=4)
    client = sim.client()
    phases = list(client.iter_records("phase", "DC1"))
    jobs = list(client.iter_records("job", "DC1"))
    assert len(phases) == expected_phases
    assert len({p.key for p in phases}) == expected_phases  # no row twice
    assert len({j.key for j in jobs}) == len(jobs) == expected_jobs
    assert sim.counters()["requests"]["GetPhase"] > 2  # the capped answers were re-asked in parts


def test_row_cap_without_a_filter_to_split_by_fails_instead_of_returning_a_partial_list(
    spectrum_simulator_sqlite: Sim,
) -> None:
    sim = spectrum_simulator_sqlite
    sim.configure(row_cap=5)
    with pytest.raises(SpectrumBadReply, match="no filter left"):
        list(sim.client().iter_records("customer", "DC1"))


def test_envelope_truncated_after_the_last_row_still_gives_every_row(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["truncate"])
    records = list(sim.client().iter_records("customer", "DC1"))
    assert len(records) == len(sim.store.find("CR_CUSTOMER_MASTER_MC", Company_Code="DC1"))
    assert sim.counters()["faults_injected"] == {"truncate": 1}


def test_envelope_cut_inside_a_row_is_a_bad_reply(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["truncate_mid"])
    with pytest.raises(SpectrumBadReply, match="unreadable"):
        list(sim.client().iter_records("customer", "DC1"))


@pytest.mark.parametrize("kind", ["fault", "http500", "http503", "drop"])
def test_intermittent_failures_are_retried(spectrum_simulator_sqlite: Sim, kind: str) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=[kind])
    client = sim.client()
    client.gets.sleep = lambda seconds: None
    assert len(list(client.iter_records("vendor", "DC1"))) > 0
    assert sim.counters()["requests"]["GetVendors"] == 2


def test_persistent_faults_give_up_as_retryable(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["fault", "fault", "fault"])
    client = sim.client()
    client.gets.sleep = lambda seconds: None
    with pytest.raises(SpectrumRetryableError, match="Error executing Web Service"):
        list(client.iter_records("vendor", "DC1"))


def test_read_timeout_on_a_get_is_retryable(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["timeout"] * 3, timeout_seconds=1.5)
    client = sim.client(read_timeout=0.5)
    client.gets.sleep = lambda seconds: None
    with pytest.raises(SpectrumRetryableError, match="read timeout"):
        list(client.iter_records("vendor", "DC1"))


@pytest.mark.parametrize(
    ("kind", "text"), [("garbage", "unreadable"), ("hostile_xxe", "hostile"), ("hostile_bomb", "hostile")]
)
def test_unreadable_or_hostile_get_reply_is_refused(spectrum_simulator_sqlite: Sim, kind: str, text: str) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=[kind])
    with pytest.raises(SpectrumBadReply, match=text):
        list(sim.client().iter_records("customer", "DC1"))


def test_200_mb_text_node_from_the_server_is_refused_with_bounded_memory(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["hostile_huge"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(SpectrumBadReply, match="hostile"):
        list(sim.client().iter_records("customer", "DC1"))
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 100


def test_unknown_authorization_id_is_an_authorization_error(spectrum_simulator_sqlite: Sim) -> None:
    client = spectrum_simulator_sqlite.client(authorization_id="NOSUCHID")
    with pytest.raises(SpectrumAuthorizationError, match="not Authorized"):
        list(client.iter_records("customer", "DC1"))


def test_company_not_on_the_authorization_id_is_an_authorization_error(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    sim.add_auth("ONLYDC2", ["DC2"])
    with pytest.raises(SpectrumAuthorizationError, match="DC1"):
        list(sim.client(authorization_id="ONLYDC2").iter_records("job", "DC1"))


def test_test_connection_reads_the_server_version(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    sim.configure(server_version="1.12")
    result = sim.client().test_connection("DC1")
    assert result.ok
    assert result.version == "1.12"


def test_test_connection_reports_a_bad_authorization_id(spectrum_simulator_sqlite: Sim) -> None:
    result = spectrum_simulator_sqlite.client(authorization_id="WRONG").test_connection()
    assert not result.ok
    assert "not authorized" in result.message


def test_check_services_tells_which_services_are_authorized(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    sim.add_auth("READONLY", ["DC1"], services=["GetCustomers", "GetJob", "WSTestConnection"])
    allowed = sim.client(authorization_id="READONLY").check_services(
        ["GetCustomers", "GetJob", "AddJob", "AddARInvoice", "customer/invoice"], "DC1"
    )
    assert allowed == {
        "GetCustomers": True,
        "GetJob": True,
        "AddJob": False,
        "AddARInvoice": False,
        "customer/invoice": False,
    }
    assert sim.store.find("JC_JOB_MASTER_MC", Job_Number="") == []  # probing wrote nothing
