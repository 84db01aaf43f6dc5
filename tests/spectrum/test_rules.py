"""The rules of the help pages (connectors/spectrum/rules.py, docs/spectrum.md#rules-by-page): for each
rule the simulator refuses a record that breaks it and does not refuse the same record without the
break, and the client's check before sending reports the same words first."""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectors.spectrum import layouts, rules
from connectors.spectrum.errors import SpectrumMessage, SpectrumRejected
from connectors.spectrum.puts import put_elements
from connectors.spectrum.soap import PROIV_NS, iter_rows
from mappings.mappers import SpectrumCall
from spectrum_sync.exports import writer
from tests.fixtures_spectrum import SpectrumSimulatorHandle

Sim = SpectrumSimulatorHandle
TODAY = date.today().strftime("%m/%d/%Y")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "spectrum.md"

# A record of each service that passes its layout; a case adds the break, or the same fields without it.
BASE: dict[str, dict[str, Any]] = {
    "WSTestConnection": {},
    "AddJob": {"Company_Code": "DC1", "Job_Number": "RJ1", "Taxable_Flag": "N", "Price_Method_Code": "F"},
    "AddPhase": {"Company_Code": "DC1", "Job_Number": "RJ1", "Phase_Code": "0100", "Cost_Type": "L"},
    "AddARInvoice": {
        "Company_Code": "DC1",
        "GL_Date": TODAY,
        "Batch_Code": "SSYNC",
        "Customer_Code": "C1",
        "Invoice_Or_Transaction": "R1",
        "Transaction_Type": "I",
        "Invoice_Date": TODAY,
        "Line_Extension": "10",
    },
    "customer/invoice": {
        "Company_Code": "DC1",
        "GL_Date": TODAY,
        "Batch_Code": "SSYNC",
        "Customer_Code": "C1",
        "Invoice_Or_Transaction": "R2",
        "Transaction_Type": "I",
        "Invoice_Date": TODAY,
        "invoiceDetails": [{"Detail_Description": "Labor", "Line_Extension": 10}],
    },
    "UpdateSubcontract": {"Company_Code": "DC1", "Vendor_Code": "V1", "Subcontract_Number": "S1"},
    "ARChangeOrder": {"Company_Code": "DC1", "Job_Number": "RJ1", "Customer_Code": "C1"},
    "WorkOrderHeader": {"Company_Code": "DC1", "WO_Reference_Code": "S", "WO_Job_Number": "SITE1"},
    "UpdateServiceContract": {"Company_Code": "DC1", "Site_ID": "SITE1", "Contract_Number": "SC1"},
    "purchaseOrders": {
        "Company_Code": "DC1",
        "Vendor_Code": "V1",
        "poDetails": [{"Detail_Entry_Type": "N", "PO_Quantity": 1, "Item_ID": "X"}],
    },
    "purchaseOrder/PackingList": {
        "Company_Code": "DC1",
        "PO_Number": "1",
        "Receipt_Date": TODAY,
        "PO_Line_Number": "001",
        "Item_Code": "X",
        "Quantity_Received": 1,
    },
}


def line(**fields: Any) -> dict[str, Any]:
    return {"poDetails": [{"Detail_Entry_Type": "N", "PO_Quantity": 1, "Item_ID": "X", **fields}]}


