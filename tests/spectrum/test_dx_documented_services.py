"""The documented services against the simulator: REST Get Vendors as its page has it, scheduled
visits on a service contract, and the UDF-only services of phases, subcontracts, work orders and
service contracts (docs/spectrum.md#get-vendors-rest, #service-contract-visit-rest, #udf-services)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from connectors.spectrum.errors import SpectrumAuthorizationError, SpectrumRejected
from connectors.spectrum.rest import rest_vendor
from connectors.spectrum.soap import build_envelope
from tests.fixtures_spectrum import SpectrumSimulatorHandle

Sim = SpectrumSimulatorHandle
VISIT = "serviceContract/Visit"


def rest_get(sim: Sim, path: str) -> Any:
    token = base64.b64encode(f"DC1:{sim.auth_id}".encode()).decode()
    request = urllib.request.Request(f"{sim.url}{path}", headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def test_rest_get_vendors_answers_the_pages_columns_for_active_vendors(dx_sim: Sim) -> None:
    rows = rest_get(dx_sim, "/vendors/DC1?$limit=500")
    active = dx_sim.store.find("VN_VENDOR_MASTER_MC", Company_Code="DC1", Status="A")
    assert sorted(r["Vendor_Code"] for r in rows) == sorted(str(r["Vendor_Code"]).strip() for r in active)
    # The page returns no type and no status (only active vendors are returned).
    assert all("Type" not in r and "Status" not in r and "Email" in r for r in rows)
    vendors = list(dx_sim.client().iter_vendors_rest("DC1"))
    assert {v.status for v in vendors} == {"Active"}


def test_rest_get_vendors_takes_every_parameter_the_page_lists(dx_sim: Sim) -> None:
    query = f"Authorization_ID={dx_sim.auth_id}&GUID=&pCompany_Code=DC1&pType=SUB&pCostCenter=ALL&$limit=500"
    rows = rest_get(dx_sim, f"/vendors/DC1?{query}")
    subs = dx_sim.store.find("VN_VENDOR_MASTER_MC", Company_Code="DC1", Status="A", Type="SUB")
    assert sorted(r["Vendor_Code"] for r in rows) == sorted(str(r["Vendor_Code"]).strip() for r in subs)


def test_rest_get_vendors_refuses_a_parameter_longer_than_the_page_allows(dx_sim: Sim) -> None:
    # The simulator answers one row with the Get services' Error_* columns ...
    [row] = rest_get(dx_sim, "/vendors/DC1?pState=TEXAS")
    assert row["Error_Code"] == "I" and row["Error_Column"] == "pState"
    # ... which the client reads as a refusal, never as an empty list or a vendor.
    with pytest.raises(SpectrumRejected):
        rest_vendor(row, "DC1")
    with pytest.raises(SpectrumAuthorizationError):
        rest_vendor({"error_code": "A", "desc": "not authorized", "column": "Authorization_ID"}, "DC1")
    # The client refuses the same parameter before sending it.
    with pytest.raises(SpectrumRejected) as caught:
        list(dx_sim.client().iter_vendors_rest("DC1", pState="TEXAS"))
    assert caught.value.client_side


def visit(**extra: Any) -> dict[str, Any]:
    return {
        "Company_Code": "DC1",
        "Site_ID": "SITE01",
        "Contract_Number": "SA001",
        "Visit_Date": "12/17/2026",
        "Work_Summary": "Quarterly rooftop unit maintenance",
        "Budget_Hours": "2",
        "Budget_Cost": "100.00",
        "Preupdate_Alert": "",
        "SC_Visit_Notes": "",
        "Visit_Tasks": [],
        **extra,
    }


def test_a_visit_lands_on_its_service_contract_and_the_same_visit_is_not_added_twice(dx_sim: Sim) -> None:
    client = dx_sim.client()
    [first] = client.rest.post_documents(VISIT, "DC1", [visit()])
    assert first.ok, first.messages
    task = {"Equipment": "RTU1", "Task": "FILTERS", "Task_Unit_Price": "25", "Quantity": "1"}
    blank = dict.fromkeys(task, "")
    [again] = client.rest.post_documents(VISIT, "DC1", [visit(Visit_Tasks=[task, blank])])
    assert again.ok and again.key == first.key
    visits = dx_sim.store.find("SC_CONTRACT_VISIT_MC", Company_Code="DC1", Site_ID="SITE01", Contract_Number="SA001")
    assert len(visits) == 1 and str(visits[0]["Work_Summary"]).strip() == "Quarterly rooftop unit maintenance"
    # The matching visit took the task; the blank task line of the page's sample adds nothing.
    assert len(dx_sim.store.find("SC_VISIT_TASK_MC", Company_Code="DC1", Site_ID="SITE01")) == 1
    [other] = client.rest.post_documents(VISIT, "DC1", [visit(Visit_Date="01/14/2027")])
    assert other.ok and len(dx_sim.store.find("SC_CONTRACT_VISIT_MC", Company_Code="DC1", Site_ID="SITE01")) == 2


def test_a_visit_on_a_contract_the_site_does_not_have_is_refused(dx_sim: Sim) -> None:
    [result] = dx_sim.client().rest.post_documents(VISIT, "DC1", [visit(Contract_Number="NOSUCH")])
    assert not result.ok and not result.client_side
    assert "does not exist for site SITE01" in result.messages[0].message
    assert dx_sim.store.find("SC_CONTRACT_VISIT_MC", Company_Code="DC1") == []


def test_phase_and_subcontract_udfs_reach_spectrum(dx_sim: Sim) -> None:
    phase = dx_sim.store.find("JC_PHASE_MASTER_MC", Company_Code="DC1")[0]
    job, code, cost_type = (str(phase[k]).strip() for k in ("Job_Number", "Phase_Code", "Cost_Type"))
    client = dx_sim.client()
    key = {"Company_Code": "DC1", "Job_Number": job, "Phase_Code": code, "Cost_Type": cost_type}
    client.put("UpdatePhase_UDF", {**key, "UDF2": "Inspected"})
    [row] = dx_sim.store.find("JC_PHASE_UDF_MC", Company_Code="DC1", Job_Number=job, Phase_Code=code)
    assert row["UDF2"] == "Inspected" and row["UDF1"] is None

    sub = dx_sim.store.find("VN_SUBCONTRACT_MC", Company_Code="DC1")[0]
    vendor, number = str(sub["Vendor_Code"]).strip(), str(sub["Subcontract_Number"]).strip()
    client.put(
        "UpdateSubcontract_UDF",
        {"Company_Code": "DC1", "Vendor_Code": vendor, "Subcontract_Number": number, "UDF1": "Bonded"},
    )
    [row] = dx_sim.store.find("VN_SUBCONTRACT_UDF_MC", Company_Code="DC1", Vendor_Code=vendor)
    assert row["UDF1"] == "Bonded"


def test_a_udf_for_a_record_spectrum_does_not_have_is_refused(dx_sim: Sim) -> None:
    client = dx_sim.client()
    with pytest.raises(SpectrumRejected) as caught:
        client.put(
            "UpdatePhase_UDF",
            {"Company_Code": "DC1", "Job_Number": "NOJOB", "Phase_Code": "9", "Cost_Type": "L", "UDF1": "x"},
        )
    assert "does not exist" in str(caught.value)
    assert dx_sim.store.find("JC_PHASE_UDF_MC", Company_Code="DC1") == []


def test_the_work_order_udf_service_keeps_its_wsdl_spelling_and_its_method_name(dx_sim: Sim) -> None:
    with urllib.request.urlopen(f"{dx_sim.url}/wsdls/UpdateWokOrderHeader_UDF.jws", timeout=10) as resp:
        wsdl = resp.read().decode()
    assert "<operation name='UpdateWorkOrderHeader_UDF'>" in wsdl and "/ws/UpdateWokOrderHeader_UDF" in wsdl
    client = dx_sim.client()
    client.put("UpdateWokOrderHeader_UDF", {"Company_Code": "DC1", "WO_Number": "5000", "UDF3": "Roof access"})
    [row] = dx_sim.store.find("WO_HEADER_UDF_MC", Company_Code="DC1", WO_Number="5000")
    assert row["UDF3"] == "Roof access"
    # A body whose method element carries the WSDL's spelling is not this service's request.
    elements = [("Authorization_ID", dx_sim.auth_id), ("GUID", ""), ("Company_Code", "DC1"), ("WO_Number", "5000")]
    elements += [(f"UDF{i}", "") for i in range(1, 21)]
    request = urllib.request.Request(
        f"{dx_sim.url}/ws/UpdateWokOrderHeader_UDF",
        data=build_envelope("UpdateWokOrderHeader_UDF", elements),
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 500 and b"not a UpdateWorkOrderHeader_UDF request" in caught.value.read()


def test_service_contract_udfs_reach_the_contract(dx_sim: Sim) -> None:
    dx_sim.client().put(
        "UpdateServiceContract_UDF",
        {"Company_Code": "DC1", "Site_ID": "SITE01", "Contract_Number": "SA001", "UDF1": "Gold"},
    )
    [row] = dx_sim.store.find("SC_CONTRACT_UDF_MC", Company_Code="DC1", Site_ID="SITE01")
    assert row["UDF1"] == "Gold"
