"""The client's Put services against the simulator: what lands in Spectrum's tables, Spectrum's
messages for bad records, and how each kind of failure is reported."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import pytest

from connectors.spectrum import layouts
from connectors.spectrum.errors import (
    SpectrumAuthorizationError,
    SpectrumMessage,
    SpectrumRejected,
    SpectrumRetryableError,
    SpectrumUnknownOutcome,
)
from tests.fixtures_spectrum import SpectrumSimulatorHandle

Sim = SpectrumSimulatorHandle
TODAY = date.today().strftime("%m/%d/%Y")


def new_job(number: str = "T100", **extra: str) -> dict[str, str]:
    return {
        "Company_Code": "DC1",
        "Job_Number": number,
        "Job_Description": "Test Clinic",
        "Taxable_Flag": "Y",
        "Price_Method_Code": "F",
        **extra,
    }


def a_customer(sim: Sim) -> str:
    return str(sim.store.find("CR_CUSTOMER_MASTER_MC", Company_Code="DC1", Status="A")[0]["Customer_Code"])


def an_active_job(sim: Sim) -> dict[str, Any]:
    return sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1", Status_Code="A")[0]


def ar_invoice(sim: Sim, number: str = "INV9001", **extra: str) -> dict[str, str]:
    return {
        "Company_Code": "DC1",
        "GL_Date": TODAY,
        "Batch_Code": "SSYNC",
        "Customer_Code": a_customer(sim),
        "Invoice_Or_Transaction": number,
        "Transaction_Type": "I",
        "Invoice_Date": TODAY,
        "Detail_Description": "Service call",
        "Line_Extension": "1250.00",
        **extra,
    }


def test_add_job_creates_the_job_with_its_udfs_and_contract(dx_sim: Sim) -> None:
    sim = dx_sim
    customer = a_customer(sim)
    result = sim.client().put("AddJob", new_job(Customer_Code=customer, UDF1="Blue", Original_Contract="50000"))
    assert result.value_for("Job_Number") == "T100"
    job = sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1", Job_Number="T100")[0]
    assert job["Job_Description"] == "Test Clinic"
    assert job["Status_Code"] == "A"
    assert sim.store.find("JC_JOB_UDF_MC", Company_Code="DC1", Job_Number="T100")[0]["UDF1"] == "Blue"
    assert (
        sim.store.find("CR_CONTRACT_MASTER_MC", Company_Code="DC1", Job_Number="T100")[0]["Customer_Code"] == customer
    )
    assert sim.accepted("AddJob") == {"DC1|T100": 1}


def test_add_job_twice_is_rejected_by_spectrum_and_written_once(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    client.put("AddJob", new_job())
    with pytest.raises(SpectrumRejected) as caught:
        client.put("AddJob", new_job())
    assert caught.value.first.code == "I"
    assert caught.value.first.column == "Job_Number"
    assert not caught.value.client_side
    assert sim.accepted("AddJob") == {"DC1|T100": 1}


def test_client_side_validation_gives_the_same_messages_as_spectrum(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    bad = new_job(Price_Method_Code="", Job_Description="X" * 26, Start_Date="2026-01-05", Taxable_Flag="Q")
    with pytest.raises(SpectrumRejected) as caught:
        client.put("AddJob", bad)
    assert caught.value.client_side
    local = caught.value.messages
    assert [m.column for m in local] == ["Job_Description", "Taxable_Flag", "Price_Method_Code", "Start_Date"]
    assert SpectrumMessage("M", "Price_Method_Code is missing, a value must be supplied", "Price_Method_Code") in local
    # The same record sent past our check: Spectrum (the simulator) answers with identical messages.
    remote, _raw = client.puts.put_once(layouts.ADD_JOB, bad, "")
    assert remote == local
    assert client.validate("AddJob", bad) == local
    assert sim.store.find("JC_JOB_MASTER_MC", Job_Number="T100") == []


def test_update_job_changes_only_the_given_fields(dx_sim: Sim) -> None:
    sim = dx_sim
    job = an_active_job(sim)
    sim.client().put("UpdateJob", {"Company_Code": "DC1", "Job_Number": job["Job_Number"], "City": "Temple"})
    after = sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1", Job_Number=job["Job_Number"])[0]
    assert after["City"] == "Temple"
    assert after["Job_Description"] == job["Job_Description"]


def test_update_job_of_an_unknown_job_is_rejected(dx_sim: Sim) -> None:
    with pytest.raises(SpectrumRejected, match="does not exist"):
        dx_sim.client().put("UpdateJob", {"Company_Code": "DC1", "Job_Number": "NOPE"})


def test_update_job_udf_and_customer_udf(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    job = an_active_job(sim)["Job_Number"]
    client.put("UpdateJob_UDF", {"Company_Code": "DC1", "Job_Number": job, "UDF3": "Phase 2"})
    assert sim.store.find("JC_JOB_UDF_MC", Company_Code="DC1", Job_Number=job)[0]["UDF3"] == "Phase 2"
    customer = a_customer(sim)
    client.put("UpdateCustomer_UDF", {"Company_Code": "DC1", "Customer_Code": customer, "UDF2": "Net 30"})
    assert sim.store.find("CR_CUSTOMER_UDF_MC", Company_Code="DC1", Customer_Code=customer)[0]["UDF2"] == "Net 30"
    with pytest.raises(SpectrumRejected, match="customer NOBODY does not exist"):
        client.put("UpdateCustomer_UDF", {"Company_Code": "DC1", "Customer_Code": "NOBODY", "UDF2": "x"})


def test_add_phase_creates_a_budget_and_refuses_unknown_cost_types(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    job = an_active_job(sim)["Job_Number"]
    phase = {"Company_Code": "DC1", "Job_Number": job, "Phase_Code": "9900", "Cost_Type": "L", "Price_Method_Code": "F"}
    with pytest.raises(SpectrumRejected, match="Description is missing"):
        client.put("AddPhase", phase)
    client.put("AddPhase", {**phase, "Description": "Punch list", "Original_Est_Cost": "4200"})
    row = sim.store.find("JC_PHASE_MASTER_MC", Company_Code="DC1", Job_Number=job, Phase_Code="9900")[0]
    assert row["Original_Est_Cost"] == row["Current_Est_Cost"] == 4200
    with pytest.raises(SpectrumRejected, match="cost type Z does not exist"):
        client.put("AddPhase", {**phase, "Cost_Type": "Z", "Description": "x"})


def test_add_phase_on_a_complete_job_is_rejected(dx_sim: Sim) -> None:
    sim = dx_sim
    job = sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1", Status_Code="C")[0]["Job_Number"]
    record = {"Job_Number": job, "Phase_Code": "9900", "Cost_Type": "L", "Price_Method_Code": "F", "Description": "x"}
    with pytest.raises(SpectrumRejected, match="is Complete"):
        sim.client().put("AddPhase", {"Company_Code": "DC1", **record})


def test_ar_invoice_lands_unposted_and_a_duplicate_number_is_refused(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    guid = client.new_batch_guid()
    assert client.put("AddARInvoice", ar_invoice(sim), guid=guid).value_for("Invoice_Or_Transaction") == "INV9001"
    header = sim.store.find("CR_INVOICE_HEADER_MC", Company_Code="DC1", Invoice_Or_Transaction="INV9001")[0]
    assert header["Posted_Flag"] == "N"
    assert header["Invoice_Extension"] == 1250
    assert len(sim.store.find("CR_INVOICE_DETAIL_MC", Invoice_Or_Transaction="INV9001")) == 1
    with pytest.raises(SpectrumRejected, match="already exists"):
        client.put("AddARInvoice", ar_invoice(sim), guid=guid)
    assert sim.accepted("AddARInvoice") == {"DC1|INV9001": 1}


@pytest.mark.parametrize(
    ("change", "column", "text"),
    [
        ({"Customer_Code": "GHOST"}, "Customer_Code", "does not exist"),
        ({"GL_Date": (date.today() - timedelta(days=800)).strftime("%m/%d/%Y")}, "GL_Date", "AR processing date"),
        ({"AR_GL_Account": "1200-00"}, "AR_GL_Account", "GL Account does not match GL Mask"),
        ({"Sales_Tax_Code": "NOWHERE"}, "Sales_Tax_Code", "does not exist"),
        ({"Line_Extension": "-5"}, "Line_Extension", "must be positive"),
        ({"Transaction_Type": "X"}, "Transaction_Type", "field mask"),
    ],
)
def test_ar_invoice_rejections_name_the_column(dx_sim: Sim, change: dict[str, str], column: str, text: str) -> None:
    sim = dx_sim
    with pytest.raises(SpectrumRejected) as caught:
        sim.client().put("AddARInvoice", ar_invoice(sim, **change))
    assert caught.value.first.column == column
    assert text in caught.value.first.message
    assert sim.store.find("CR_INVOICE_HEADER_MC", Invoice_Or_Transaction="INV9001") == []


def test_subcontract_and_its_phases(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    vendor = sim.store.find("VN_VENDOR_MASTER_MC", Company_Code="DC1", Status="A")[0]["Vendor_Code"]
    phase = sim.store.find("JC_PHASE_MASTER_MC", Company_Code="DC1", Status_Code="A")[0]
    gl = sim.store.find("GL_ACCOUNT_MASTER_MC", Company_Code="DC1", Direct_Cost_Flag="Y", Status="A")[0]["GL_Account"]
    header = {"Company_Code": "DC1", "Vendor_Code": vendor, "Subcontract_Number": "SC900"}
    with pytest.raises(SpectrumRejected) as caught:
        client.put("UpdateSubcontract", header)  # a new subcontract needs its job and GL account
    assert {m.column for m in caught.value.messages} == {"Job_Number", "GL_Account"}
    client.put(
        "UpdateSubcontract",
        {
            **header,
            "Job_Number": phase["Job_Number"],
            "GL_Account": gl,
            "Default_Phase_Code": phase["Phase_Code"],
            "Default_Cost_Type": phase["Cost_Type"],
        },
    )
    client.put(
        "UpdateSubcontractPhases", {**header, "Original_Contract_Amount": "18000", "Bill_Description": "Framing"}
    )
    line = sim.store.find("VN_SUBCONTRACT_DETAIL_MC", Company_Code="DC1", Subcontract_Number="SC900")[0]
    assert (line["Phase_Code"], line["Cost_Type"]) == (phase["Phase_Code"], phase["Cost_Type"])
    assert line["Original_Contract_Amount"] == 18000
    with pytest.raises(SpectrumRejected, match="job of a subcontract cannot be changed"):
        other = sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1", Status_Code="A")[1]["Job_Number"]
        client.put("UpdateSubcontract", {**header, "Job_Number": other})


def test_ar_change_order_gets_a_number_and_lines(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    contract = sim.store.find("CR_CONTRACT_MASTER_MC", Company_Code="DC1")[0]
    job = sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1", Job_Number=contract["Job_Number"])[0]
    if job["Status_Code"] == "C":
        pytest.skip("seed's first contract is on a complete job")
    record = {"Company_Code": "DC1", "Job_Number": contract["Job_Number"], "Customer_Code": contract["Customer_Code"]}
    with pytest.raises(SpectrumRejected, match="Status_Code is missing"):
        client.put("ARChangeOrder", {**record, "Description": "Added scope"})
    result = client.put(
        "ARChangeOrder", {**record, "Description": "Added scope", "Status_Code": "A", "Revenue": "7500"}
    )
    number = result.value_for("Change_Order_Number")
    assert number
    lines = sim.store.find("CR_CHANGE_ORDER_DETAIL_MC", Company_Code="DC1", Change_Order_Number=number)
    assert [line["Revenue"] for line in lines] == [7500]


def test_work_order_header_assigns_the_next_number(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    job = an_active_job(sim)["Job_Number"]
    record = {"Company_Code": "DC1", "WO_Reference_Code": "J", "WO_Job_Number": job, "WO_Job_Division": "SVC"}
    with pytest.raises(SpectrumRejected, match="Bill_Customer_Code is missing"):
        client.put("WorkOrderHeader", record)
    result = client.put(
        "WorkOrderHeader", {**record, "Bill_Customer_Code": a_customer(sim), "Summary_Description": "PM"}
    )
    number = result.value_for("WO_Number")
    assert sim.store.find("WO_HEADER_MC", Company_Code="DC1", WO_Number=number)[0]["Summary_Description"] == "PM"


def test_service_contract_create_then_duplicate(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    record = {
        "Company_Code": "DC1",
        "Site_ID": "SITE77",
        "Contract_Number": "SC77",
        "Create_New": "Y",
        "Description": "Quarterly HVAC",
        "Contract_Type": "PM",
        "WO_Type": "MAINT",
        "Customer_Code": a_customer(sim),
        "Begin_Date": TODAY,
    }
    client.put("UpdateServiceContract", record)
    assert sim.store.find("SC_CONTRACT_MC", Site_ID="SITE77")[0]["Basis"] == "B"
    with pytest.raises(SpectrumRejected, match="already exists"):
        client.put("UpdateServiceContract", record)
    client.put("UpdateServiceContract", {**record, "Create_New": "N", "Contract_Amount": "2400"})
    assert sim.store.find("SC_CONTRACT_MC", Site_ID="SITE77")[0]["Contract_Amount"] == 2400


def test_unknown_authorization_id_aborts_with_the_documented_message(dx_sim: Sim) -> None:
    sim = dx_sim
    with pytest.raises(SpectrumAuthorizationError) as caught:
        sim.client(authorization_id="NOTSETUP").put("AddJob", new_job())
    assert caught.value.message == "The Web Service is not authorized. Authorization ID is not setup in the system."
    assert caught.value.column == "Authorization_ID"
    assert sim.store.find("JC_JOB_MASTER_MC", Job_Number="T100") == []


def test_service_or_company_not_authorized_aborts(dx_sim: Sim) -> None:
    sim = dx_sim
    sim.add_auth("GETSONLY", ["DC1"], services=["GetJob"])
    with pytest.raises(SpectrumAuthorizationError):
        sim.client(authorization_id="GETSONLY").put("AddJob", new_job())
    sim.add_auth("DC2ONLY", ["DC2"])
    with pytest.raises(SpectrumAuthorizationError) as caught:
        sim.client(authorization_id="DC2ONLY").put("AddJob", new_job())
    assert caught.value.column == "Company_Code"


@pytest.mark.parametrize("kind", ["fault", "http503"])
def test_failures_before_spectrum_did_anything_are_retryable(dx_sim: Sim, kind: str) -> None:
    sim = dx_sim
    sim.set_faults(queue=[kind])
    with pytest.raises(SpectrumRetryableError):
        sim.client().put("AddJob", new_job())
    assert sim.store.find("JC_JOB_MASTER_MC", Job_Number="T100") == []
    sim.client().put("AddJob", new_job())  # the retry goes through
    assert sim.accepted("AddJob") == {"DC1|T100": 1}


@pytest.mark.parametrize("kind", ["timeout", "drop", "garbage", "truncate_mid", "hostile_xxe", "http500"])
def test_a_put_whose_reply_is_lost_or_unreadable_is_an_unknown_outcome(dx_sim: Sim, kind: str) -> None:
    sim = dx_sim
    sim.set_faults(queue=[kind], timeout_seconds=1.5)
    with pytest.raises(SpectrumUnknownOutcome):
        sim.client(read_timeout=0.5).put("AddARInvoice", ar_invoice(sim))
    written = sim.store.find("CR_INVOICE_HEADER_MC", Invoice_Or_Transaction="INV9001")
    # The reply was lost after Spectrum applied it, or (500) before: the caller must look it up.
    assert len(written) == (0 if kind == "http500" else 1)


def test_truncated_put_reply_after_a_complete_response_is_read(dx_sim: Sim) -> None:
    sim = dx_sim
    sim.set_faults(queue=["truncate"])
    assert sim.client().put("AddJob", new_job()).value_for("Job_Number") == "T100"


def test_expired_guid_is_replaced_and_the_record_sent_once(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    guid = client.new_batch_guid()
    client.put("AddARInvoice", ar_invoice(sim, "INV1"), guid=guid)
    sim.configure(advance_clock_seconds=25 * 3600)  # the batch GUID idles past Spectrum's 24 hours
    client.put("AddARInvoice", ar_invoice(sim, "INV2"), guid=guid)
    assert sim.accepted("AddARInvoice") == {"DC1|INV1": 1, "DC1|INV2": 1}
    assert sim.counters()["requests"]["AddARInvoice"] == 3


def test_a_guid_of_another_authorization_id_is_refused(dx_sim: Sim) -> None:
    sim = dx_sim
    sim.add_auth("SECONDID", ["DC1"])
    guid = "7f1c0c0e-0d9b-4a63-9a3e-3b1f4c1a2b3c"
    sim.client().put("AddJob", new_job("T1"), guid=guid)
    with pytest.raises(SpectrumRejected) as caught:
        sim.client(authorization_id="SECONDID").put("AddJob", new_job("T2"), guid=guid)
    assert caught.value.first.column == "GUID"


def test_the_authorization_id_is_never_logged(dx_sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    sim = dx_sim
    sim.add_auth("SECRETAUTH77", ["DC1"])
    client = sim.client(authorization_id="SECRETAUTH77")
    with caplog.at_level(logging.DEBUG):
        client.put("AddJob", new_job())
        list(client.iter_records("vendor", "DC1"))
        with pytest.raises(SpectrumRejected) as caught:
            client.put("AddJob", new_job())
    assert caplog.records
    assert "SECRETAUTH77" not in caplog.text
    assert "SECRETAUTH77" not in caught.value.detail
    assert "SECRETAUTH77" not in repr(client.config)


def test_update_job_creates_a_missing_contract_but_never_changes_one(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    client.put("AddJob", new_job("T200"))
    first, second = (c["Customer_Code"] for c in sim.store.find("CR_CUSTOMER_MASTER_MC", Company_Code="DC1")[:2])
    client.put("UpdateJob", {"Company_Code": "DC1", "Job_Number": "T200", "Customer_Code": first})
    assert sim.store.find("CR_CONTRACT_MASTER_MC", Job_Number="T200")[0]["Customer_Code"] == first
    result = client.put("UpdateJob", {"Company_Code": "DC1", "Job_Number": "T200", "Customer_Code": second})
    assert result.value_for("Job_Number") == "T200"
    assert sim.store.find("CR_CONTRACT_MASTER_MC", Job_Number="T200")[0]["Customer_Code"] == first
    assert sim.store.find("JC_JOB_MASTER_MC", Job_Number="T200")[0]["Customer_Code"] == second