# (service, the rule's first field) → (the break, the same record without it)
CASES: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {
    ("WSTestConnection", "Version"): ({"Version": "2"}, {"Version": "2.0"}),
    ("AddJob", "Work_State_Tax_Code"): (
        {"Work_State_Tax_Code": "TX", "Work_County_Tax_Code": "TX"},
        {"Work_State_Tax_Code": "TX", "Work_County_Tax_Code": "TRAVIS"},
    ),
    ("AddJob", "Est_Start_Date"): (
        {"Est_Start_Date": "03/10/2026", "Est_Complete_Date": "03/01/2026"},
        {"Est_Start_Date": "03/01/2026", "Est_Complete_Date": "03/10/2026"},
    ),
    ("AddJob", "Start_Date"): (
        {"Start_Date": "03/10/2026", "Complete_Date": "03/01/2026"},
        {"Start_Date": "03/10/2026", "Complete_Date": "03/10/2026"},
    ),
    ("AddPhase", "Phase_Code"): ({"Phase_Code": "01-100"}, {"Phase_Code": "01100"}),
    ("AddARInvoice", "Sales_Tax_Amount"): ({"Sales_Tax_Amount": "-1"}, {"Sales_Tax_Amount": "1"}),
    ("customer/invoice", "Sales_Tax_Amount"): ({"Sales_Tax_Amount": -1}, {"Sales_Tax_Amount": 0}),
    ("AddARInvoice", "Retention_Amount"): (
        {"Retention_Amount": "-5"},
        {"Retention_Amount": "-5", "Transaction_Type": "C"},
    ),
    ("customer/invoice", "Retention_Amount"): ({"Retention_Amount": -5}, {"Retention_Amount": 5}),
    ("AddARInvoice", "Retention_Percent"): ({"Retention_Percent": "150"}, {"Retention_Percent": "10"}),
    ("customer/invoice", "Retention_Percent"): ({"Retention_Percent": 101}, {"Retention_Percent": 100}),
    ("AddARInvoice", "Line_Extension"): ({"Line_Extension": "-10"}, {"Line_Extension": "10"}),
    ("customer/invoice", "Line_Extension"): (
        {"invoiceDetails": [{"Line_Extension": 10}, {"Line_Extension": -3}]},
        {"invoiceDetails": [{"Line_Extension": 10}, {"Line_Extension": 3}]},
    ),
    ("UpdateSubcontract", "Retention_Percent"): (
        {"Retention_Percent": "120", "Disc_Perc": "-1"},
        {"Retention_Percent": "10", "Disc_Perc": "2"},
    ),
    ("UpdateSubcontract", "Routing_Limit"): ({"Routing_Limit": "-5"}, {"Routing_Limit": "5"}),
    ("ARChangeOrder", "Change_Order_Date"): (
        {"Change_Order_Date": "02/01/2026", "Approved_Date": "01/15/2026"},
        {"Change_Order_Date": "02/01/2026", "Approved_Date": "02/15/2026"},
    ),
    ("ARChangeOrder", "Fee_Percent"): ({"Fee_Percent": "101"}, {"Fee_Percent": "5"}),
    ("ARChangeOrder", "Approved_Days"): ({"Approved_Days": "-1"}, {"Approved_Days": "3"}),
    ("WorkOrderHeader", "Time_Entered"): (
        {"Time_Entered": "256000", "Arrival_Time": "120075"},
        {"Time_Entered": "235959", "Arrival_Time": "120000"},
    ),
    ("WorkOrderHeader", "Material_Price_Level"): (
        {"Material_Price_Level": "0", "Price_Level": "6"},
        {"Material_Price_Level": "1", "Price_Level": "5"},
    ),
    ("WorkOrderHeader", "Ordered_Date"): (
        {"Ordered_Date": "03/05/2026", "Complete_Date": "03/01/2026"},
        {"Ordered_Date": "03/01/2026", "Complete_Date": "03/05/2026"},
    ),
    ("WorkOrderHeader", "Total_Quote_Amount"): (
        {"Total_Quote_Amount": "-1", "Projected_Hours": "-2"},
        {"Total_Quote_Amount": "1", "Projected_Hours": "2"},
    ),
    ("UpdateServiceContract", "Begin_Date"): (
        {"Begin_Date": "03/05/2026", "End_Date": "03/01/2026"},
        {"Begin_Date": "03/01/2026", "End_Date": "03/01/2027"},
    ),
    ("UpdateServiceContract", "Material_Level"): (
        {"Material_Level": "0", "Labor_Level": "9"},
        {"Material_Level": "2", "Labor_Level": "3"},
    ),
    ("UpdateServiceContract", "Contract_Amount"): ({"Contract_Amount": "-100"}, {"Contract_Amount": "100"}),
    ("purchaseOrders", "Terms_Percent"): ({"Terms_Percent": 150}, {"Terms_Percent": 2}),
    ("purchaseOrders", "Equipment_Code"): (
        line(Equipment_Code="EQ1", WO_Item_Price=5),
        line(Equipment_Code="", WO_Item_Price=0),
    ),
    ("purchaseOrders", "Item_Discount_Percent"): (line(Item_Discount_Percent=120), line(Item_Discount_Percent=2)),
    ("purchaseOrders", "PO_Quantity"): (
        line(PO_Quantity=0),
        {"poDetails": [{"Detail_Entry_Type": "M", "PO_Quantity": 0, "Message": "Deliver to gate 2"}]},
    ),
    ("purchaseOrder/PackingList", "Quantity_Received"): ({"Quantity_Received": 0}, {"Quantity_Received": 2}),
    ("purchaseOrder/PackingList", "PO_Line_Number"): ({"PO_Line_Number": "0"}, {"PO_Line_Number": "002"}),
}


