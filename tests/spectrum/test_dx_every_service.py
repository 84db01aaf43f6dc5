"""Every service the client offers, through every error kind, against the simulator.

One valid record per Put service (built from the seeded master data); each is sent and lands, is
refused for an Authorization ID that lacks the service (A), gives a retryable error when Spectrum
faults before doing anything, and an unknown outcome when the reply is lost after it was applied.
Each Get answers rows, aborts for a foreign Authorization ID, and survives one fault.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from connectors.spectrum.errors import (
    SpectrumAuthorizationError,
    SpectrumRejected,
    SpectrumRetryableError,
    SpectrumUnknownOutcome,
)
from connectors.spectrum.layouts import SOAP_SERVICES
from tests.fixtures_spectrum import SpectrumSimulatorHandle

Sim = SpectrumSimulatorHandle
TODAY = date.today().strftime("%m/%d/%Y")


def _first(sim: Sim, table: str, **filters: str) -> dict[str, str]:
    row: dict[str, str] = sim.store.find(table, Company_Code="DC1", **filters)[0]
    return row


def _open_job(sim: Sim) -> str:
    return _first(sim, "JC_JOB_MASTER_MC", Status_Code="A")["Job_Number"]


def _customer(sim: Sim) -> str:
    return _first(sim, "CR_CUSTOMER_MASTER_MC", Status="A")["Customer_Code"]


def _subcontract_phase(sim: Sim) -> dict[str, str]:
    sub = _first(sim, "VN_SUBCONTRACT_MC")
    return {
        "Company_Code": "DC1",
        "Vendor_Code": sub["Vendor_Code"],
        "Subcontract_Number": sub["Subcontract_Number"],
        "Bid_Item_Number": "77",
        "Original_Contract_Amount": "900",
    }


RECORDS: dict[str, Callable[[Sim], dict[str, str]]] = {
    "AddJob": lambda sim: {"Company_Code": "DC1", "Job_Number": "EV1", "Taxable_Flag": "N", "Price_Method_Code": "F"},
    "UpdateJob": lambda sim: {"Company_Code": "DC1", "Job_Number": _open_job(sim), "Comment": "updated"},
    "UpdateJob_UDF": lambda sim: {"Company_Code": "DC1", "Job_Number": _open_job(sim), "UDF5": "x"},
    "AddPhase": lambda sim: {
        "Company_Code": "DC1",
        "Job_Number": _open_job(sim),
        "Phase_Code": "8800",
        "Cost_Type": "M",
        "Description": "Extras",
        "Price_Method_Code": "F",
    },
    "AddARInvoice": lambda sim: {
        "Company_Code": "DC1",
        "GL_Date": TODAY,
        "Batch_Code": "B",
        "Customer_Code": _customer(sim),
        "Invoice_Or_Transaction": "EV100",
        "Transaction_Type": "I",
        "Invoice_Date": TODAY,
        "Line_Extension": "10",
    },
    "UpdateSubcontract": lambda sim: {
        "Company_Code": "DC1",
        **{k: _first(sim, "VN_SUBCONTRACT_MC")[k] for k in ("Vendor_Code", "Subcontract_Number")},
        "Comment": "revised",
    },
    "UpdateSubcontractPhases": _subcontract_phase,
    "ARChangeOrder": lambda sim: {
        "Company_Code": "DC1",
        "Job_Number": _open_job(sim),
        "Customer_Code": _customer(sim),
        "Status_Code": "A",
        "Description": "CO",
    },
    "WorkOrderHeader": lambda sim: {
        "Company_Code": "DC1",
        "WO_Reference_Code": "J",
        "WO_Job_Number": _open_job(sim),
        "WO_Job_Division": "SVC",
        "Bill_Customer_Code": _customer(sim),
    },
    "UpdateServiceContract": lambda sim: {
        "Company_Code": "DC1",
        "Site_ID": "S1",
        "Contract_Number": "EVSC",
        "Create_New": "Y",
        "Description": "PM",
        "Contract_Type": "PM",
        "WO_Type": "MAINT",
        "Customer_Code": _customer(sim),
    },
    "UpdateCustomer_UDF": lambda sim: {"Company_Code": "DC1", "Customer_Code": _customer(sim), "UDF1": "gold"},
    # The UDF-only services (docs/spectrum.md#udf-services)
    "UpdatePhase_UDF": lambda sim: {
        "Company_Code": "DC1",
        **{k: _first(sim, "JC_PHASE_MASTER_MC")[k] for k in ("Job_Number", "Phase_Code", "Cost_Type")},
        "UDF1": "x",
    },
    "UpdateSubcontract_UDF": lambda sim: {
        "Company_Code": "DC1",
        **{k: _first(sim, "VN_SUBCONTRACT_MC")[k] for k in ("Vendor_Code", "Subcontract_Number")},
        "UDF1": "x",
    },
    "UpdateWokOrderHeader_UDF": lambda sim: {"Company_Code": "DC1", "WO_Number": "5000", "UDF1": "x"},
    "UpdateServiceContract_UDF": lambda sim: {
        "Company_Code": "DC1",
        "Site_ID": "SITE01",
        "Contract_Number": "SA001",
        "UDF1": "x",
    },
}
PUTS = sorted(RECORDS)
GETS = sorted(name for name, layout in SOAP_SERVICES.items() if layout.kind == "get")


def test_every_put_service_has_a_record_here() -> None:
    assert set(PUTS) == {name for name, layout in SOAP_SERVICES.items() if layout.kind == "put"}


@pytest.mark.parametrize("service", PUTS)
def test_put_lands_once(spectrum_simulator_sqlite: Sim, service: str) -> None:
    sim = spectrum_simulator_sqlite
    result = sim.client().put(service, RECORDS[service](sim))
    assert [m.code for m in result.messages] == ["G"]
    assert list(sim.accepted(service).values()) == [1]


@pytest.mark.parametrize("service", PUTS)
def test_put_without_the_service_on_the_authorization_id_aborts(spectrum_simulator_sqlite: Sim, service: str) -> None:
    sim = spectrum_simulator_sqlite
    sim.add_auth("NARROW", ["DC1"], services=["GetJob"])
    with pytest.raises(SpectrumAuthorizationError):
        sim.client(authorization_id="NARROW").put(service, RECORDS[service](sim))
    assert sim.accepted(service) == {}


@pytest.mark.parametrize("service", PUTS)
def test_put_fault_before_processing_is_retryable(spectrum_simulator_sqlite: Sim, service: str) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["fault"], services=[service])
    with pytest.raises(SpectrumRetryableError):
        sim.client().put(service, RECORDS[service](sim))
    assert sim.accepted(service) == {}


@pytest.mark.parametrize("service", PUTS)
@pytest.mark.parametrize("kind", ["drop", "reset_mid"])
def test_put_reply_lost_after_processing_is_an_unknown_outcome(
    spectrum_simulator_sqlite: Sim, service: str, kind: str
) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=[kind], services=[service])
    with pytest.raises(SpectrumUnknownOutcome):
        sim.client().put(service, RECORDS[service](sim))
    assert list(sim.accepted(service).values()) == [1]


@pytest.mark.parametrize("service", PUTS)
def test_put_with_a_missing_required_element_is_rejected_before_sending(
    spectrum_simulator_sqlite: Sim, service: str
) -> None:
    sim = spectrum_simulator_sqlite
    layout = SOAP_SERVICES[service]
    required = next(f.name for f in layout.fields if f.required)
    record = {**RECORDS[service](sim), required: ""}
    with pytest.raises(SpectrumRejected) as caught:
        sim.client().put(service, record)
    assert caught.value.client_side
    assert (caught.value.first.code, caught.value.first.column) == ("M", required)
    assert service not in sim.counters()["requests"]


@pytest.mark.parametrize("service", GETS)
def test_get_answers_rows_and_survives_one_fault(spectrum_simulator_sqlite: Sim, service: str) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["fault"], services=[service])
    client = sim.client()
    client.gets.sleep = lambda seconds: None
    assert list(client.iter_rows(service, {"pCompany_Code": "DC1"}))
    assert sim.counters()["requests"][service] == 2


@pytest.mark.parametrize("service", GETS)
def test_get_cut_mid_body_is_retried(spectrum_simulator_sqlite: Sim, service: str) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["reset_mid"], services=[service])
    client = sim.client()
    client.gets.sleep = lambda seconds: None
    assert list(client.iter_rows(service, {"pCompany_Code": "DC1"}))


@pytest.mark.parametrize("service", GETS)
def test_get_with_a_foreign_authorization_id_aborts(spectrum_simulator_sqlite: Sim, service: str) -> None:
    with pytest.raises(SpectrumAuthorizationError):
        list(spectrum_simulator_sqlite.client(authorization_id="STRANGER").iter_rows(service, {"pCompany_Code": "DC1"}))