def record_rules() -> list[tuple[str, rules.Rule]]:
    """(service, rule) for every record rule: one case each."""
    return [(s, r) for r in rules.RULES for s in r.services if s in BASE]


def case_id(pair: tuple[str, rules.Rule]) -> str:
    return f"{pair[0]}:{pair[1].fields[0]}"


def record(service: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {**BASE[service], **extra}


# ---------------------------------------------------------------------------------------------
# talking to the simulator without our client (the client would catch the break first)


def _post(sim: Sim, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    request = urllib.request.Request(f"{sim.url}{path}", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return bytes(resp.read())
    except urllib.error.HTTPError as exc:
        return bytes(exc.read())


def soap_call(sim: Sim, service: str, values: dict[str, Any]) -> list[dict[str, str]]:
    layout = layouts.SOAP_SERVICES[service]
    guid = "" if layout.kind == "test" else f"<GUID>{uuid.uuid4()}</GUID>"
    elements = "".join(f"<{f.name}>{layouts.as_text(values.get(f.name, ''))}</{f.name}>" for f in layout.fields)
    envelope = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<typ:{service} xmlns:typ="{PROIV_NS}"><Authorization_ID>SSYNCDEMO</Authorization_ID>{guid}'
        f"{elements}</typ:{service}></soap:Body></soap:Envelope>"
    )
    reply = _post(sim, f"/ws/{service}", envelope.encode(), {"Content-Type": "text/xml; charset=utf-8"})
    return list(iter_rows([reply]))


def simulator_says(sim: Sim, service: str, values: dict[str, Any]) -> list[SpectrumMessage]:
    if service in layouts.SOAP_SERVICES:
        rows = soap_call(sim, service, values)
        return [SpectrumMessage(r["error_code"], r["desc"], r["column"]) for r in rows]
    root = {"customer/invoice": "arInvoices", "purchaseOrders": "purchaseOrders"}.get(
        service, "purchaseOrdersPackingLists"
    )
    auth = base64.b64encode(b"DC1:SSYNCDEMO").decode()
    headers = {"Content-Type": "application/json", "Authorization": f"Basic {auth}"}
    reply = json.loads(_post(sim, f"/{service}", json.dumps({root: [values]}).encode(), headers))
    [result] = reply["results"]
    return [SpectrumMessage(m["error_code"], m["desc"], m["column"]) for m in result["messages"]]


def client_says(sim: Sim, service: str, values: dict[str, Any]) -> list[SpectrumMessage]:
    call = SpectrumCall(service, values, rest=service in layouts.REST_SERVICES)
    return writer.client_side_problems(sim.client(), [call])


def rule_messages(service: str, rule: rules.Rule, values: dict[str, Any]) -> list[SpectrumMessage]:
    if rule.lines:
        found: list[SpectrumMessage] = []
        for one in values.get(rules.DETAIL_KEYS[service], []):
            found += rule.check(one)
        return found
    return rule.check(values)


# ---------------------------------------------------------------------------------------------


def test_every_record_rule_has_a_case_here() -> None:
    assert {(s, r.fields[0]) for s, r in record_rules()} == set(CASES)


@pytest.mark.parametrize("pair", record_rules(), ids=case_id)
def test_the_simulator_refuses_a_break_and_the_client_says_so_first_in_the_same_words(
    spectrum_simulator_sqlite: Sim, pair: tuple[str, rules.Rule]
) -> None:
    sim = spectrum_simulator_sqlite
    service, rule = pair
    broken, fixed = (record(service, extra) for extra in CASES[(service, rule.fields[0])])
    expected = rule_messages(service, rule, broken)
    assert expected and all(m.code == "I" for m in expected)
    said = simulator_says(sim, service, broken)
    assert all(m in said for m in expected), said
    assert all(m in client_says(sim, service, broken) for m in expected)
    # negative control: the same record without the break is not refused for this rule
    assert rule_messages(service, rule, fixed) == []
    assert not [m for m in simulator_says(sim, service, fixed) if m.column in rule.fields and m.code == "I"]
    assert not [m for m in client_says(sim, service, fixed) if m.column in rule.fields]


GET_CASES = [
    ({"pStatus_Code": "A,I"}, "pStatus_Code", "SuperSelect is not allowed"),
    ({"pCost_Center": "#10"}, "pCost_Center", "SuperSelect is not allowed"),
    ({"pDivision": "1/"}, "pDivision", "does not match specified field mask"),
    ({"pCustomer_Code": "#"}, "pCustomer_Code", "does not match specified field mask"),
    ({"pDivision": "123456"}, "pDivision", "maximum length of 5"),
    ({"pCustomer_Code": "#ABCDEFGHIJK,#B"}, "pCustomer_Code", "maximum length of 10"),
]


@pytest.mark.parametrize(("params", "column", "words"), GET_CASES)
def test_a_get_selection_against_the_superselect_rules(
    spectrum_simulator_sqlite: Sim, params: dict[str, str], column: str, words: str
) -> None:
    sim = spectrum_simulator_sqlite
    [row] = soap_call(sim, "GetJob", {"pCompany_Code": "DC1", **params})
    assert (row["Error_Code"], row["Error_Column"]) == ("I", column) and words in row["Error_Description"]
    with pytest.raises(SpectrumRejected) as caught:
        list(sim.client().gets.query(layouts.GET_JOB, {"pCompany_Code": "DC1", **params}))
    assert caught.value.client_side
    assert caught.value.messages[0] == SpectrumMessage("I", row["Error_Description"], column)


def test_a_combined_selection_within_the_lengths_is_answered(spectrum_simulator_sqlite: Sim) -> None:
    # negative control: a list of exclusions, each value within pCustomer_Code's 10, reads rows
    sim = spectrum_simulator_sqlite
    rows = list(sim.client().gets.query(layouts.GET_JOB, {"pCompany_Code": "DC1", "pCustomer_Code": "#ZZ1,#ZZ2,A*"}))
    assert rows == [r for r in rows if r["Customer_Code"].startswith("A")]


@pytest.mark.parametrize("service", [g.name for g in layouts.SOAP_SERVICES.values() if g.kind == "get"])
def test_each_get_parameter_keeps_its_maximum_length(spectrum_simulator_sqlite: Sim, service: str) -> None:
    layout = layouts.SOAP_SERVICES[service]
    longest = max((f for f in layout.fields if f.name != "pCompany_Code"), key=lambda f: f.max_length)
    too_long = {longest.name: "9" * (longest.max_length + 1)}
    [row] = soap_call(spectrum_simulator_sqlite, service, {"pCompany_Code": "DC1", **too_long})
    assert row["Error_Description"] == layouts.msg_too_long(longest.name, longest.max_length).message
    assert rules.selection_problems(layout, too_long)[0].message == row["Error_Description"]
    assert rules.selection_problems(layout, {longest.name: "9" * longest.max_length}) == []


def test_the_test_connection_sends_no_guid_and_the_simulator_needs_none(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    [row] = soap_call(sim, "WSTestConnection", {"Version": "2.0"})  # no GUID element at all
    assert row["error_code"] == "S"
    client = sim.client()
    names = [n for n, _v in client.puts.transport.elements(layouts.WS_TEST_CONNECTION, {"Version": "2.0"}, "g")]
    assert "GUID" in names  # what the transport would send ...
    sent = [n for n, _v in put_elements(client.puts.transport, layouts.WS_TEST_CONNECTION, {"Version": "2.0"}, "g")]
    assert sent == ["Authorization_ID", "Version"]  # ... and what the test connection sends
    assert client.test_connection("DC1").ok


def test_update_job_spells_the_local_work_tax_code_in_full() -> None:
    assert layouts.UPDATE_JOB.field("Work_Local_Tax_Code") is not None
    assert layouts.UPDATE_JOB.field("Work_Local_Tax_Cod") is None
    assert layouts.ADD_JOB.field("Work_Local_Tax_Cod") is not None  # AddJob's page spells it short


def test_get_job_main_returns_the_placeholder_fields(spectrum_simulator_sqlite: Sim) -> None:
    rows = soap_call(spectrum_simulator_sqlite, "GetJobMain", {"pCompany_Code": "DC1"})
    assert rows and all(f"Field_{i}" in rows[0] for i in range(1, 6))
    assert list(rows[0])[-3:] == list(layouts.ERROR_RETURNS)


def _open_po(sim: Sim) -> str:
    job = sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1", Status_Code="A")[0]["Job_Number"]
    vendor = sim.store.find("VN_VENDOR_MASTER_MC", Company_Code="DC1", Status="A")[0]["Vendor_Code"]
    po = {
        "Company_Code": "DC1",
        "Vendor_Code": vendor,
        "Job_Number": job,
        "Status_Flag": "O",
        "poDetails": [{"Detail_Entry_Type": "N", "PO_Quantity": 10, "Item_ID": "!PIPE", "Item_Price": 2}],
    }
    [result] = sim.client().post_purchase_orders("DC1", [po])
    assert result.ok
    return str(result.key)


def test_a_packing_list_receipt_sent_again_updates_it(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    po = _open_po(sim)
    receipt = {
        "Company_Code": "DC1",
        "PO_Number": po,
        "Receipt_Number": "007",
        "Receipt_Date": TODAY,
        "PO_Line_Number": "001",
        "Item_Code": "!PIPE",
        "Quantity_Received": 6,
    }
    client = sim.client()
    first, again, changed = (
        client.post_po_receipts("DC1", [r])[0] for r in (receipt, receipt, {**receipt, "Quantity_Received": 8})
    )
    assert first.ok and again.ok and changed.ok and changed.key == "007"
    [history] = sim.store.find("PO_RECEIVING_HISTORY_MC", Company_Code="DC1", PO_Number=po)
    assert history["Quantity_Received"] == 8
    [detail] = sim.store.find("PO_PURCHASE_ORDER_DETAIL_MC", Company_Code="DC1", PO_Number=po)
    assert detail["Quantity_Received"] == 8  # the line counts the receipt once
    # negative control: a second receipt number is a second receipt, bounded by the quantity due
    [over] = client.post_po_receipts("DC1", [{**receipt, "Receipt_Number": "008", "Quantity_Received": 3}])
    assert not over.ok and "quantity due" in over.messages[0].message


def test_the_docs_table_is_the_rules_table() -> None:
    text = DOCS.read_text()
    section = re.search(r"<!-- rules-by-page:start -->\n(.*?)<!-- rules-by-page:end -->", text, re.S)
    assert section, "docs/spectrum.md has no rules-by-page table"
    assert section.group(1) == rules.doc_table(), "regenerate: python -m connectors.spectrum.rules"
